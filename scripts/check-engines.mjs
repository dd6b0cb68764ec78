#!/usr/bin/env node
// Fails when an installed package declares a Node engine the project cannot promise: every
// engines.node in node_modules must admit (a) some release of the oldest Node line package.json's
// own engines allows, or users of that line get a package that refuses their Node, and (b) the
// Node running this check, which is what npm's EBADENGINE warning tests at install time.
// Ranges are only required to meet the oldest line, not to cover it whole: dev tools such as vite
// ask for ^20.19, and npm installs the newest 20.x anyway.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import semver from 'semver';

const root = resolve(import.meta.dirname, '..');
/** @typedef {{ version: string, engines?: { node?: unknown } }} Manifest */
const project = /** @type {Manifest} */ (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')));
const declared = String(project.engines?.node);
const oldest = semver.minVersion(declared);
if (!oldest) throw new Error(`package.json engines.node "${declared}" admits no version`);
const oldestLine = `${oldest.major}.x`;
const running = process.versions.node;

/** Every package.json under a node_modules directory, nested ones included.
 * @param {string} dir
 * @returns {Generator<{ path: string, manifest: Manifest }>} */
function* packages(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (name.startsWith('@')) {
      yield* packages(path);
      continue;
    }
    const manifest = join(path, 'package.json');
    if (existsSync(manifest))
      yield { path, manifest: /** @type {Manifest} */ (JSON.parse(readFileSync(manifest, 'utf8'))) };
    yield* packages(join(path, 'node_modules'));
  }
}

const problems = [];
let checked = 0;
for (const { path, manifest } of packages(join(root, 'node_modules'))) {
  const range = manifest.engines?.node;
  if (typeof range !== 'string') continue;
  checked++;
  const where = `${path.slice(root.length + 1)}@${manifest.version}: engines.node "${range}"`;
  if (!semver.validRange(range)) problems.push(`${where} is not a semver range`);
  else if (!semver.intersects(range, oldestLine)) problems.push(`${where} admits no Node ${oldestLine}`);
  else if (!semver.satisfies(running, range)) problems.push(`${where} refuses the running Node ${running}`);
}
if (problems.length) {
  console.error(`engines: package.json promises Node "${declared}", but:\n  ${problems.join('\n  ')}`);
  console.error('pick versions (or an "overrides" entry) whose engines admit it');
  process.exit(1);
}
console.log(`engines: ${checked} packages with engines.node all admit Node ${oldestLine} and ${running}`);
