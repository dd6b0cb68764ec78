#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine: Debian packages (as root) and npm
# packages. Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  python3-gabbi            # runs the upstream Placement conformance suite
  python3-openstackclient  # real-client end-to-end tests
  python3-osc-placement
  python3-openstacksdk
  python3-glanceclient     # the glance CLI validates the image schemas
  postgresql               # PostgreSQL engine tests (a private cluster per run)
  tempest                  # OpenStack's own API tests (scripts/tempest.sh)
  openssl                  # compute generates X.509 key pairs with it, as Nova does
  openssh-client           # ssh-keygen checks the compute key pairs' keys and fingerprints
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The Debian postgresql package starts a system cluster we do not use; tests run their own.
    service postgresql stop >/dev/null 2>&1 || true
  else
    echo "missing Debian packages (run as root to install): ${missing[*]}" >&2
    if [ -n "${CI:-}" ]; then exit 1; fi
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages (better-sqlite3 compiles from source: a few minutes)"
  npm ci --no-audit --no-fund
fi
npm run --silent build
