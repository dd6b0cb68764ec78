// Capacity is never overcommitted under concurrent writers, on both engines: 500 concurrent
// allocation writes against providers whose total capacity is 300 → exactly 300 succeed. And the
// provider writes (inventories, traits, aggregates; one statement each on PostgreSQL) claim the
// generation: of writers that read the same one exactly one wins, and inventory is never removed
// from under an allocation.
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

/** A provider with VCPU and MEMORY_MB; its generation after that. */
async function provider(t: TestPlacement): Promise<string> {
  const uuid = randomUUID();
  expect((await t.call('POST', '/resource_providers', { name: `pw-${uuid}`, uuid })).status).toBe(200);
  expect((await t.call('PUT', `/resource_providers/${uuid}/inventories`, {
    resource_provider_generation: 0, inventories: { VCPU: { total: 64 }, MEMORY_MB: { total: 65536 } },
  })).status).toBe(200);
  return uuid;
}

async function providerWrites(t: TestPlacement): Promise<void> {
  const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const send = (method: string, path: string, body: unknown) => fetch(`${base}${path}`, {
    method,
    headers: { 'x-auth-token': 'admin', 'openstack-api-version': 'placement 1.39', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => r.status);

  // Same generation (1), twenty writers of each kind: one write of all sixty wins.
  const rp = await provider(t);
  const path = `/resource_providers/${rp}`;
  const attempts = Array.from({ length: 20 }, (_, i) => [
    send('PUT', `${path}/traits`, { resource_provider_generation: 1, traits: ['HW_CPU_X86_AVX2'] }),
    send('PUT', `${path}/aggregates`, { resource_provider_generation: 1, aggregates: [randomUUID()] }),
    send('PUT', `${path}/inventories`, {
      resource_provider_generation: 1, inventories: { VCPU: { total: 64 + i }, MEMORY_MB: { total: 65536 } },
    }),
  ]).flat();
  const statuses = await Promise.all(attempts);
  expect(statuses.filter((s) => s !== 200 && s !== 409)).toEqual([]);
  expect(statuses.filter((s) => s === 200)).toHaveLength(1);
  expect((await t.call('GET', path)).body.generation).toBe(2);

  // Removing MEMORY_MB races allocations of it: either the removal loses (409, in use or
  // generation) or the allocations find no inventory, never an allocation without inventory.
  // On the first provider some allocations exist before the race: the removal must fail.
  const race = async (rp: string, before: number) => {
    const allocate = () => send('PUT', `/allocations/${randomUUID()}`, {
      allocations: { [rp]: { resources: { MEMORY_MB: 512 } } },
      project_id: 'p1', user_id: 'u1', consumer_generation: null, consumer_type: 'INSTANCE',
    });
    for (let i = 0; i < before; i++) expect(await allocate()).toBe(204);
    const drop = async () => {
      for (let i = 0; i < 10; i++) {
        const gen = (await t.call('GET', `/resource_providers/${rp}`)).body.generation;
        const s = await send('PUT', `/resource_providers/${rp}/inventories`,
          { resource_provider_generation: gen, inventories: { VCPU: { total: 64 } } });
        if (s !== 409) return s;
      }
      return 409;
    };
    const [dropped, ...allocated] = await Promise.all([drop(), ...Array.from({ length: 20 }, allocate)]);
    expect(allocated.filter((s) => s !== 204 && s !== 400 && s !== 409)).toEqual([]);
    const inventories = (await t.call('GET', `/resource_providers/${rp}/inventories`)).body.inventories;
    const usages = (await t.call('GET', `/resource_providers/${rp}/usages`)).body.usages;
    const made = before + allocated.filter((s) => s === 204).length;
    expect(usages.MEMORY_MB ?? 0).toBe(512 * made);
    if (made) expect(Object.keys(inventories).sort()).toEqual(['MEMORY_MB', 'VCPU']);
    return { dropped, made };
  };
  expect((await race(await provider(t), 3)).dropped).toBe(409);
  const second = await race(await provider(t), 0);
  // Once MEMORY_MB is gone no allocation of it can succeed, and before, one blocks the removal.
  if (second.dropped === 200) expect(second.made).toBe(0);
}

describe('concurrent allocation writes', () => {
  it('SQLite: exactly the capacity is allocated', async () => {
    const t = await startPlacement();
    try { await hammer(t); } finally { await t.close(); }
  });

  it('SQLite: provider writes claim the generation', async () => {
    const t = await startPlacement();
    try { await providerWrites(t); } finally { await t.close(); }
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
    it('provider writes claim the generation', async () => {
      const t = await startPlacement({ databaseUrl: await pg.createDatabase('provider_writes') });
      try { await providerWrites(t); } finally { await t.close(); }
    });
  });
});
