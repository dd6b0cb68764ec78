#!/usr/bin/env node
// index-horizon.mjs [CONCORD_DIR]: what a transaction left open elsewhere on the PostgreSQL
// cluster costs Placement's reads. Starts a private cluster and `concord serve placement` (from
// CONCORD_DIR, default this checkout, built), makes 100 providers, opens a transaction that
// holds a transaction id (as `BEGIN; SELECT txid_current();` in psql would) and keeps it open
// while 3,000 provider writes go through, and prints the median GET /resource_providers time
// before the writes and after each 1,000. Not a CI test: a measurement for docs/placement.md.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

const here = resolve(import.meta.dirname, '../..');
const concord = resolve(process.argv[2] ?? here);
const dir = mkdtempSync(join(tmpdir(), 'index-horizon-'));
chmodSync(dir, 0o755); // the cluster runs as the postgres user when we are root
const pgPort = execFileSync('bash', [join(here, 'scripts/pg-cluster.sh'), 'start', join(dir, 'pg')])
  .toString()
  .trim();
const url = `postgresql://postgres@127.0.0.1:${pgPort}/postgres`;
const port = 20000 + Math.floor(Math.random() * 20000);
const server = spawn(
  process.execPath,
  [
    join(concord, 'bin/concord.js'),
    'serve',
    'placement',
    '--port',
    String(port),
    '--data-dir',
    join(dir, 'data'),
    '--database-url',
    url,
    '--auth-strategy',
    'noauth2',
  ],
  { stdio: 'ignore', env: { ...process.env, CONCORD_LOG_LEVEL: 'warn' } },
);
const base = `http://127.0.0.1:${port}`;
const headers = {
  'x-auth-token': 'admin',
  'openstack-api-version': 'placement 1.39',
  'content-type': 'application/json',
};
/** @param {string} method @param {string} path @param {unknown} [body] @returns {Promise<any>} */
const call = async (method, path, body) => {
  const res = await fetch(base + path, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
};
const idle = new pg.Client({ connectionString: url });
try {
  for (let i = 0; ; i++) {
    try {
      await fetch(`${base}/`);
      break;
    } catch {
      if (i > 600) throw new Error('server did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  /** @type {{ uuid: string, generation: number }[]} */
  const providers = [];
  for (let i = 0; i < 100; i++) {
    const rp = await call('POST', '/resource_providers', { name: `hv-${i}` });
    await call('PUT', `/resource_providers/${rp.uuid}/inventories`, {
      resource_provider_generation: 0,
      inventories: { VCPU: { total: 64 } },
    });
    providers.push({ uuid: rp.uuid, generation: 1 });
  }
  const median = async () => {
    const times = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await call('GET', '/resource_providers');
      times.push(performance.now() - t);
    }
    return (times.sort((a, b) => a - b)[times.length / 2] ?? NaN).toFixed(2);
  };
  console.log(`before: p50 GET /resource_providers ${await median()} ms`);
  await idle.connect();
  await idle.query('BEGIN');
  await idle.query('SELECT txid_current()');
  for (let round = 1; round <= 3; round++) {
    for (let i = 0; i < 1000; i++) {
      const p = /** @type {{ uuid: string, generation: number }} */ (providers[i % providers.length]);
      const traits = i % (2 * providers.length) < providers.length ? ['HW_CPU_X86_AVX2'] : [];
      p.generation = (
        await call('PUT', `/resource_providers/${p.uuid}/traits`, {
          resource_provider_generation: p.generation,
          traits,
        })
      ).resource_provider_generation;
    }
    console.log(`after ${round * 1000} writes, a transaction open: p50 GET /resource_providers ${await median()} ms`);
  }
} finally {
  await idle.end().catch(() => undefined);
  server.kill();
  execFileSync('bash', [join(here, 'scripts/pg-cluster.sh'), 'stop', join(dir, 'pg')]);
  rmSync(dir, { recursive: true, force: true });
}
