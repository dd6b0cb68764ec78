// Several `concord serve placement` processes on one database (the scale-out deployment): each
// answers provider listings and allocation candidates from its in-memory provider index, so a
// write made through one must be visible through the others on their very next request —
// including, on PostgreSQL, writes whose transactions commit out of order, writes made after the
// change log was pruned, and resource classes renamed under cached responses.
// test/placement/index_processes.test.ts drives random writes through such processes.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/common/db/index.js';
import type { PlacementDB } from '../../src/placement/db/schema.js';
import { CHANGE_RETENTION_MS } from '../../src/placement/provider_index/changes.js';
import { placementCluster, type PlacementProcess } from '../helpers/placement_process.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const skipPg = postgresUnavailable();
let pg: PgCluster | undefined;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'concord-idx-'));
  if (!skipPg) pg = await startPostgres();
});
afterAll(() => {
  pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ENGINES = [
  { engine: 'SQLite', skip: null, database: async (name: string) => join(dir, `${name}.sqlite`) },
  { engine: 'PostgreSQL', skip: skipPg, database: (name: string) => pg!.createDatabase(name) },
];

/** `count` processes on one database, sharing one test clock. */
async function processes(databaseUrl: string, count: number) {
  const cluster = placementCluster(databaseUrl);
  try {
    await cluster.start(count);
  } catch (e) {
    await cluster.stopAll();
    throw e;
  }
  return { all: cluster.processes, shiftClock: cluster.shiftClock, stop: cluster.stopAll };
}

const names = async (who: PlacementProcess) =>
  (await who.call('GET', '/resource_providers')).body.resource_providers.map((p: any) => p.name).sort();
const candidateCount = async (who: PlacementProcess, query: string) =>
  (await who.call('GET', `/allocation_candidates?${query}`)).body.allocation_requests.length;

describe.each(ENGINES)('provider index across processes ($engine)', ({ skip, database }) => {
  it.skipIf(skip)("two processes on one database see each other's writes at once", async () => {
    const {
      all: [a, b],
      stop,
    } = await processes(await database('index_two'), 2);
    try {
      const rp = randomUUID();
      expect((await a!.call('POST', '/resource_providers', { name: 'hv', uuid: rp })).status).toBe(200);
      expect(
        (await b!.call('GET', '/resource_providers?name=hv')).body.resource_providers.map((p: any) => p.uuid),
      ).toEqual([rp]);
      expect(await candidateCount(b!, 'resources=VCPU:2')).toBe(0);

      expect(
        (
          await a!.call('PUT', `/resource_providers/${rp}/inventories`, {
            resource_provider_generation: 0,
            inventories: { VCPU: { total: 4 } },
          })
        ).status,
      ).toBe(200);
      expect(await candidateCount(b!, 'resources=VCPU:2')).toBe(1);

      // Usage written through b narrows what a offers.
      const put = await b!.call('PUT', `/allocations/${randomUUID()}`, {
        allocations: { [rp]: { resources: { VCPU: 3 } } },
        project_id: 'p',
        user_id: 'u',
        consumer_generation: null,
        consumer_type: 'INSTANCE',
      });
      expect(put.status).toBe(204);
      expect(await candidateCount(a!, 'resources=VCPU:2')).toBe(0);
      const summary = (await a!.call('GET', '/allocation_candidates?resources=VCPU:1')).body.provider_summaries[rp];
      expect(summary.resources.VCPU).toEqual({ capacity: 4, used: 3 });

      // Traits and aggregates set through one are filters in the other.
      await a!.call('PUT', `/resource_providers/${rp}/traits`, {
        resource_provider_generation: 2,
        traits: ['HW_CPU_X86_AVX2'],
      });
      expect(
        (await b!.call('GET', '/resource_providers?required=HW_CPU_X86_AVX2')).body.resource_providers,
      ).toHaveLength(1);
      expect(
        (await b!.call('GET', '/resource_providers?required=!HW_CPU_X86_AVX2')).body.resource_providers,
      ).toHaveLength(0);

      // A custom resource class created through a is known to b.
      expect((await a!.call('PUT', '/resource_classes/CUSTOM_GOLD')).status).toBe(201);
      expect((await b!.call('GET', '/allocation_candidates?resources=CUSTOM_GOLD:1')).status).toBe(200);
    } finally {
      await stop();
    }
  });

  // The change log is pruned of rows older than its retention period. With reads arriving all
  // along, no process ever reloads, so a write made after the log emptied must still be found
  // by the cursors (on SQLite, whose row ids restart from 1 in an empty table, it was not).
  it.skipIf(skip)('writes after a quiet period longer than the change log is kept are seen', async () => {
    const {
      all: [a, b],
      shiftClock,
      stop,
    } = await processes(await database('index_quiet'), 2);
    try {
      for (let i = 0; i < 3; i++) {
        expect((await a!.call('POST', '/resource_providers', { name: `old-${i}`, uuid: randomUUID() })).status).toBe(
          200,
        );
      }
      expect(await names(b!)).toEqual(['old-0', 'old-1', 'old-2']);
      // Steps shorter than the time after which a process stops trusting its cursor and reloads.
      const step = CHANGE_RETENTION_MS / 2 - 60_000;
      for (let shift = step; shift < CHANGE_RETENTION_MS + 3 * step; shift += step) {
        shiftClock(shift);
        for (const who of [a!, b!]) expect(await names(who)).toEqual(['old-0', 'old-1', 'old-2']);
      }
      const rp = randomUUID();
      expect((await a!.call('POST', '/resource_providers', { name: 'new', uuid: rp })).status).toBe(200);
      expect(
        (
          await a!.call('PUT', `/resource_providers/${rp}/inventories`, {
            resource_provider_generation: 0,
            inventories: { VCPU: { total: 8 } },
          })
        ).status,
      ).toBe(200);
      for (const who of [a!, b!]) {
        expect((await who.call('GET', `/resource_providers/${rp}`)).status).toBe(200);
        expect(await names(who)).toEqual(['new', 'old-0', 'old-1', 'old-2']);
        expect(await candidateCount(who, 'resources=VCPU:1')).toBe(1);
      }
    } finally {
      await stop();
    }
  });

  // Candidates are rendered from JSON cached on each provider, which names resource classes.
  it.skipIf(skip)('a renamed resource class is named anew in candidates', async () => {
    const {
      all: [a, b],
      stop,
    } = await processes(await database('index_rename'), 2);
    try {
      const rp = randomUUID();
      expect((await a!.call('POST', '/resource_providers', { name: 'bm', uuid: rp })).status).toBe(200);
      expect((await a!.call('PUT', '/resource_classes/CUSTOM_SILVER')).status).toBe(201);
      expect(
        (
          await a!.call('PUT', `/resource_providers/${rp}/inventories`, {
            resource_provider_generation: 0,
            inventories: { CUSTOM_SILVER: { total: 1 } },
          })
        ).status,
      ).toBe(200);
      const classesIn = async (who: PlacementProcess, rc: string) => {
        const body = (await who.call('GET', `/allocation_candidates?resources=${rc}:1`)).body;
        return [
          body.allocation_requests.map((r: any) => Object.keys(r.allocations[rp].resources)),
          Object.keys(body.provider_summaries[rp].resources),
        ];
      };
      for (const who of [a!, b!])
        expect(await classesIn(who, 'CUSTOM_SILVER')).toEqual([[['CUSTOM_SILVER']], ['CUSTOM_SILVER']]);
      // Renaming is possible from 1.2 to 1.6 only.
      expect((await b!.call('PUT', '/resource_classes/CUSTOM_SILVER', { name: 'CUSTOM_GOLD' }, '1.6')).status).toBe(
        200,
      );
      for (const who of [a!, b!])
        expect(await classesIn(who, 'CUSTOM_GOLD')).toEqual([[['CUSTOM_GOLD']], ['CUSTOM_GOLD']]);
      expect((await a!.call('GET', `/resource_providers/${rp}/inventories`)).body.inventories).toHaveProperty(
        'CUSTOM_GOLD',
      );
    } finally {
      await stop();
    }
  });
});

describe.skipIf(skipPg)('provider index across processes (PostgreSQL transactions)', () => {
  it('a change committed after a later one is still picked up', async () => {
    const url = await pg!.createDatabase('index_order');
    const {
      all: [a, b],
      stop,
    } = await processes(url, 2);
    const { db, close } = openDatabase<PlacementDB>(url);
    try {
      const early = randomUUID();
      const late = randomUUID();
      for (const [name, uuid] of [
        ['early', early],
        ['late', late],
      ]) {
        expect((await a!.call('POST', '/resource_providers', { name, uuid })).status).toBe(200);
      }
      expect(await names(b!)).toEqual(['early', 'late']);
      const id = async (uuid: string) =>
        (await db.selectFrom('resource_providers').select('id').where('uuid', '=', uuid).executeTakeFirstOrThrow()).id;
      const earlyId = await id(early);
      const lateId = await id(late);
      // T1 takes its transaction id (and, through the trigger, its change row id) first but
      // commits last.
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let started!: () => void;
      const inside = new Promise<void>((r) => {
        started = r;
      });
      const t1 = db.transaction().execute(async (trx) => {
        await trx.updateTable('resource_providers').set({ name: 'early-renamed' }).where('id', '=', earlyId).execute();
        started();
        await gate;
      });
      await inside;
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('resource_providers').set({ name: 'late-renamed' }).where('id', '=', lateId).execute();
      });
      expect(await names(b!)).toEqual(['early', 'late-renamed']);
      release();
      await t1;
      expect(await names(b!)).toEqual(['early-renamed', 'late-renamed']);
    } finally {
      await close();
      await stop();
    }
  });
});
