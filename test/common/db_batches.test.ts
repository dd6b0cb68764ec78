// executeTogether and executeAtomically: statements sent as one batch. On PostgreSQL they leave in
// one write on the connection's socket (one round trip, not one each), answered in order; on
// SQLite they run one after the other. A failure rolls an atomic batch back on both engines.
import { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql, type Kysely } from 'kysely';
import {
  executeAtomically,
  executeTogether,
  openDatabase,
  withTransaction,
  type Database,
} from '../../src/common/db/index.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

interface DB {
  items: { id: number; name: string; n: number };
}

const skipPg = postgresUnavailable();

/** Writes on sockets while `fn` runs (a corked write of several chunks is one). */
async function socketWrites(fn: () => Promise<unknown>): Promise<number> {
  const one = vi.spyOn(Socket.prototype as unknown as { _write: () => void }, '_write');
  const many = vi.spyOn(Socket.prototype as unknown as { _writev: () => void }, '_writev');
  try {
    await fn();
    return one.mock.calls.length + many.mock.calls.length;
  } finally {
    one.mockRestore();
    many.mockRestore();
  }
}

function batchTests(engine: 'sqlite' | 'postgresql', open: () => Promise<Database<DB>>) {
  describe(`statement batches on ${engine}`, () => {
    let database: Database<DB>;
    let db: Kysely<DB>;
    beforeAll(async () => {
      database = await open();
      db = database.db;
      await sql`CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL UNIQUE, n INTEGER NOT NULL)`.execute(
        db,
      );
    });
    afterAll(() => database?.close());

    const insert = (d: Kysely<DB>, id: number, name: string) => d.insertInto('items').values({ id, name, n: 0 });

    it('runs the statements in order and answers each', async () => {
      const [a, b, bumped, read] = await executeTogether(db, [
        insert(db, 1, 'one').returning('id'),
        insert(db, 2, 'two'),
        db.updateTable('items').set({ n: 5 }).where('id', '=', 1),
        db.selectFrom('items').select(['name', 'n']).orderBy('id'),
      ]);
      expect(a.rows).toEqual([{ id: 1 }]);
      expect(b.rows).toEqual([]);
      expect(Number(bumped.numAffectedRows)).toBe(1);
      // The read sees what the statements before it wrote.
      expect(read.rows).toEqual([
        { name: 'one', n: 5 },
        { name: 'two', n: 0 },
      ]);
    });

    it('writes nothing of an atomic batch that fails, and reports the first failure', async () => {
      await expect(
        executeAtomically(db, [insert(db, 3, 'three'), insert(db, 4, 'one'), insert(db, 5, 'five')]),
      ).rejects.toThrow(/unique|UNIQUE/);
      const left = await db.selectFrom('items').select('id').orderBy('id').execute();
      expect(left.map((r) => r.id)).toEqual([1, 2]);
      // The connection is fine afterwards, and a batch that holds commits whole.
      const [c, d] = await executeAtomically(db, [insert(db, 3, 'three'), insert(db, 4, 'four').returning('name')]);
      expect(Number(c.numAffectedRows)).toBe(1);
      expect(d.rows).toEqual([{ name: 'four' }]);
      expect(await db.selectFrom('items').select('id').orderBy('id').execute()).toHaveLength(4);
    });

    it('is part of the transaction it runs in', async () => {
      await expect(
        withTransaction(db, async (trx) => {
          await executeAtomically(trx, [insert(trx, 6, 'six'), insert(trx, 7, 'seven')]);
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(await db.selectFrom('items').select('id').where('id', '>', 5).execute()).toEqual([]);
    });

    if (engine === 'postgresql') {
      it('sends a batch in one write, where one statement after another takes a write each', async () => {
        const queries = (d: Kysely<DB>) =>
          [1, 2, 3, 4].map((i) => d.updateTable('items').set({ n: i }).where('id', '=', i));
        await withTransaction(db, async (trx) => {
          expect(await socketWrites(() => executeTogether(trx, queries(trx)))).toBe(1);
          expect(
            await socketWrites(async () => {
              for (const q of queries(trx)) await q.execute();
            }),
          ).toBe(4);
        });
        // A transaction's BEGIN leaves with its first statement; COMMIT goes once that is answered.
        expect(
          await socketWrites(() =>
            withTransaction(db, async (trx) => {
              for (const q of queries(trx).slice(0, 2)) await q.execute();
            }),
          ),
        ).toBe(3);
        // BEGIN, the statements and COMMIT: one write.
        expect(await socketWrites(() => executeAtomically(db, queries(db)))).toBe(1);
        expect((await db.selectFrom('items').select('n').where('id', '=', 4).executeTakeFirst())?.n).toBe(4);
      });
    }
  });
}

const dir = mkdtempSync(join(tmpdir(), 'concord-batches-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
batchTests('sqlite', () => Promise.resolve(openDatabase<DB>(join(dir, 'batches.sqlite'))));

if (skipPg) {
  describe.skip(`statement batches on postgresql (skipped: ${skipPg})`, () => undefined);
} else {
  let cluster: PgCluster | undefined;
  afterAll(() => cluster?.stop());
  batchTests('postgresql', async () => {
    cluster = await startPostgres();
    return openDatabase<DB>(await cluster.createDatabase('batches_test'));
  });
}
