#!/usr/bin/env bash
# Holds the OGC API to its own OpenAPI definition: schemathesis (every check) against /ogc/api of
# the debug server on the demo catalogue. Builds nothing: BOURG_BIN names the server binary, and
# SCHEMATHESIS the schemathesis 4 executable (`make conformance` passes both).
#
# The server listens on a free loopback port (it picks it, this reads it from its log) and is
# stopped on exit, whatever happens. Any failure or error fails the script.
#
# Bounded for a 2-core CI machine (about a minute): SCHEMATHESIS_EXAMPLES cases per operation
# and phase, 2 workers, a fixed SCHEMATHESIS_SEED so a failure reproduces; change the seed to
# explore further.

set -euo pipefail

: "${BOURG_BIN:?BOURG_BIN must name the bourg binary (make conformance sets it)}"
SCHEMATHESIS=${SCHEMATHESIS:-$HOME/.cache/bourg-venv/bin/schemathesis}
EXAMPLES=${SCHEMATHESIS_EXAMPLES:-30}
SEED=${SCHEMATHESIS_SEED:-20261129}

root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
server=""
stop() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT

cd "$root"
BOURG_LOG=info "$BOURG_BIN" serve --no-cache --addr 127.0.0.1:0 --layers layers/demo --web web \
  >"$work/server.log" 2>&1 &
server=$!

base=""
for _ in $(seq 120); do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "the server exited:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  base=$(grep -o 'serving on http://127\.0\.0\.1:[0-9]*' "$work/server.log" | head -n1 | cut -d' ' -f3 || true)
  if [ -n "$base" ] && curl -sf "$base/health" >/dev/null; then
    break
  fi
  base=""
  sleep 0.5
done
if [ -z "$base" ]; then
  echo "the server did not answer /health within 60 s:" >&2
  cat "$work/server.log" >&2
  exit 1
fi

start=$SECONDS
# hooks.py tells the generator what a valid CQL2 filter and bbox look like, which OpenAPI 3.0
# cannot say. Run from the temporary folder, so schemathesis's cache of past failures stays out of
# the repository (every failure it reports carries a curl command that reproduces it).
status=0
cd "$work"
PYTHONPATH="$root/tests/conformance${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=hooks \
  "$SCHEMATHESIS" run "$base/ogc/api" \
  --checks all \
  --max-examples "$EXAMPLES" \
  --workers 2 \
  --seed "$SEED" \
  --generation-database none \
  --request-timeout 30 \
  --no-color \
  || status=$?
echo "schemathesis: $((SECONDS - start)) s, exit status $status"
if [ "$status" -ne 0 ] && grep -q ' ERROR ' "$work/server.log"; then
  echo "server errors:" >&2
  grep ' ERROR ' "$work/server.log" >&2
fi
exit "$status"
