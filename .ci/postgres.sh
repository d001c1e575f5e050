#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the tests; print the export line for its URL.
#
#   eval "$(bash .ci/postgres.sh start DIR)"   # exports ONE2ONE_TEST_POSTGRES_URL
#   bash .ci/postgres.sh stop DIR
#
# DIR (created if needed) holds the cluster, its socket and its log; nothing else is
# touched. The Debian package postgresql (15 or newer) is installed when its binaries
# are missing. As root, the server runs as the "postgres" user (PostgreSQL refuses
# root). The port is a free localhost port chosen here. fsync is off (a test server
# loses nothing it needs); ONE2ONE_PG_FSYNC=on for benchmarks that measure commits.
set -euo pipefail
action="${1:?usage: postgres.sh start|stop DIR}"
dir="${2:?usage: postgres.sh start|stop DIR}"

find_bin() {
  local found
  found="$(command -v pg_ctl 2>/dev/null || true)"
  if [ -z "$found" ]; then
    found="$(ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1 || true)"
  fi
  [ -n "$found" ] && dirname "$(readlink -f "$found")"
}

bin="$(find_bin || true)"
if [ -z "$bin" ] && [ "$action" = start ]; then
  echo "postgres.sh: installing the Debian package postgresql" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  bin="$(find_bin)"
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$action" in
start)
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  as_owner "$bin/initdb" -D "$dir/data" -U one2one --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=${ONE2ONE_PG_FSYNC:-off} -c max_connections=200" start >/dev/null
  as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U one2one one2one_test 2>/dev/null \
    || as_owner psql -h 127.0.0.1 -p "$port" -U one2one -d postgres -qc "CREATE DATABASE one2one_test" >/dev/null
  echo "export ONE2ONE_TEST_POSTGRES_URL=postgresql://one2one@127.0.0.1:$port/one2one_test"
  ;;
stop)
  if [ -d "$dir/data" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: postgres.sh start|stop DIR" >&2
  exit 2
  ;;
esac
