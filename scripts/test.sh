#!/usr/bin/env bash
# `npm test`: installs what the tests need, then runs unit/integration tests (vitest), the upstream
# Placement conformance suite and the real-client end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
echo "== upstream Placement conformance"
bash scripts/conformance.sh sqlite
bash scripts/conformance.sh postgresql
echo "== unit and integration tests (vitest)"
npx vitest run
