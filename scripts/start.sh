#!/usr/bin/env bash
# `npm start`: installs the npm packages and builds only when something changed since last time,
# then becomes `concord up` (arguments after `npm start --` go to it). A warm start costs a hash
# of two files and one `find`.
set -euo pipefail
cd "$(dirname "$0")/.."

# What the packages were last installed for: package.json and package-lock.json, by content, so
# that a checkout which only touches them does not reinstall.
stamp=node_modules/.concord-installed-for
manifests() { cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1; }
if [ "$(cat "$stamp" 2>/dev/null)" != "$(manifests)" ]; then
  if [ -d node_modules ]; then
    echo "package.json or package-lock.json changed since the last install: npm install"
    npm install --no-audit --no-fund
  else
    # The long one: show every download and the native builds (better-sqlite3 compiles when no
    # prebuilt binary fits) as they happen.
    echo "first start: installing npm packages, a few minutes"
    npm install --no-audit --no-fund --foreground-scripts --loglevel=http
  fi
  manifests > "$stamp"   # after the install, which may have rewritten package-lock.json
fi

# npm install builds too (prepare); otherwise build when a source is newer than the build.
if [ ! -f dist/cli/index.js ] \
  || [ -n "$(find src tsconfig.json tsconfig.build.json -newer dist/cli/index.js -print -quit)" ]; then
  echo "sources changed: building"
  npm run --silent build
fi

exec bin/concord.js up "$@"
