#!/usr/bin/env bash
# `npm test`: installs what the tests need, checks the dependency tree, format, types and lint (quick, so
# first), then runs the upstream Placement conformance suite, the unit, integration and end-to-end
# tests (vitest, with coverage) and Tempest for identity, image and compute. With CI set, a missing tool
# fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
echo "== dependencies: npm ls, engines"
npm ls --all >/dev/null
node scripts/check-engines.mjs
echo "== format (prettier --check; npm run format rewrites)"
npm run --silent format:check
echo "== typecheck (src, test, bench, scripts)"
npm run --silent typecheck
echo "== lint"
npm run --silent lint
echo "== upstream Placement conformance"
bash scripts/conformance.sh sqlite
bash scripts/conformance.sh postgresql
echo "== unit, integration and end-to-end tests (vitest, with coverage)"
npx vitest run --coverage
echo "== Tempest (OpenStack's API tests) against concord up"
bash scripts/tempest.sh identity image compute
