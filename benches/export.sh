#!/usr/bin/env bash
# National export benchmark: `bourg export` against tippecanoe on the same input, zooms and
# machine, in one run. Not run by CI (several minutes on 2 cores; figures depend on the machine).
#
#   make bench-export                       # builds the release binary, installs tippecanoe
#   MAXZOOM=10 benches/export.sh            # a shorter run
#
# In one run it:
#   1. exports the composite `communes,rpls` of $BOURG_LAYERS (every commune polygon and every
#      synthetic social-housing residence of metropolitan France) z$MINZOOM–z$MAXZOOM to PMTiles
#      with the release binary, and reads the time of its rendering from its summary and its
#      wall time and peak memory from /usr/bin/time (catalogue load from the prepared-catalogue
#      cache included);
#   2. writes the same two layers as FlatGeobuf (WGS84, the properties the tiles carry), read
#      with ogr2ogr from Bourg's own OGC API (`bourg serve` on 127.0.0.1:$PORT), so that both tools
#      tile the same features (kept in $WORK and reused by later runs);
#   3. runs tippecanoe on those files, same zooms, with
#        -Z$MINZOOM -z$MAXZOOM -r1 --drop-densest-as-needed
#      (-r1: no thinning of points by zoom; --drop-densest-as-needed: drop the densest points of
#      a tile over tippecanoe's 500 KB budget — Bourg aggregates residences into cells below z13
#      instead), timed the same way;
#   4. reads both archives with the PyPI pmtiles reader (an independent check of Bourg's
#      directories) and prints one table: wall time, peak memory, size, tiles.
#
# Environment: BOURG_BIN (default ${CARGO_TARGET_DIR:-~/.cache/bourg-target}/release/bourg),
# BOURG_LAYERS (layers/france), LAYERS (communes,rpls), MINZOOM (0), MAXZOOM (12), VENV
# (~/.cache/bourg-venv, with tippecanoe and pmtiles: `make bench-export` installs them), WORK
# (~/.cache/bourg-bench-export), PORT (18093).
set -euo pipefail
cd "$(dirname "$0")/.."

BOURG_BIN=${BOURG_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/bourg-target}/release/bourg}
BOURG_LAYERS=${BOURG_LAYERS:-layers/france}
LAYERS=${LAYERS:-communes,rpls}
MINZOOM=${MINZOOM:-0}
MAXZOOM=${MAXZOOM:-12}
VENV=${VENV:-$HOME/.cache/bourg-venv}
WORK=${WORK:-$HOME/.cache/bourg-bench-export}
PORT=${PORT:-18093}
mkdir -p "$WORK"

for tool in "$BOURG_BIN" "$VENV/bin/tippecanoe" "$VENV/bin/python" /usr/bin/time ogr2ogr; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (make bench-export installs it)" >&2; exit 1; }
done

# wall seconds, peak RSS (KiB) and CPU seconds (user, system) of a command, into $WORK/$1.time
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %M %U %S' -o "$WORK/$name.time" "$@"
}

echo "load average before: $(cut -d" " -f1-3 /proc/loadavg)"
echo "== bourg export $LAYERS z$MINZOOM–z$MAXZOOM" >&2
timed bourg "$BOURG_BIN" export --layers "$BOURG_LAYERS" --layer "$LAYERS" \
  --minzoom "$MINZOOM" --maxzoom "$MAXZOOM" --output "$WORK/bourg.pmtiles" --force --json \
  > "$WORK/bourg.summary"
cat "$WORK/bourg.summary" >&2

# The tippecanoe input: each layer as FlatGeobuf through Bourg's OGC API.
IFS=, read -r -a IDS <<< "$LAYERS"
missing=()
for id in "${IDS[@]}"; do
  [ -f "$WORK/$id.fgb" ] && [ -s "$WORK/$id.fgb" ] || missing+=("$id")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== writing ${missing[*]} as FlatGeobuf from the OGC API" >&2
  "$BOURG_BIN" serve --layers "$BOURG_LAYERS" --addr "127.0.0.1:$PORT" 2> "$WORK/serve.log" &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
    kill -0 $server 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
    sleep 1
  done
  for id in "${missing[@]}"; do
    started=$(date +%s)
    rm -rf "$WORK/$id.partial.fgb"
    ogr2ogr -f FlatGeobuf "$WORK/$id.partial.fgb" "OAPIF:http://127.0.0.1:$PORT/ogc" "$id" \
      -oo PAGE_SIZE=10000 -nln "$id" -lco SPATIAL_INDEX=NO
    mv "$WORK/$id.partial.fgb" "$WORK/$id.fgb"
    echo "   $id: $(( $(date +%s) - started )) s, $(du -h "$WORK/$id.fgb" | cut -f1)" >&2
  done
  kill $server; wait $server 2>/dev/null || true
  trap - EXIT
fi

echo "== tippecanoe -Z$MINZOOM -z$MAXZOOM -r1 --drop-densest-as-needed" >&2
inputs=()
for id in "${IDS[@]}"; do inputs+=(-L "$id:$WORK/$id.fgb"); done
timed tippecanoe "$VENV/bin/tippecanoe" -o "$WORK/tippecanoe.pmtiles" --force --quiet \
  -Z"$MINZOOM" -z"$MAXZOOM" -r1 --drop-densest-as-needed "${inputs[@]}"

# Tiles by zoom read back with the PyPI reader (every directory, leaves included).
count() {
  "$VENV/bin/python" - "$1" <<'PY'
import collections, sys
from pmtiles.reader import MmapSource, Reader, all_tiles
with open(sys.argv[1], "r+b") as f:
    source = MmapSource(f)
    header = Reader(source).header()
    zooms = collections.Counter(z for (z, _, _), _ in all_tiles(source))
    assert sum(zooms.values()) == header["addressed_tiles_count"], "directories and header disagree"
    print(sum(zooms.values()), " ".join(f"z{z}:{n}" for z, n in sorted(zooms.items())))
PY
}

printf '\n%-12s %9s %9s %10s %11s %9s  %s\n' tool "wall s" "CPU s" "peak MiB" "MB" tiles "tiles by zoom"
for tool in bourg tippecanoe; do
  read -r wall rss user sys < "$WORK/$tool.time"
  read -r tiles zooms < <(count "$WORK/$tool.pmtiles")
  bytes=$(stat -c %s "$WORK/$tool.pmtiles")
  printf '%-12s %9s %9.1f %10d %11.1f %9d  %s\n' "$tool" "$wall" "$(echo "$user + $sys" | bc -l)" \
    $((rss / 1024)) "$(echo "$bytes / 1000000" | bc -l)" "$tiles" "$zooms"
done
python3 - "$WORK/bourg.summary" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])
print("\nbourg: {rendered} tiles rendered in {seconds:.1f} s after loading the catalogue "
      "({tiles_per_second:.0f} tiles/s), {tiles} written ({distinct} distinct), {empty} empty skipped".format(**s))
PY
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share the cores)"
