#!/usr/bin/env bash
# How allocation candidates scale with the number of providers, side by side with upstream
# (uWSGI) when asked. Not a test.
#
#   bench/placement/scale.sh [sqlite|postgresql] SIZES [upstream]
#   e.g. bench/placement/scale.sh sqlite 1000,5000,20000,100000
#        bench/placement/scale.sh postgresql 1000,5000,20000 upstream
# Results: bench/results/<date>-scale-<engine>/{concord,upstream}.json, concord-rss.log
# (server resident memory at the end of each size: VmRSS, and the peak VmHWM, in kB).
# Upstream runs with randomised candidates (its script's default, as the gate); concord with
# its default (not randomised) unless CONCORD_PLACEMENT__RANDOMIZE_ALLOCATION_CANDIDATES=True.
set -euo pipefail
cd "$(dirname "$0")/../.."
ENGINE=${1:-sqlite}; SIZES=${2:-1000,5000,20000}; WITH_UPSTREAM=${3:-}
SHARED=$(cd ../shared/bench/placement && pwd)
OUT=bench/results/$(date +%Y%m%d-%H%M)-scale-$ENGINE${CONCORD_PLACEMENT__RANDOMIZE_ALLOCATION_CANDIDATES:+-randomized}
mkdir -p "$OUT"
CONCORD="$PWD/bench/placement/concord-rss.sh {port} {datadir}"
if [ "$ENGINE" = postgresql ]; then
  CONCORD="$PWD/bench/placement/concord-pg-server.sh {port} {datadir}"
fi
export RSS_LOG=$PWD/$OUT/concord-rss.log
"$SHARED/perfload" --scale "$SIZES" --server-cmd "$CONCORD" --port 8921 --samples 5 --load-concurrency 10 --json \
  > "$OUT/concord.json"
if [ -n "$WITH_UPSTREAM" ]; then
  PLACEMENT_DB=$ENGINE "$SHARED/perfload" --scale "$SIZES" --server-cmd "$SHARED/upstream-placement-uwsgi {port} {datadir}" \
    --port 8922 --samples 5 --load-concurrency "$([ "$ENGINE" = sqlite ] && echo 1 || echo 10)" --json > "$OUT/upstream.json"
fi
echo "results in $OUT"
