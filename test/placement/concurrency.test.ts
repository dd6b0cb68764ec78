// Capacity is never overcommitted under concurrent writers, on both engines: 500 concurrent
// allocation writes against providers whose total capacity is 300 → exactly 300 succeed.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlacement, type TestPlacement } from '../helpers/placement.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const PROVIDERS = 3;
const CAPACITY = 100;      // VCPU per provider
const WRITERS = 500;
const IN_FLIGHT = 64;      // concurrent HTTP requests at any time

async function hammer(t: TestPlacement): Promise<void> {
  const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const rps: string[] = [];
  for (let i = 0; i < PROVIDERS; i++) {
    const uuid = randomUUID();
    expect((await t.call('POST', '/resource_providers', { name: `cc-${i}`, uuid })).status).toBe(200);
    const inv = await t.call('PUT', `/resource_providers/${uuid}/inventories`, {
      resource_provider_generation: 0, inventories: { VCPU: { total: CAPACITY } },
    });
    expect(inv.status).toBe(200);
    rps.push(uuid);
  }
  const statuses: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < WRITERS) {
      const i = next++;
      const res = await fetch(`${base}/allocations/${randomUUID()}`, {
        method: 'PUT',
        headers: { 'x-auth-token': 'admin', 'openstack-api-version': 'placement 1.39', 'content-type': 'application/json' },
        body: JSON.stringify({
          allocations: { [rps[i % PROVIDERS]!]: { resources: { VCPU: 1 } } },
          project_id: 'p1', user_id: 'u1', consumer_generation: null, consumer_type: 'INSTANCE',
        }),
      });
      statuses.push(res.status);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const ok = statuses.filter((s) => s === 204).length;
  expect(statuses.filter((s) => s !== 204 && s !== 409)).toEqual([]);
  expect(ok).toBe(PROVIDERS * CAPACITY);
  let used = 0;
  for (const rp of rps) {
    const u = await t.call('GET', `/resource_providers/${rp}/usages`);
    expect(u.body.usages.VCPU).toBe(CAPACITY);
    used += u.body.usages.VCPU;
  }
  const total = await t.call('GET', '/usages?project_id=p1');
  expect(total.body.usages.INSTANCE.VCPU).toBe(used);
}

describe('concurrent allocation writes', () => {
  it('SQLite: exactly the capacity is allocated', async () => {
    const t = await startPlacement();
    try { await hammer(t); } finally { await t.close(); }
  });

  const skipPg = postgresUnavailable();
  describe.skipIf(skipPg)(`PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () => {
    let pg: PgCluster;
    beforeAll(async () => { pg = await startPostgres(); });
    afterAll(() => pg?.stop());
    it('exactly the capacity is allocated', async () => {
      const t = await startPlacement({ databaseUrl: await pg.createDatabase('concurrency') });
      try { await hammer(t); } finally { await t.close(); }
    });
  });
});
