#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and the benchmarks: initialised in a temporary
# folder, listening on 127.0.0.1 on a free port, with a role `bourg` (LOGIN CREATEDB, password)
# owning a database `bourg`; about 1.5 s to start, nothing left behind once stopped.
#
#   scripts/postgres-test.sh run [--durable] -- CMD ARGS…
#       starts a cluster, runs CMD with BOURG_TEST_POSTGRES=postgres://bourg:…@127.0.0.1:PORT/bourg
#       in its environment, stops the cluster (also on failure or Ctrl-C) and exits with CMD's
#       status. When BOURG_TEST_POSTGRES is already set, runs CMD against that server instead.
#   eval "$(scripts/postgres-test.sh start [--durable])"
#       starts a cluster and prints the `export` lines of BOURG_TEST_POSTGRES and
#       BOURG_TEST_POSTGRES_DIR; `scripts/postgres-test.sh stop "$BOURG_TEST_POSTGRES_DIR"` ends it.
#
# The tests' cluster trades durability for speed (fsync, synchronous_commit and full_page_writes
# off: the tests kill Bourg, never PostgreSQL, so every commit PostgreSQL acknowledged is still
# read back). `--durable` keeps PostgreSQL's defaults, for benchmarks whose figures must mean
# what they would in production.
#
# Needs PostgreSQL's server binaries (Debian/Ubuntu: `postgresql`, which `make test` installs
# through TEST_APT_PACKAGES). As root, the cluster runs as the `postgres` user (initdb refuses
# root); otherwise as the current user.
set -euo pipefail

die() { echo "postgres-test: $*" >&2; exit 1; }

# The newest installed server's bin folder (Debian keeps them outside PATH).
pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
    echo "$dir"
  elif command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
  else
    die "PostgreSQL's server is not installed (Debian/Ubuntu: apt-get install postgresql; make test installs it)"
  fi
}

# Runs a command as the cluster's owner, from a folder that owner can read.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

start() {
  local durable=$1 bin dir port password settings attempt
  bin=$(pg_bindir)
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "no 'postgres' user to run the cluster as (root cannot run initdb)"
  fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/bourg-postgres.XXXXXX")
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 --no-sync \
    --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; die "initdb failed"; }
  settings="-c listen_addresses=127.0.0.1 -k $dir -c max_connections=200"
  if [ "$durable" = 0 ]; then
    settings="$settings -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  # A random port, again when it happens to be taken.
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 40000))
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 20 \
      -o "-p $port $settings" start >/dev/null 2>&1; then
      break
    fi
    port=""
  done
  if [ -z "$port" ]; then
    cat "$dir/server.log" >&2 || true
    rm -rf "$dir"
    die "the cluster did not start"
  fi
  as_owner "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE bourg LOGIN CREATEDB PASSWORD '$password'" \
    -c "CREATE DATABASE bourg OWNER bourg" >/dev/null \
    || { stop "$dir"; die "could not create the role and database bourg"; }
  echo "$port" >"$dir/port"
  echo "export BOURG_TEST_POSTGRES=postgres://bourg:$password@127.0.0.1:$port/bourg"
  echo "export BOURG_TEST_POSTGRES_DIR=$dir"
}

stop() {
  local dir=$1 bin
  [ -n "$dir" ] && [ -d "$dir/data" ] || return 0
  bin=$(pg_bindir)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

durable=0
command=${1:-}
shift || true
if [ "${1:-}" = --durable ]; then
  durable=1
  shift
fi

case "$command" in
  start)
    start "$durable"
    ;;
  stop)
    stop "${1:-${BOURG_TEST_POSTGRES_DIR:-}}"
    ;;
  run)
    [ "${1:-}" = -- ] && shift
    [ $# -gt 0 ] || die "usage: $0 run [--durable] -- CMD ARGS…"
    if [ -n "${BOURG_TEST_POSTGRES:-}" ]; then
      exec "$@"
    fi
    exports=$(start "$durable")
    eval "$exports"
    trap 'stop "$BOURG_TEST_POSTGRES_DIR"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    echo "postgres-test: cluster on ${BOURG_TEST_POSTGRES##*@} (durable=$durable)" >&2
    status=0
    "$@" || status=$?
    exit "$status"
    ;;
  *)
    die "usage: $0 run [--durable] -- CMD ARGS… | start [--durable] | stop [DIR]"
    ;;
esac
