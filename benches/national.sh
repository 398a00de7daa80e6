#!/usr/bin/env bash
# Side-by-side HTTP tile benchmark over metropolitan France: Bourg against Martin 1.14 serving the
# same national commune polygons, once from the GeoJSON file and once from a PostGIS 3 table, every
# tile cache off (Bourg --tile-cache-mb 0, Martin -C 0). Not run by CI: it needs wrk, Martin and
# PostgreSQL/PostGIS, takes a few minutes, and its figures depend on the machine.
#
#   benches/national.sh                            # from the repository root (or anywhere)
#   DURATION=60s BOURG_LAYERS=layers/demo benches/national.sh
#   benches/national.sh --tiles > benches/tiles_france.txt   # regenerate the fixed tile list
#
# In one run it:
#   1. starts `bourg serve --no-cache --tile-cache-mb 0` on $BOURG_LAYERS, times it from start to its
#      `serving on` line, and loads (a) the layer `communes` and (b) the composite
#      `rpls,vacance_batiments,communes`, then reads its peak RSS (VmHWM);
#   2. starts Martin on the gunzipped communes GeoJSON and loads (c) that source;
#   3. creates a throwaway PostgreSQL cluster in a temp dir (port $PG_PORT), loads the same file
#      with ogr2ogr (GIST index), starts Martin on it and loads (d) the table;
#   4. prints one table, stops every process it started and removes the temp dir.
# Every target gets the same list of tiles (benches/tiles_france.txt: all tiles over France with a
# commune for z0–z7, a fixed sample of 100 such tiles per zoom for z8–z14, shuffled with a fixed
# seed so any prefix mixes zooms) through `wrk -t2 -c16 -d$DURATION` and benches/tiles.lua, after
# a $WARMUP warm-up. Requests carry `Accept-Encoding: gzip` (as a browser's would; ACCEPT_ENCODING=
# to send none). wrk runs on the same machine as the servers.
#
# Environment: BOURG_BIN (default ${CARGO_TARGET_DIR:-~/.cache/bourg-target}/release/bourg, built
# by `cargo build --release`), BOURG_LAYERS (layers/france), MARTIN_BIN
# (/root/.cache/martin-1.14/bin/martin; when missing the Martin rows are skipped and the command
# that builds it is printed), DURATION (20s), WARMUP (3s, 0 to skip), TIMEOUT (wrk --timeout, 10s),
# TILES (benches/tiles_france.txt), PG_PORT (55432), PG_BIN (newest /usr/lib/postgresql/*/bin).
# Needs: wrk, curl, python3, and for the PostGIS row postgresql + postgis + ogr2ogr (gdal-bin):
#   apt-get install -y wrk postgresql-15 postgresql-15-postgis-3 gdal-bin
set -euo pipefail
cd "$(dirname "$0")/.."

POINTS=layers/data/france/communes_france_points_cog2025.csv.gz
COMMUNES=layers/data/france/communes_france_simplifiees_cog2025.geojson.gz
MARTIN_INSTALL="CARGO_TARGET_DIR=/tmp/martin-target cargo install martin@1.14.0 --locked --root /root/.cache/martin-1.14 --no-default-features --features geojson,postgres,mbtiles"

# The fixed tile list: z/x/y of the tiles holding a metropolitan commune's inner point (so every
# tile is over land in France), all of them for z0–z7, 100 drawn per zoom with seed 2025 for
# z8–z14; the whole list shuffled with the same generator.
make_tiles() {
  python3 - "$POINTS" <<'PY'
import csv, gzip, math, random, sys
points = []
with gzip.open(sys.argv[1], "rt", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        if not row["dep"].startswith("97"):  # metropolitan France
            points.append((float(row["lon"]), float(row["lat"])))
def tile(lon, lat, z):
    n = 1 << z
    lat = math.radians(lat)
    y = (1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * n
    return z, min(int((lon + 180) / 360 * n), n - 1), min(int(y), n - 1)
rng = random.Random(2025)
tiles = []
for z in range(15):
    at_z = sorted({tile(lon, lat, z) for lon, lat in points})
    tiles += at_z if z <= 7 or len(at_z) <= 100 else rng.sample(at_z, 100)
rng.shuffle(tiles)
print("\n".join(f"{z}/{x}/{y}" for z, x, y in tiles))
PY
}
if [ "${1:-}" = --tiles ]; then
  make_tiles
  exit 0
fi

# The command line quoted in the output: the variables set to something else than their default.
command=
setting() { # setting NAME DEFAULT: NAME keeps its value, or gets DEFAULT
  local value=${!1-$2}
  printf -v "$1" %s "$value"
  [ "$value" = "$2" ] || command+="$1=$(printf %q "$value") "
}
setting BOURG_BIN "${CARGO_TARGET_DIR:-$HOME/.cache/bourg-target}/release/bourg"
setting BOURG_LAYERS layers/france
setting MARTIN_BIN /root/.cache/martin-1.14/bin/martin
setting DURATION 20s
setting WARMUP 3s
setting TIMEOUT 10s
setting TILES benches/tiles_france.txt
setting PG_PORT 55432
setting ACCEPT_ENCODING gzip
command+=benches/national.sh
PG_BIN=${PG_BIN:-$(printf '%s\n' /usr/lib/postgresql/*/bin | grep -v '\*' | sort -V | tail -n 1)}

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "national.sh: $tool is missing (apt-get install -y wrk curl python3)" >&2; exit 1; }
done
[ -x "$BOURG_BIN" ] || { echo "national.sh: no Bourg binary at $BOURG_BIN (cargo build --release, or set BOURG_BIN)" >&2; exit 1; }
ls "$BOURG_LAYERS"/*.toml >/dev/null 2>&1 || { echo "national.sh: no layer file in $BOURG_LAYERS (set BOURG_LAYERS)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/bourg-national.XXXXXX)
chmod 755 "$tmp" # the postgres user reaches its cluster below
pids=()
pg_up=
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_pid() { # stop_pid PID: SIGTERM, then SIGKILL after 10 s
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  for pid in "${pids[@]}"; do stop_pid "$pid"; done
  [ -z "$pg_up" ] || run_pg "$PG_BIN/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -s "$TILES" ]; then
  echo "($TILES missing: generating the list into $tmp/tiles.txt)"
  TILES=$tmp/tiles.txt
  make_tiles >"$TILES"
fi
ntiles=$(grep -c '^[0-9]*/[0-9]*/[0-9]*$' "$TILES")

now_ms() { echo $(($(date +%s%N) / 1000000)); }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rss() { awk '/VmHWM/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }
# Waits until `curl URL` succeeds; echoes the milliseconds since START.
wait_http() { # wait_http URL PID START LOG
  for _ in $(seq 6000); do
    curl -sf -o /dev/null "$1" && { echo $(($(now_ms) - $3)); return 0; }
    kill -0 "$2" 2>/dev/null || break
    sleep 0.05
  done
  echo "national.sh: $1 did not come up; its log:" >&2
  tail -n 30 "$4" >&2
  return 1
}

wrk_args=(-t2 -c16 --timeout "$TIMEOUT" --latency)
[ -z "$ACCEPT_ENCODING" ] || wrk_args+=(-H "Accept-Encoding: $ACCEPT_ENCODING")
wrk_line=$(printf '%q ' "${wrk_args[@]}")
wrk_line=${wrk_line% }
rows=()
# bench SERVER SOURCE BASE PREFIX SUFFIX READY RSS_PID: warm-up, then the measured run; adds a row.
bench() {
  local server=$1 source=$2 base=$3 prefix=$4 suffix=$5 ready=$6 pid=$7 out line status
  status=$(curl -s -o /dev/null -w '%{http_code}' "$base${prefix}10/520/345$suffix")
  echo "  $server $source: GET ${prefix}10/520/345$suffix (Lens) -> $status"
  case $status in 200 | 204) ;; *) echo "national.sh: $server $source does not answer a tile" >&2; return 1 ;; esac
  if [ "$WARMUP" != 0 ]; then
    wrk "${wrk_args[@]}" -d"$WARMUP" -s benches/tiles.lua "$base" -- "$TILES" "$prefix" "$suffix" >/dev/null
  fi
  out=$tmp/wrk.out
  wrk "${wrk_args[@]}" -d"$DURATION" -s benches/tiles.lua "$base" -- "$TILES" "$prefix" "$suffix" >"$out"
  line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; return 1; }
  echo "  $line"
  rows+=("$server|$source|$line|$ready|$(rss "$pid")")
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

echo "# command: $command"
echo "# wrk $wrk_line -d$DURATION -s benches/tiles.lua URL -- $TILES PREFIX SUFFIX  ($ntiles tiles z0–z14, same list for every row)"
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1); $("$BOURG_BIN" --version); load average $(load)"

# (a), (b) Bourg.
# --no-cache: the time of a cold start (a warm restart reads the prepared-catalogue cache: README).
echo "Bourg: $BOURG_BIN serve --no-cache --layers $BOURG_LAYERS --web web --addr 127.0.0.1:0 --tile-cache-mb 0"
log=$tmp/bourg.log
start=$(now_ms)
"$BOURG_BIN" serve --no-cache --layers "$BOURG_LAYERS" --web web --addr 127.0.0.1:0 --tile-cache-mb 0 2>"$log" &
bourg=$!
pids+=("$bourg")
base=
while [ -z "$base" ]; do
  base=$(grep -o 'serving on http://127.0.0.1:[0-9]*' "$log" | sed 's/serving on //' || true)
  [ -n "$base" ] && break
  kill -0 "$bourg" 2>/dev/null || { echo "national.sh: Bourg stopped; its log:" >&2; tail -n 30 "$log" >&2; exit 1; }
  sleep 0.02
done
ready=$(($(now_ms) - start))
echo "  ready in $((ready / 1000)).$(printf %03d $((ready % 1000))) s at $base ($(grep -o 'catalogue loaded.*' "$log" | head -n 1))"
ready_s=$(awk -v ms="$ready" 'BEGIN { printf "%.1f s", ms / 1000 }')
bench Bourg communes "$base" /tiles/communes/ .mvt "$ready_s" "$bourg"
composite=rpls,vacance_batiments,communes
if curl -sf -o /dev/null "$base/layers/rpls" && curl -sf -o /dev/null "$base/layers/vacance_batiments"; then
  bench Bourg "$composite" "$base" "/tiles/$composite/" .mvt "$ready_s" "$bourg"
else
  echo "  (no layer rpls or vacance_batiments in $BOURG_LAYERS: composite row skipped)"
fi
# The rest of a user's warm-up: territory sheets (commune, EPCI, département), search, and items
# pages as QGIS pages through them; then the server's memory as /health reports it.
for path in /api/territories/29019 /api/territories/243500139 /api/territories/29 /api/territories/19010 \
  '/api/search?q=brest' '/api/sites?limit=50' \
  '/ogc/collections/rpls/items?limit=1000' '/ogc/collections/rpls/items?limit=1000&offset=500000' \
  '/ogc/collections/communes/items?limit=1000&bbox=-5,47,-1,49' '/ogc/collections/vacance_batiments/items?limit=1000'; do
  curl -s -o /dev/null -w "  warm-up %{http_code} %{time_total}s $path\n" "$base$path"
done
curl -s "$base/health" | python3 -c 'import json, sys
h = json.load(sys.stdin)
print("  /health: rss %.0f MiB, peak %.0f MiB" % (h["rss_bytes"] / 2**20, h["peak_rss_bytes"] / 2**20))
for l in h["layers"]:
    m = l["memory"]
    print("    %-20s %9d features  geometries %7.1f MiB  properties %6.1f MiB  index %6.1f MiB%s" % (l["id"], l["feature_count"], m["geometries"] / 2**20, m["properties"] / 2**20, m["index"] / 2**20, "  (shared)" if m["shared"] else ""))' || true
bourg_peak=$(rss "$bourg")
echo "  peak RSS after tiles, sheets, search and items: $bourg_peak"
stop_pid "$bourg"

# (c), (d) Martin.
if [ ! -x "$MARTIN_BIN" ]; then
  echo "Martin: no binary at $MARTIN_BIN, Martin rows skipped. Build it (~16 min on 2 cores) with:"
  echo "  $MARTIN_INSTALL"
else
  gunzip -c "$COMMUNES" >"$tmp/communes.geojson" # file stem = Martin's source id
  # start_martin NAME ARG...: sets mpid, mbase, mready
  start_martin() {
    local name=$1 port
    shift
    port=$(free_port)
    mbase=http://127.0.0.1:$port
    local start
    start=$(now_ms)
    echo "Martin: $MARTIN_BIN -C 0 --listen-addresses 127.0.0.1:$port $*  ($("$MARTIN_BIN" --version))"
    "$MARTIN_BIN" -C 0 --listen-addresses "127.0.0.1:$port" "$@" >"$tmp/martin-$name.log" 2>&1 &
    mpid=$!
    pids+=("$mpid")
    local ms
    ms=$(wait_http "$mbase/health" "$mpid" "$start" "$tmp/martin-$name.log")
    mready=$(awk -v ms="$ms" 'BEGIN { printf "%.1f s", ms / 1000 }')
    echo "  ready in $mready at $mbase, catalog: $(curl -s "$mbase/catalog" | tr -d '\n' | cut -c1-160)"
  }
  start_martin geojson "$tmp/communes.geojson"
  bench Martin "GeoJSON file" "$mbase" /communes/ "" "$mready" "$mpid"
  stop_pid "$mpid"

  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ] || ! command -v ogr2ogr >/dev/null; then
    echo "PostGIS: PostgreSQL or ogr2ogr missing, row skipped (apt-get install -y postgresql-15 postgresql-15-postgis-3 gdal-bin)"
  else
    mkdir "$tmp/pg"
    [ "$(id -u)" != 0 ] || chown postgres "$tmp/pg"
    run_pg "$PG_BIN/initdb" -D "$tmp/pg" -A trust -U postgres -E UTF8 --no-locale >"$tmp/initdb.log" 2>&1 ||
      { cat "$tmp/initdb.log" >&2; exit 1; }
    run_pg "$PG_BIN/pg_ctl" -D "$tmp/pg" -l "$tmp/pg/server.log" -w \
      -o "-p $PG_PORT -k $tmp/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    pg_up=1
    psql=("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)
    "${psql[@]}" -c 'CREATE EXTENSION postgis'
    start=$(now_ms)
    ogr2ogr -f PostgreSQL PG:"host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres" "$tmp/communes.geojson" \
      -nln communes -nlt PROMOTE_TO_MULTI -lco GEOMETRY_NAME=geom -lco SPATIAL_INDEX=GIST -t_srs EPSG:4326
    "${psql[@]}" -c 'ANALYZE communes'
    gist=$("${psql[@]}" -c "SELECT indexname FROM pg_indexes WHERE tablename = 'communes' AND indexdef LIKE '%USING gist%'")
    [ -n "$gist" ] || { echo "national.sh: no GIST index on communes" >&2; exit 1; }
    echo "PostGIS: PostgreSQL $("${psql[@]}" -c 'SHOW server_version'), PostGIS $("${psql[@]}" -c 'SELECT postgis_lib_version()'):" \
      "$("${psql[@]}" -c 'SELECT count(*) FROM communes') rows loaded, GIST index $gist, in $((($(now_ms) - start) / 1000)) s"
    start_martin postgis "postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
    bench Martin "PostGIS table" "$mbase" /communes/ "" "$mready" "$mpid"
    stop_pid "$mpid"
  fi
fi

echo
echo "# command: $command"
echo "# wrk $wrk_line -d$DURATION -s benches/tiles.lua URL -- $TILES PREFIX SUFFIX  ($ntiles tiles z0–z14)"
fmt='%-7s %-32s %8s %8s %8s %8s %13s %16s %7s %7s %8s %9s\n'
# shellcheck disable=SC2059
printf "$fmt" server source req/s "p50 ms" "p90 ms" "p99 ms" "200 / 204" "bad/timeout/sock" passes KB/resp ready "peak RSS"
for row in "${rows[@]}"; do
  IFS='|' read -r server source line ready peak <<<"$row"
  f() { field "$1" "$line"; }
  # shellcheck disable=SC2059
  printf "$fmt" "$server" "$source" "$(f rps)" "$(f p50)" "$(f p90)" "$(f p99)" "$(f ok) / $(f empty)" \
    "$(f bad)/$(f timeouts)/$(($(f connect) + $(f read) + $(f write)))" \
    "$(awk -v n="$(f requests)" -v t="$(f tiles)" 'BEGIN { printf "%.1f", n / t }')" \
    "$(awk -v b="$(f bytes)" -v n="$(f requests)" 'BEGIN { printf "%.1f", n ? b / n / 1024 : 0 }')" "$ready" "$peak"
done
echo "# ready: start to listening (Bourg: its 'serving on' line; Martin: /health answers). peak RSS: VmHWM of the server"
echo "# process read after that row's run (one Bourg process serves both its rows; PostgreSQL's memory is not in Martin's)."
echo "# passes: requests / tiles in the list (below 1, not every tile of the list was asked for)."
echo "# load average at the end: $(load) (wrk shares the machine with the servers)."
echo "# 204 = empty tile (Bourg sends none below a layer's min_zoom). KB/resp: bytes read per response, headers included."
