#!/usr/bin/env bash
# Runs the upstream Placement gabbi suite (../shared/conformance/placement) against
# `concord serve placement`. Fails on any failure not listed, with its reason, in
# test/conformance/placement-known-failures.txt (mirrored in docs/placement.md).
#   scripts/conformance.sh               on SQLite (the embedded default)
#   scripts/conformance.sh postgresql    on a private PostgreSQL cluster, a fresh database per server
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=${1:-sqlite}; [ $# -gt 0 ] && shift
case $ENGINE in sqlite|postgresql) ;; *) echo "conformance.sh: engine sqlite or postgresql, not $ENGINE" >&2; exit 2 ;; esac
RUNNER=${PLACEMENT_CONFORMANCE:-../shared/conformance/placement/run}
if [ ! -x "$RUNNER" ]; then
  if [ -n "${CI:-}" ]; then echo "conformance runner $RUNNER not found" >&2; exit 1; fi
  echo "skipped: Placement conformance (runner $RUNNER not found beside the checkout)"; exit 0
fi
SERVER="node --no-deprecation $PWD/bin/concord.js serve placement --port {port} --data-dir {datadir} --auth-strategy noauth2"
if [ "$ENGINE" = postgresql ]; then
  cluster=$(mktemp -d /tmp/concord-conformance-pg.XXXXXX)
  trap 'scripts/pg-cluster.sh stop "$cluster"' EXIT
  export PLACEMENT_PG_PORT; PLACEMENT_PG_PORT=$(scripts/pg-cluster.sh start "$cluster")
  SERVER="$PWD/bench/placement/concord-pg-server.sh {port} {datadir}"
fi
report=$(mktemp /tmp/placement-conformance.XXXXXX.json)
set +e
"$RUNNER" --jobs "${CONFORMANCE_JOBS:-2}" --report "$report" --server-cmd "$SERVER" "$@" > "$report.log" 2>&1
set -e
echo -n "[$ENGINE] "
node scripts/conformance-check.mjs "$report" test/conformance/placement-known-failures.txt
