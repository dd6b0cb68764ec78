#!/usr/bin/env node
// rp-show.mjs [CALLS] [CONCURRENCY]: what a service client's call to Placement costs, in-process
// (inject, as inside `concord up`) and over HTTP (the same cloud listening on a port, kept-alive
// connections): GET /placement/resource_providers/{uuid} as a service user, through the whole
// client (session token, request id, retries, error mapping), against a bare inject() of the
// same request for the floor. Needs `npm run build`. Not a CI test: a measurement for the docs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';

import { buildCloud } from '../../dist/cli/cloud.js';
import { resolveRuntime } from '../../dist/cli/runtime.js';
import { asService, httpTransport, PlacementClient, Session } from '../../dist/common/clients/index.js';

const CALLS = Number(process.argv[2] ?? 3000);
const CONCURRENCY = Number(process.argv[3] ?? 1);
const dataDir = mkdtempSync(join(tmpdir(), 'bench-clients-'));
const log = pino({ level: 'warn' });
const runtime = resolveRuntime({ dataDir }, {}, {});

// The catalog must name the port the cloud listens on: find one first.
const probe = await buildCloud({ runtime, log, publicBase: 'http://127.0.0.1:0' });
await probe.app.listen({ port: 0, host: '127.0.0.1' });
const { port } = /** @type {import('node:net').AddressInfo} */ (probe.app.server.address());
await probe.close();
const base = `http://127.0.0.1:${port}`;
const cloud = await buildCloud({ runtime, log, publicBase: base });
await cloud.app.listen({ port, host: '127.0.0.1' });

const credentials = {
  username: 'placement',
  password: cloud.credentials.servicePassword,
  projectName: 'service',
  userDomainName: 'Default',
  projectDomainName: 'Default',
};
/** @param {import('../../dist/common/clients/index.js').Transport} transport */
const client = (transport) => new PlacementClient(new Session({ transport, authUrl: cloud.authUrl, credentials, log }));
const inProcess = client(cloud.transport);
const overHttp = client(httpTransport());
const call = asService();
const rp = await inProcess.resourceProviders.create(call, { name: 'bench' });
const token = (await inProcess.api.session.token(call)).token;
const bare = () =>
  cloud.app
    .inject({
      method: 'GET',
      url: `/placement/resource_providers/${rp.uuid}`,
      headers: { 'x-auth-token': token, 'openstack-api-version': 'placement 1.39', accept: 'application/json' },
    })
    .then((/** @type {{ body: string }} */ r) => JSON.parse(r.body));

/** @param {string} name @param {() => Promise<unknown>} f */
async function rate(name, f) {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < CALLS) await f();
    }),
  );
  const s = (performance.now() - t0) / 1000;
  console.log(
    `${name.padEnd(28)} ${Math.round(CALLS / s)} calls/s  (${((s * 1000) / CALLS).toFixed(3)} ms/call, concurrency ${CONCURRENCY})`,
  );
}

const runs = {
  'bare inject (no client)': bare,
  'client, in-process': () => inProcess.resourceProviders.show(call, rp.uuid),
  'client, HTTP': () => overHttp.resourceProviders.show(call, rp.uuid),
};
// Warm up every path (JIT, tokens, connections) before measuring any, then each twice in turn.
for (const f of Object.values(runs)) for (let i = 0; i < 500; i++) await f();
for (let round = 0; round < 2; round++) for (const [name, f] of Object.entries(runs)) await rate(name, f);
await cloud.close();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
