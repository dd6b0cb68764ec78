#!/usr/bin/env bash
# bench/jobs/run.sh sqlite|postgresql [JOBS] [RATE]: run.mjs on a fresh SQLite file, or on a fresh
# database of a private PostgreSQL cluster (Debian's binaries, as the tests use), removed after.
set -euo pipefail
cd "$(dirname "$0")/../.."
ENGINE=${1:?sqlite or postgresql}; shift
DIR=$(mktemp -d /tmp/concord-bench-jobs.XXXXXX)
cleanup() {
  [ -n "${PGBIN:-}" ] && ${AS_PG} "$PGBIN/pg_ctl" -D "$DIR/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
case "$ENGINE" in
  sqlite) node bench/jobs/run.mjs "$DIR/bench.sqlite" "$@" ;;
  postgresql)
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    AS_PG=""; [ "$(id -u)" = 0 ] && AS_PG="runuser -u postgres --"
    chmod 777 "$DIR"
    PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
    ${AS_PG} "$PGBIN/initdb" -A trust -U postgres -D "$DIR/pg" --no-sync >/dev/null
    ${AS_PG} "$PGBIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pg.log" -w -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1" start >/dev/null
    node bench/jobs/run.mjs "postgresql://postgres@127.0.0.1:$PORT/postgres" "$@" ;;
  *) echo "unknown engine: $ENGINE" >&2; exit 2 ;;
esac
