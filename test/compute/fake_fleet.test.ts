// `concord up`'s simulated hosts ([compute] fake_hypervisors, 2 by default): compute1, compute2 registered and
// reported by the cloud's own process once it is ready, and stopped with it, before its databases
// close: nothing they do afterwards fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCloud, type AllInOne } from '../../src/cli/cloud.js';
import { resolveRuntime } from '../../src/cli/runtime.js';
import { FAST, until } from '../helpers/jobs.js';

describe('concord up: fake hypervisors', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'concord-fleet-'));
  let logged = '';
  let cloud: AllInOne;
  let token: string;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged += String(chunk);
        done();
      },
    });
    cloud = await buildCloud({
      runtime: resolveRuntime({ dataDir }, { ...FAST, reportInterval: 1 }, {}),
      log: pino({ level: 'info' }, sink),
      publicBase: 'http://cloud.test',
    });
    const r = await cloud.app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      payload: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { id: 'default' }, password: cloud.credentials.adminPassword } },
          },
          scope: { project: { name: 'admin', domain: { id: 'default' } } },
        },
      },
    });
    token = String(r.headers['x-subject-token']);
  }, 60000);
  afterAll(async () => {
    await cloud?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = async (url: string, version: string) =>
    (
      await cloud.app.inject({
        method: 'GET',
        url,
        headers: { 'x-auth-token': token, 'openstack-api-version': version },
      })
    ).json();

  it('registers compute1 and compute2, up, each with one hypervisor and its provider', async () => {
    await until(
      'two providers',
      async () => (await get('/placement/resource_providers', 'placement 1.39')).resource_providers.length === 2,
    );
    const services = (await get('/compute/v2.1/os-services?binary=nova-compute', 'compute 2.53')).services;
    expect(services.map((s: { host: string; state: string }) => [s.host, s.state])).toEqual([
      ['compute1', 'up'],
      ['compute2', 'up'],
    ]);
    const hypervisors = (await get('/compute/v2.1/os-hypervisors', 'compute 2.53')).hypervisors;
    const providers = (await get('/placement/resource_providers', 'placement 1.39')).resource_providers;
    expect(hypervisors.map((h: { hypervisor_hostname: string }) => h.hypervisor_hostname)).toEqual([
      'compute1',
      'compute2',
    ]);
    for (const h of hypervisors) {
      expect(providers).toContainEqual(expect.objectContaining({ uuid: h.id, name: h.hypervisor_hostname }));
    }
  });

  it('stops them with the cloud: no heartbeat or report meets a closed database', async () => {
    // A heartbeat each second: several ran.
    await new Promise((r) => setTimeout(r, 1500));
    await cloud.close();
    await new Promise((r) => setTimeout(r, 1500));
    const errors = logged
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
    expect(logged).toContain('compute agent started');
  });
});
