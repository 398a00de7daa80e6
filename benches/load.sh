#!/usr/bin/env bash
# Load under saturation: 200 concurrent connections for 60 s, twice, on a mixed list of requests
# (tiles of one and three layers, site-finder tiles, OGC items pages in WGS84 and Lambert-93,
# territory sheets of communes, EPCI and départements, search, site rankings), on loopback.
# Checks what the hardening issue asks: no connection error or timeout (503s, the server saying
# it is busy, are counted and reported, not errors), no other error status, the resident memory
# after the second run within 10 % of the first, and the thread count bounded. Not run by CI (two
# minutes of full load); `make bench-load`. Figures go to the README.
#
#   benches/load.sh                                  # the national catalogue (layers/france)
#   BOURG_LAYERS=layers/demo DURATION=20s benches/load.sh
#
# Environment: BOURG_BIN (default ${CARGO_TARGET_DIR:-~/.cache/bourg-target}/release/bourg),
# BOURG_LAYERS (layers/france), CONNECTIONS (200), DURATION (60s), RUNS (2), TIMEOUT (wrk
# --timeout, 40s: longer than the server's own 30 s request deadline, so that the server always
# answers first), PATHS_N (3000), SEED (2026). Extra arguments go to `bourg serve` (e.g.
# --cpu-work 2). Needs wrk, python3; the prepared-catalogue cache is used as `make run` does.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BOURG_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/bourg-target}/release/bourg}
LAYERS=${BOURG_LAYERS:-layers/france}
CONNECTIONS=${CONNECTIONS:-200}
DURATION=${DURATION:-60s}
RUNS=${RUNS:-2}
TIMEOUT=${TIMEOUT:-40s}
PATHS_N=${PATHS_N:-3000}
SEED=${SEED:-2026}
for tool in wrk python3; do
  command -v "$tool" >/dev/null || { echo "load.sh: $tool is missing (apt-get install -y wrk python3)" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "load.sh: no $BIN (cargo build --release)" >&2; exit 1; }

tmp=$(mktemp -d)
pid=""
sampler=""
cleanup() {
  [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
  [ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; } || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# The mixed list: places drawn from the national commune points (restricted to the catalogue's
# départements when it is the demo), tiles from benches/tiles_france.txt.
python3 - "$tmp/paths.txt" "$PATHS_N" "$SEED" "$LAYERS" <<'PY'
import csv, gzip, random, sys, urllib.parse
out, n, seed, layers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = random.Random(seed)
demo = layers.rstrip("/").endswith("demo")
places = []
with gzip.open("layers/data/france/communes_france_points_cog2025.csv.gz", "rt", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        if row["dep"].startswith("97") or (demo and row["dep"] not in ("62", "25")):
            continue
        places.append(row)
tiles = [l.strip() for l in open("benches/tiles_france.txt") if l.strip()]
if demo:
    tiles = [t for t in tiles if int(t.split("/")[0]) <= 6]
def bbox(p, r):
    lon, lat = float(p["lon"]), float(p["lat"])
    return f"{lon - r:.4f},{lat - r:.4f},{lon + r:.4f},{lat + r:.4f}"
L93 = "http://www.opengis.net/def/crs/EPSG/0/2154"
kinds = [
    (30, lambda: f"/tiles/communes/{rng.choice(tiles)}.mvt"),
    (12, lambda: f"/tiles/rpls/{rng.choice(tiles)}.mvt"),
    (10, lambda: f"/tiles/rpls,vacance_batiments,communes/{rng.choice(tiles)}.mvt"),
    (4, lambda: f"/api/sites/tiles/{rng.choice(tiles)}.mvt"),
    (8, lambda: f"/ogc/collections/communes/items?limit=100&bbox={bbox(rng.choice(places), 0.2)}"),
    (5, lambda: f"/ogc/collections/rpls/items?limit=1000&bbox={bbox(rng.choice(places), 0.05)}&crs={urllib.parse.quote(L93, safe='')}"),
    (10, lambda: f"/api/territories/{rng.choice(places)['code']}"),
    (4, lambda: f"/api/territories/{rng.choice(places)['epci']}"),
    (3, lambda: f"/api/territories/{rng.choice(places)['dep']}"),
    (10, lambda: "/api/search?q=" + urllib.parse.quote(rng.choice(places)["nom"][: rng.randint(3, 8)])),
    (4, lambda: f"/api/sites?territory={rng.choice(places)['dep']}&limit=50"),
]
weights = [w for w, _ in kinds]
with open(out, "w") as f:
    for _ in range(n):
        f.write(rng.choices(kinds, weights)[0][1]() + "\n")
PY

log=$tmp/server.log
"$BIN" serve --layers "$LAYERS" --web web --addr 127.0.0.1:0 "$@" 2>"$log" &
pid=$!
base=""
for _ in $(seq 1800); do
  base=$(grep -o 'serving on http://127.0.0.1:[0-9]*' "$log" | sed 's/serving on //' || true)
  [ -n "$base" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
[ -n "$base" ] || { cat "$log"; exit 1; }

status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
mib() { awk '{ printf "%.0f", $1 / 1024 }' <<<"$1"; }
echo "# bourg serve --layers $LAYERS $*  ($base; $(nproc) cores)"
echo "# wrk -t2 -c$CONNECTIONS -d$DURATION --timeout $TIMEOUT -s benches/paths.lua URL -- PATHS  ($PATHS_N mixed requests, seed $SEED), $RUNS runs"
echo "# after start: RSS $(mib "$(status "$pid" VmRSS)") MiB, $(status "$pid" Threads) threads"
printf '%-4s %9s %8s %8s %8s %8s %8s %8s %6s %6s %8s %9s %9s %8s\n' \
  run requests rps p50_ms p99_ms max_ms ok busy503 bad errors rss_MiB peak_MiB threads max_thr
rss=()
fail=0
max_threads=0
for run in $(seq "$RUNS"); do
  echo 0 >"$tmp/threads"
  ( peak=0; while :; do t=$(status "$pid" Threads || echo 0); [ "${t:-0}" -gt "$peak" ] && { peak=$t; echo "$peak" >"$tmp/threads"; }; sleep 0.5; done ) &
  sampler=$!
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout "$TIMEOUT" --latency -s benches/paths.lua "$base" -- "$tmp/paths.txt" | grep '^BENCH')
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; sampler=""
  sleep 1
  declare -A m=()
  for kv in ${out#BENCH }; do m[${kv%%=*}]=${kv#*=}; done
  errors=$(( m[timeouts] + m[connect] + m[read] + m[write] ))
  now=$(status "$pid" VmRSS); rss+=("$now")
  peak_threads=$(cat "$tmp/threads")
  [ "$peak_threads" -gt "$max_threads" ] && max_threads=$peak_threads
  printf '%-4s %9s %8s %8s %8s %8s %8s %8s %6s %6s %8s %9s %9s %8s\n' "$run" "${m[requests]}" "${m[rps]}" \
    "${m[p50]}" "${m[p99]}" "${m[max]}" "${m[ok]}" "${m[busy]}" "${m[bad]}" "$errors" "$(mib "$now")" \
    "$(mib "$(status "$pid" VmHWM)")" "$(status "$pid" Threads)" "$peak_threads"
  [ "$errors" -eq 0 ] || { echo "FAIL run $run: $errors connection errors or timeouts"; fail=1; }
  [ "${m[bad]}" -eq 0 ] || { echo "FAIL run $run: ${m[bad]} answers other than 2xx, 304 or 503"; fail=1; }
  unset m
done
if [ "${#rss[@]}" -ge 2 ]; then
  growth=$(python3 -c "print(f'{(${rss[-1]} - ${rss[0]}) / ${rss[0]} * 100:+.1f}')")
  echo "# resident memory after the last run vs the first: $growth %"
  python3 -c "import sys; sys.exit(0 if abs(${rss[-1]} - ${rss[0]}) <= 0.10 * ${rss[0]} else 1)" ||
    { echo "FAIL: resident memory moved by more than 10 % between runs"; fail=1; }
fi
# Tokio's workers (one per core), CPU work (--cpu-work, twice the cores by default) and a
# margin of 8 blocking threads, plus the main, signal and cache-writer threads.
bound=$(( $(nproc) * 3 + 8 + 4 ))
echo "# most threads seen: $max_threads (bound $bound)"
[ "$max_threads" -le "$bound" ] || { echo "FAIL: more than $bound threads"; fail=1; }
refused=$(curl -s "$base/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["work"]["refused"])' 2>/dev/null || echo "?")
echo "# 503s from the CPU line since the start (/health): $refused"
exit "$fail"
