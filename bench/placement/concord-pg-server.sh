#!/usr/bin/env bash
# concord-pg-server.sh PORT DATADIR: `concord serve placement` on a fresh PostgreSQL database in the
# private cluster that ../shared/bench/placement/upstream-placement-uwsgi runs (127.0.0.1:8950),
# so both servers use the same PostgreSQL. Run an upstream round first to create the cluster
# (or start it as that script does), or name another cluster with PLACEMENT_PG_PORT (as
# scripts/conformance.sh postgresql does). Memory is reported like concord-rss.sh's ($RSS_LOG).
set -euo pipefail
PORT=$1; DATADIR=$2
PGPORT=${PLACEMENT_PG_PORT:-8950}
DB=concord_bench_$PORT
psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE $DB" >/dev/null
exec "$(dirname "$0")/concord-rss.sh" "$PORT" "$DATADIR" --database-url "postgresql://postgres@127.0.0.1:$PGPORT/$DB"
