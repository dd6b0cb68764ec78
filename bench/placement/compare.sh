#!/usr/bin/env bash
# Side-by-side Placement benchmark: upstream Placement (uWSGI) vs concord, interleaved A B A B in
# one sitting, with the shared perfload workload (../shared/bench/placement). Not a test.
#
#   bench/placement/compare.sh [sqlite|postgresql] [PROVIDERS] [ROUNDS]
#   NESTED=1 bench/placement/compare.sh postgresql 100     # upstream's nested shape: 100 trees of 7
# Results: bench/results/<date>-<engine>-<N>[-nested]/{upstream,concord}<round>.json and table.md
set -euo pipefail
cd "$(dirname "$0")/../.."
ENGINE=${1:-sqlite}; N=${2:-1000}; ROUNDS=${3:-2}
SHARED=$(cd ../shared/bench/placement && pwd)
OUT=bench/results/$(date +%Y%m%d-%H%M)-$ENGINE-$N${NESTED:+-nested}
mkdir -p "$OUT"
CONCORD="$PWD/bin/concord.js serve placement --port {port} --data-dir {datadir} --auth-strategy noauth2"
# Both servers shuffle candidates, as the upstream gate (and the upstream script by default) does.
export PLACEMENT_RANDOMIZE=True CONCORD_PLACEMENT__RANDOMIZE_ALLOCATION_CANDIDATES=True
UPSTREAM="$SHARED/upstream-placement-uwsgi {port} {datadir}"
if [ "$ENGINE" = postgresql ]; then
  CONCORD="$PWD/bench/placement/concord-pg-server.sh {port} {datadir}"
  LOADC=10
else
  LOADC=1   # upstream under uWSGI answers concurrent SQLite writes with 500 "database is locked"
fi
OPTS="--providers $N --requests 100 --list-requests 50 --samples 5 --concurrency 10 --load-concurrency $LOADC --json${NESTED:+ --nested}"
args=()
for i in $(seq 1 "$ROUNDS"); do
  echo "round $i: upstream" >&2
  PLACEMENT_DB=$ENGINE "$SHARED/perfload" --server-cmd "$UPSTREAM" --port 8911 $OPTS > "$OUT/A$i.json"
  echo "round $i: concord" >&2
  "$SHARED/perfload" --server-cmd "$CONCORD" --port 8912 $OPTS > "$OUT/B$i.json"
  args+=("upstream$i=$OUT/A$i.json" "concord$i=$OUT/B$i.json")
done
"$SHARED/perfload-table" "${args[@]}" | tee "$OUT/table.md"
