#!/usr/bin/env node
// How long `concord up` takes to start, as a user sees it: from spawning the process to the first
// 200 from GET /identity/v3, and to the first token issued. "cold" starts on an empty data dir
// (databases created, migrations, key pair and password hashes made); "warm" starts again on the
// data dir a cold start left. Usage: node bench/startup/run.mjs [RUNS] (default 7).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../bin/concord.js');
const RUNS = Number(process.argv[2] ?? 7);

/** @returns {Promise<number>} */
const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => res(port));
    });
  });

/** @param {() => Promise<unknown>} f */
async function until(f) {
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** @typedef {{ discovery: number, token: number }} Timing */

/** @param {string} dataDir @param {string} home @returns {Promise<Timing>} */
async function start(dataDir, home) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const proc = spawn(process.execPath, ['--no-deprecation', BIN, 'up', '--data-dir', dataDir, '--port', String(port)], {
    stdio: 'ignore',
    env: { ...process.env, HOME: home },
  });
  const exited = new Promise((r) => proc.once('exit', r));
  await until(async () => (await fetch(`${base}/identity/v3`)).status === 200);
  const discovery = performance.now() - t0;
  /** @type {{ admin_password: string }} */
  const credentials = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8'));
  const password = credentials.admin_password;
  const res = await fetch(`${base}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  });
  if (res.status !== 201) throw new Error(`token issue: ${res.status}`);
  const token = performance.now() - t0;
  proc.kill('SIGTERM');
  if ((await exited) !== 0) throw new Error('concord up did not stop cleanly');
  return { discovery, token };
}

/** @param {number[]} xs */
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  /** @param {number} i */
  const at = (i) => s.at(i) ?? NaN;
  const mid = s.length >> 1;
  const median = s.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
  return `median ${median.toFixed(0).padStart(5)} ms   min ${at(0).toFixed(0).padStart(5)} ms   max ${at(-1).toFixed(0).padStart(5)} ms`;
};

/** @type {Record<'cold' | 'warm', Timing[]>} */
const results = { cold: [], warm: [] };
for (let i = 0; i < RUNS; i++) {
  const dataDir = mkdtempSync(join(tmpdir(), 'concord-bench-startup-'));
  const home = mkdtempSync(join(tmpdir(), 'concord-bench-home-'));
  try {
    results.cold.push(await start(dataDir, home));
    results.warm.push(await start(dataDir, home));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}
console.log(`concord up startup, ${RUNS} runs each (node ${process.version})`);
for (const kind of /** @type {const} */ (['cold', 'warm'])) {
  console.log(`${kind}  first 200 from GET /identity/v3: ${stats(results[kind].map((r) => r.discovery))}`);
  console.log(`${kind}  first token issued:              ${stats(results[kind].map((r) => r.token))}`);
}
