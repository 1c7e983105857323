#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the server's tests and benchmarks.
#   scripts/pg.sh start DIR PORT   initdb in DIR (trust auth, user `ps`), start on
#                                  127.0.0.1:PORT, print postgres://ps@127.0.0.1:PORT/postgres
#   scripts/pg.sh stop DIR         stop it (fast) and remove DIR
# As root, initdb/pg_ctl run as the `postgres` user (initdb refuses root).
# Needs Debian's `postgresql` (scripts/setup.sh installs it).
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "pg.sh: PostgreSQL is not installed (apt-get install -y postgresql, or scripts/setup.sh)" >&2
  exit 1
fi

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=${1:-}
dir=${2:-}
[ -n "$dir" ] || { echo "usage: pg.sh start DIR PORT | stop DIR" >&2; exit 2; }

case "$cmd" in
  start)
    port=${3:?usage: pg.sh start DIR PORT}
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    # The postgres user must reach DIR: its parents need to be traversable.
    if ! as_pg "$bin/initdb" -D "$dir/data" -A trust -U ps >"$dir/initdb.log" 2>&1; then
      cat "$dir/initdb.log" >&2; exit 1
    fi
    if ! as_pg "$bin/pg_ctl" -D "$dir/data" \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" \
      -l "$dir/log" -w start >/dev/null; then
      cat "$dir/log" >&2; exit 1
    fi
    echo "postgres://ps@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pg.sh start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
