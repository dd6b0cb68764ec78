// Several Placement processes on one database (the scale-out deployment): each answers
// provider listings and allocation candidates from its in-memory provider index, so a write
// made through one must be visible through the others on their very next request — including,
// on PostgreSQL, writes whose transactions commit out of order.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlacement, type TestPlacement } from '../helpers/placement.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

async function twoProcesses(t: { a: TestPlacement; b: TestPlacement }) {
  const { a, b } = t;
  const rp = randomUUID();
  const candidates = async (who: TestPlacement) =>
    (await who.call('GET', '/allocation_candidates?resources=VCPU:2')).body.allocation_requests.length;

  expect((await a.call('POST', '/resource_providers', { name: 'hv', uuid: rp })).status).toBe(200);
  expect((await b.call('GET', `/resource_providers?name=hv`)).body.resource_providers.map((p: any) => p.uuid)).toEqual([rp]);
  expect(await candidates(b)).toBe(0);

  expect((await a.call('PUT', `/resource_providers/${rp}/inventories`, {
    resource_provider_generation: 0, inventories: { VCPU: { total: 4 } },
  })).status).toBe(200);
  expect(await candidates(b)).toBe(1);

  // Usage written through b narrows what a offers.
  const put = await b.call('PUT', `/allocations/${randomUUID()}`, {
    allocations: { [rp]: { resources: { VCPU: 3 } } }, project_id: 'p', user_id: 'u', consumer_generation: null,
    consumer_type: 'INSTANCE',
  });
  expect(put.status).toBe(204);
  expect(await candidates(a)).toBe(0);
  const summary = (await a.call('GET', '/allocation_candidates?resources=VCPU:1')).body.provider_summaries[rp];
  expect(summary.resources.VCPU).toEqual({ capacity: 4, used: 3 });

  // Traits and aggregates set through one are filters in the other.
  await a.call('PUT', `/resource_providers/${rp}/traits`, { resource_provider_generation: 2, traits: ['HW_CPU_X86_AVX2'] });
  expect((await b.call('GET', '/resource_providers?required=HW_CPU_X86_AVX2')).body.resource_providers).toHaveLength(1);
  expect((await b.call('GET', '/resource_providers?required=!HW_CPU_X86_AVX2')).body.resource_providers).toHaveLength(0);

  // A custom resource class created through a is known to b.
  expect((await a.call('PUT', '/resource_classes/CUSTOM_GOLD')).status).toBe(201);
  expect((await b.call('GET', '/allocation_candidates?resources=CUSTOM_GOLD:1')).status).toBe(200);
}

describe('provider index across processes', () => {
  it('SQLite: two processes on one database file see each other\'s writes at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-idx-'));
    const url = join(dir, 'placement.sqlite');
    const a = await startPlacement({ databaseUrl: url });
    const b = await startPlacement({ databaseUrl: url });
    try { await twoProcesses({ a, b }); } finally {
      await a.close(); await b.close(); rmSync(dir, { recursive: true, force: true });
    }
  });

  const skipPg = postgresUnavailable();
  describe.skipIf(skipPg)(`PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () => {
    let pg: PgCluster;
    beforeAll(async () => { pg = await startPostgres(); });
    afterAll(() => pg?.stop());

    it('two processes on one database see each other\'s writes at once', async () => {
      const url = await pg.createDatabase('index_two');
      const a = await startPlacement({ databaseUrl: url });
      const b = await startPlacement({ databaseUrl: url });
      try { await twoProcesses({ a, b }); } finally { await a.close(); await b.close(); }
    });

    it('a change committed after a later one is still picked up', async () => {
      const url = await pg.createDatabase('index_order');
      const a = await startPlacement({ databaseUrl: url });
      const b = await startPlacement({ databaseUrl: url });
      try {
        const early = randomUUID();
        const late = randomUUID();
        for (const [name, uuid] of [['early', early], ['late', late]]) {
          expect((await a.call('POST', '/resource_providers', { name, uuid })).status).toBe(200);
        }
        const names = async () => (await b.call('GET', '/resource_providers')).body.resource_providers
          .map((p: any) => p.name).sort();
        expect(await names()).toEqual(['early', 'late']);
        const db = a.placement.db;
        const id = async (uuid: string) => (await db.selectFrom('resource_providers').select('id')
          .where('uuid', '=', uuid).executeTakeFirstOrThrow()).id;
        const earlyId = await id(early);
        const lateId = await id(late);
        // T1 takes its transaction id (and, through the trigger, its change row id) first but
        // commits last.
        let release!: () => void;
        const gate = new Promise<void>((r) => { release = r; });
        let started!: () => void;
        const inside = new Promise<void>((r) => { started = r; });
        const t1 = db.transaction().execute(async (trx) => {
          await trx.updateTable('resource_providers').set({ name: 'early-renamed' }).where('id', '=', earlyId).execute();
          started();
          await gate;
        });
        await inside;
        await db.transaction().execute(async (trx) => {
          await trx.updateTable('resource_providers').set({ name: 'late-renamed' }).where('id', '=', lateId).execute();
        });
        expect(await names()).toEqual(['early', 'late-renamed']);
        release();
        await t1;
        expect(await names()).toEqual(['early-renamed', 'late-renamed']);
      } finally { await a.close(); await b.close(); }
    });
  });
});
