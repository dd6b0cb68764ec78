// Compares a conformance report with the list of known failures (one test name per line, then
// " # reason"). Prints a summary; exits 1 on an unknown failure or on a stale entry.
import { readFileSync } from 'node:fs';

const [reportPath, knownPath] = process.argv.slice(2);
if (!reportPath || !knownPath) throw new Error('usage: conformance-check.mjs REPORT.json KNOWN-FAILURES.txt');
/** @typedef {{ test: string, reason: string }} Failure */
/** @typedef {{ files: { file: string, failures: Failure[] }[], totals: { passed: number, failed: number } }} Report */
const report = /** @type {Report} */ (JSON.parse(readFileSync(reportPath, 'utf8')));
const known = new Map(
  readFileSync(knownPath, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [name = '', ...why] = l.split(' # ');
      return /** @type {[string, string]} */ ([name.trim(), why.join(' # ')]);
    }),
);
const failures = report.files.flatMap((f) => f.failures.map((x) => ({ file: f.file, ...x })));
const unknown = failures.filter((f) => !known.has(f.test));
const failedNames = new Set(failures.map((f) => f.test));
const fixed = [...known.keys()].filter((k) => !failedNames.has(k));
const { passed, failed } = report.totals;
const total = passed + failed;
console.log(
  `placement conformance (upstream gabbits): ${passed} of ${total} pass ` +
    `(${((100 * passed) / total).toFixed(1)} %), ${failed} known failures listed in docs/placement.md`,
);
for (const f of unknown) console.log(`  NEW FAILURE ${f.test}: ${f.reason.slice(0, 300)}`);
for (const k of fixed) console.log(`  now passing, remove from the known list: ${k}`);
process.exit(unknown.length || fixed.length ? 1 : 0);
