#!/usr/bin/env bash
# A private, throw-away PostgreSQL cluster for scripts (the tests start theirs from
# test/helpers/postgres.ts). Needs the Debian postgresql package.
#   scripts/pg-cluster.sh start DIR   → initdb in DIR, start on a free port, print the port
#   scripts/pg-cluster.sh stop DIR    → stop it and remove DIR
set -euo pipefail
CMD=$1; DIR=$2
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$BIN/pg_ctl" ] || { echo "PostgreSQL server binaries not installed (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case $CMD in
  start)
    mkdir -p "$DIR" && chmod 777 "$DIR"
    PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
    as_pg "$BIN/initdb" -A trust -U postgres -D "$DIR/data" --no-sync >/dev/null
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o \
      "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    echo "$PORT" ;;
  stop)
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$DIR" ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
