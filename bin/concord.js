#!/usr/bin/env -S node --max-semi-space-size=8
// The compiled CLI lives in dist/ (built by `npm install` through the prepare script).
//
// Why the V8 flag: concord's heap is mostly long-lived (Placement's provider index, cached
// JSON pieces); a young generation of 8 MB semi-spaces instead of V8's 16 keeps resident memory
// ~40 MB lower at 20,000 providers at no measured cost in speed (docs/performance.md). It
// applies when the file is run as a program (`npx concord`, `bin/concord.js`), not under
// `node bin/concord.js`.
import '../dist/cli/index.js';
