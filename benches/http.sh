#!/usr/bin/env bash
# HTTP latency of the analysis endpoints, measured with curl against the release server on the
# demo: per URL, N sequential requests after one warm-up, median and 95th percentile of curl's
# time_total (connection included). `make bench-http` (builds the release binary first).
set -euo pipefail
BIN=${BOURG_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/bourg-target}/release/bourg}
N=${N:-50}
cd "$(dirname "$0")/.."
log=$(mktemp)
"$BIN" serve --addr 127.0.0.1:0 --layers layers/demo --web web 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 600); do
  base=$(grep -o 'serving on http://127.0.0.1:[0-9]*' "$log" | sed 's/serving on //' || true)
  [ -n "$base" ] && break
  sleep 0.1
done
[ -n "$base" ] || { cat "$log"; exit 1; }
echo "server: $base ($(grep -o 'layers=[0-9]*' "$log" | head -1))"
printf '%-62s %9s %9s\n' "request" "p50 ms" "p95 ms"
measure() {
  local method=$1 path=$2 body=${3:-}
  local args=(-s -o /dev/null -w '%{time_total}\n')
  [ "$method" = POST ] && args+=(-X POST -H 'content-type: application/geo+json' --data "$body")
  curl "${args[@]}" "$base$path" >/dev/null # warm-up (fills the caches a user's first click fills)
  for _ in $(seq "$N"); do curl "${args[@]}" "$base$path"; done | sort -n |
    awk -v n="$N" -v what="$method $path" '{ t[NR] = $1 * 1000 }
      END { printf "%-62s %9.2f %9.2f\n", substr(what, 1, 62), t[int((n + 1) / 2)], t[int(n * 0.95)] }'
}
square='{"type":"Polygon","coordinates":[[[2.78,50.40],[2.88,50.40],[2.88,50.46],[2.78,50.46],[2.78,50.40]]]}'
measure GET /api/territories/62498
measure GET /api/territories/246200364
measure GET /api/territories/62
measure POST /api/territories/stats "$square"
measure GET '/api/sites?limit=50'
measure GET '/api/sites?territory=62&limit=1000'
measure GET '/api/sites?limit=50&weights=vacancy:0.6'
measure GET '/api/sites/tiles/12/2080/1381.mvt'
measure GET '/api/sites?f=gpkg&limit=1000'
echo "peak RSS of the server: $(awk '/VmHWM/ {print $2 / 1024 " MiB"}' /proc/$pid/status)"
