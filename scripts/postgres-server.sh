#!/usr/bin/env bash
# A throwaway PostgreSQL server from Debian's postgresql package, on a free loopback port, with its
# data in a temporary directory: for the test suite and `orderpay bench flow --database`.
#
#   eval "$(scripts/postgres-server.sh start)"   # exports ORDERPAY_TEST_DATABASE and ORDERPAY_PG_DIR
#   scripts/postgres-server.sh stop "$ORDERPAY_PG_DIR"
#
# `start --fast` turns off fsync (for tests: nothing there needs to survive a power cut). Without it
# the server commits durably, as production would; the flow benchmark uses that.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

run_as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
  fast=0; [ "${2:-}" = "--fast" ] && fast=1
  dir=$(mktemp -d /tmp/orderpay-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  echo orderpay > "$dir/pw"
  run_as_postgres "$bin/initdb" -D "$dir/data" -U orderpay --pwfile="$dir/pw" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  options="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=400"
  [ "$fast" -eq 1 ] && options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  run_as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$options" -w start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "export ORDERPAY_TEST_DATABASE=postgres://orderpay:orderpay@127.0.0.1:$port/postgres"
  echo "export ORDERPAY_PG_DIR=$dir"
  ;;
stop)
  dir=${2:?usage: postgres-server.sh stop DIR}
  run_as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: postgres-server.sh start [--fast] | stop DIR" >&2; exit 2
  ;;
esac
