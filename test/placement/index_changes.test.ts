// The change log and the provider index's loads, on the database directly (both engines): how
// much a poll reads while a transaction elsewhere stays open, what pruning deletes when the
// host's clock runs ahead, and that a load never assembles a provider from before and after a
// write.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  SqliteDialect,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryId,
} from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrate, openDatabase, type Database } from '../../src/common/db/index.js';
import { createLogger } from '../../src/common/log.js';
import { placementMigrations } from '../../src/placement/db/migrations.js';
import type { PlacementDB } from '../../src/placement/db/schema.js';
import { syncStandardClasses } from '../../src/placement/objects/resource_class.js';
import { changeCursor, CHANGE_RETENTION_MS } from '../../src/placement/provider_index/changes.js';
import { ProviderIndex } from '../../src/placement/provider_index/provider_index.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const log = createLogger({ name: 'test' });
log.level = 'silent';
const skipPg = postgresUnavailable();
let cluster: PgCluster | undefined;
let dir: string;
const open: Database<PlacementDB>[] = [];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'concord-changes-'));
  if (!skipPg) cluster = await startPostgres();
});
afterAll(async () => {
  await Promise.all(open.map((d) => d.close()));
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.useRealTimers();
});

const ENGINES = [
  { engine: 'SQLite', skip: null, url: async (name: string) => join(dir, `${name}.sqlite`) },
  { engine: 'PostgreSQL', skip: skipPg, url: (name: string) => cluster!.createDatabase(name) },
];

async function connect(url: string): Promise<Database<PlacementDB>> {
  const d = openDatabase<PlacementDB>(url);
  open.push(d);
  return d;
}

/** A connection of its own to `url`, as another process has: on SQLite a process's opens of one
 * file share its connection (see openDatabase), so the writer is a plain one. */
async function anotherProcess(url: string, engine: string): Promise<Kysely<PlacementDB>> {
  if (engine === 'postgres') return (await connect(url)).db;
  const sqlite = new SQLite(url);
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<PlacementDB>({ dialect: new SqliteDialect({ database: sqlite }) });
  open.push({ close: () => db.destroy() } as Database<PlacementDB>);
  return db;
}

/** A migrated database with one provider (VCPU total 4, 1 used), and the provider's id. */
async function database(url: string) {
  const d = await connect(url);
  await migrate(d, placementMigrations(d.engine), 'placement');
  await syncStandardClasses(d.db);
  const ts = new Date().toISOString();
  const { id } = await d.db
    .insertInto('resource_providers')
    .values({
      uuid: '7d3f1b0e-7a53-4a53-9b3f-2f3a1e4c5d6e',
      name: 'hv',
      generation: 0,
      root_provider_id: null,
      parent_provider_id: null,
      created_at: ts,
      updated_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const vcpu = (
    await d.db.selectFrom('resource_classes').select('id').where('name', '=', 'VCPU').executeTakeFirstOrThrow()
  ).id;
  await d.db
    .insertInto('inventories')
    .values({
      resource_provider_id: id,
      resource_class_id: vcpu,
      total: 4,
      reserved: 0,
      min_unit: 1,
      max_unit: 4,
      step_size: 1,
      allocation_ratio: 1,
      created_at: ts,
      updated_at: null,
    })
    .execute();
  await d.db
    .insertInto('allocations')
    .values({
      resource_provider_id: id,
      consumer_id: 'c',
      resource_class_id: vcpu,
      used: 1,
      created_at: ts,
      updated_at: null,
    })
    .execute();
  return { ...d, id, vcpu };
}

/** Counts the rows of every result; runs `between` once, after the first result of a query on
 * `table` (a write committed between two reads of a load). */
class Observer implements KyselyPlugin {
  rows = 0;
  between: { table: string; run: () => Promise<void> } | null = null;
  private readonly watched = new Set<QueryId>();

  transformQuery(args: PluginTransformQueryArgs) {
    if (this.between && JSON.stringify(args.node).includes(`"name":"${this.between.table}"`))
      this.watched.add(args.queryId);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs) {
    this.rows += args.result.rows.length;
    if (this.between && this.watched.has(args.queryId)) {
      const { run } = this.between;
      this.between = null;
      await run();
    }
    return args.result;
  }
}

describe.each(ENGINES)('change log ($engine)', ({ skip, url }) => {
  // Rows are pruned once they had committed the retention period ago by the pruning host's
  // clock; a host whose clock runs ahead of the database's must not prune rows the database
  // wrote a moment ago (another process may not have read them yet).
  it.skipIf(skip)("prunes by the host's clock alone", async () => {
    const { db, engine, id } = await database(await url('prune_clock'));
    const count = async () =>
      Number(
        (
          await db
            .selectFrom('placement_changes')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 2 * CHANGE_RETENTION_MS);
    let shift = 0;
    const index = new ProviderIndex(db, engine, { log, timeShift: () => shift });
    await index.reload();
    for (let i = 0; i < 3; i++)
      await db
        .updateTable('resource_providers')
        .set({ name: `hv-${i}` })
        .where('id', '=', id)
        .execute();
    await index.sync();
    const written = await count();
    expect(written).toBeGreaterThan(3);
    // Looking every four minutes (often enough not to reload): what had committed when the
    // index looked first is old enough at eleven; the newest row stays.
    for (const minutes of [4, 8]) {
      shift = minutes * 60_000;
      await index.sync();
      expect(await count()).toBe(written);
    }
    shift = 11 * 60_000;
    await index.sync();
    expect(await count()).toBe(1);
  });

  // A load reads five tables; a write committed between two of them must not show half.
  it.skipIf(skip)('loads every table of a provider in one snapshot', async () => {
    const name = `snapshot_${Math.random().toString(36).slice(2, 8)}`;
    const target = await url(name);
    const { db, engine, id, vcpu } = await database(target);
    const writer = await anotherProcess(target, engine);
    const observer = new Observer();
    const index = new ProviderIndex(db.withPlugin(observer), engine, { log });
    const state = () => {
      const inv = index.get(id).inventories.find((i) => i.rcId === vcpu)!;
      return [inv.total, inv.used];
    };
    // Capacity and usage grow together (total 4, used 1 → total 8, used 5).
    const grow = (total: number, used: number) => async () => {
      await writer.transaction().execute(async (trx) => {
        await trx
          .updateTable('inventories')
          .set({ total, max_unit: total })
          .where('resource_provider_id', '=', id)
          .execute();
        await trx.updateTable('allocations').set({ used }).where('resource_provider_id', '=', id).execute();
      });
    };
    observer.between = { table: 'inventories', run: grow(8, 5) };
    await index.reload();
    expect([
      [4, 1],
      [8, 5],
    ]).toContainEqual(state());
    await index.sync();
    expect(state()).toEqual([8, 5]);

    // The same while catching up with a change.
    await db.updateTable('resource_providers').set({ name: 'hv-2' }).where('id', '=', id).execute();
    observer.between = { table: 'inventories', run: grow(16, 13) };
    await index.sync();
    expect([
      [8, 5],
      [16, 13],
    ]).toContainEqual(state());
    await index.sync();
    expect(state()).toEqual([16, 13]);
  });
});

describe.skipIf(skipPg)('change log (PostgreSQL transactions)', () => {
  // A transaction left open anywhere in the cluster (a worker's, a psql session's) must not make
  // every poll read again every change made since it began.
  it('a long transaction elsewhere does not make polls re-read the log', async () => {
    const target = await cluster!.createDatabase('long_transaction');
    const { db, id } = await database(target);
    const observer = new Observer();
    const watched = db.withPlugin(observer);
    const cursor = changeCursor('postgres');
    await cursor.start(watched);
    const idle = new pg.Client({ connectionString: target });
    await idle.connect();
    try {
      await idle.query('BEGIN');
      await idle.query('SELECT pg_current_xact_id()');
      const WRITES = 200;
      for (let i = 0; i < WRITES; i++)
        await db
          .updateTable('resource_providers')
          .set({ generation: i + 1 })
          .where('id', '=', id)
          .execute();
      let batch = await cursor.poll(watched);
      expect([...batch.providerIds]).toEqual([id]);
      const reads = async () => {
        const start = observer.rows;
        batch = await cursor.poll(watched);
        return observer.rows - start;
      };
      // The poll's own snapshot description is one row.
      expect(await reads()).toBe(1);
      expect(batch.providerIds.size).toBe(0);
      await db.updateTable('resource_providers').set({ name: 'hv-late' }).where('id', '=', id).execute();
      expect(await reads()).toBe(2);
      expect([...batch.providerIds]).toEqual([id]);
    } finally {
      await idle.query('ROLLBACK');
      await idle.end();
    }
  });

  // A write transaction open longer than the retention period commits a change row stamped
  // when it was written; a reader that last looked before the commit must still find it.
  it('keeps the rows of a long transaction until every reader had time to read them', async () => {
    const target = await cluster!.createDatabase('long_write');
    const { db, engine, id } = await database(target);
    let shift = 0;
    const pruning = new ProviderIndex(db, engine, { log, timeShift: () => shift });
    const reading = new ProviderIndex(db, engine, { log, timeShift: () => shift });
    await pruning.reload();
    await reading.reload();
    const slow = new pg.Client({ connectionString: target });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await slow.query('UPDATE resource_providers SET name = $1 WHERE id = $2', ['hv-slow', id]);
      // Both look every four minutes (often enough not to reload); the transaction commits
      // after eight, and the pruning index prunes at eleven, before the reader's next look.
      for (const minutes of [0, 4, 8]) {
        shift = minutes * 60_000;
        await pruning.sync();
        if (minutes) await reading.sync();
      }
      await slow.query('COMMIT');
      shift = 11 * 60_000;
      await pruning.sync();
      shift = 12 * 60_000;
      await reading.sync();
      expect(reading.get(id).name).toBe('hv-slow');
    } finally {
      await slow.end();
    }
  });
});
