#!/usr/bin/env bash
# Runs the upstream Placement gabbi suite (../shared/conformance/placement) against
# `concord serve placement`. Fails on any failure not listed, with its reason, in
# test/conformance/placement-known-failures.txt (mirrored in docs/placement.md).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNNER=${PLACEMENT_CONFORMANCE:-../shared/conformance/placement/run}
if [ ! -x "$RUNNER" ]; then
  if [ -n "${CI:-}" ]; then echo "conformance runner $RUNNER not found" >&2; exit 1; fi
  echo "skipped: Placement conformance (runner $RUNNER not found beside the checkout)"; exit 0
fi
report=$(mktemp /tmp/placement-conformance.XXXXXX.json)
set +e
"$RUNNER" --jobs "${CONFORMANCE_JOBS:-2}" --report "$report" \
  --server-cmd "node --no-deprecation $PWD/bin/concord.js serve placement --port {port} --data-dir {datadir} --auth-strategy noauth2" \
  "$@" > "$report.log" 2>&1
set -e
node scripts/conformance-check.mjs "$report" test/conformance/placement-known-failures.txt
