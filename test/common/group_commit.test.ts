// SQLite's group commit (src/common/db/group_commit.ts): the transactions of one process that run
// in one turn of the event loop commit together, each still atomic on its own, and a caller of
// withTransaction hears back only once its transaction is committed for every other connection.
// A second better-sqlite3 connection stands for another process (SQLite locks the same way).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql, type Generated, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { groupCommitOf, openDatabase, withTransaction, type Database } from '../../src/common/db/index.js';

interface DB {
  t: { id: Generated<number>; v: string };
}

describe('SQLite group commit', () => {
  let dir: string;
  let database: Database<DB>;
  let db: Kysely<DB>;
  let other: SQLite.Database;
  const seen = () => (other.prepare('SELECT v FROM t ORDER BY id').all() as { v: string }[]).map((r) => r.v);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'concord-gc-'));
    database = openDatabase<DB>(join(dir, 'x.sqlite'));
    db = database.db;
    await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)`.execute(db);
    other = new SQLite(join(dir, 'x.sqlite'));
    other.pragma('busy_timeout = 5000');
  });
  afterEach(async () => {
    other.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits the transactions of one turn together; each caller returns once others see its rows', async () => {
    const group = groupCommitOf(db)!;
    const before = group.commits;
    const values = Array.from({ length: 50 }, (_, i) => `v${i}`);
    await Promise.all(
      values.map((v) =>
        withTransaction(db, async (trx) => {
          await trx.insertInto('t').values({ v }).execute();
          // Another connection sees this transaction's row when its caller hears back.
          return undefined;
        }).then(() => expect(seen()).toContain(v)),
      ),
    );
    expect(seen().sort()).toEqual([...values].sort());
    const commits = group.commits - before;
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThan(10);
  });

  it('a transaction that fails is rolled back alone: the others of its batch commit', async () => {
    await withTransaction(db, (trx) => trx.insertInto('t').values({ v: 'taken' }).execute());
    const results = await Promise.allSettled([
      withTransaction(db, (trx) => trx.insertInto('t').values({ v: 'a' }).execute()),
      withTransaction(db, async (trx) => {
        await trx.insertInto('t').values({ v: 'b' }).execute();
        await trx.insertInto('t').values({ v: 'taken' }).execute(); // unique violation
      }),
      withTransaction(db, (trx) => trx.insertInto('t').values({ v: 'c' }).execute()),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(seen()).toEqual(['taken', 'a', 'c']);
  });

  it('a statement outside transactions joins an open batch and is committed with it', async () => {
    const tx = withTransaction(db, (trx) => trx.insertInto('t').values({ v: 'in' }).execute());
    const plain = db.insertInto('t').values({ v: 'plain' }).execute();
    await Promise.all([tx, plain]);
    await new Promise((r) => setImmediate(r));
    expect(seen().sort()).toEqual(['in', 'plain']);
  });

  it('a batch that read before another connection committed starts again from a fresh snapshot', async () => {
    await withTransaction(db, (trx) => trx.insertInto('t').values({ v: 'x0' }).execute());
    let attempts = 0;
    // The transaction reads (the batch's snapshot is taken), another connection commits, then
    // the transaction writes: SQLITE_BUSY_SNAPSHOT, which is retried after a fresh start.
    const rows = await withTransaction(db, async (trx) => {
      attempts++;
      const n = (await trx.selectFrom('t').select('v').execute()).length;
      if (attempts === 1) other.prepare("INSERT INTO t (v) VALUES ('from other')").run();
      await trx
        .insertInto('t')
        .values({ v: `mine after ${n}` })
        .execute();
      return n;
    });
    expect(attempts).toBe(2);
    expect(rows).toBe(2);
    expect(seen()).toEqual(['x0', 'from other', 'mine after 2']);
  });

  it("a transaction that only read ends its batch: what follows sees other connections' commits", async () => {
    // The transaction's snapshot predates another connection's commit; had its batch stayed
    // open, the statements after it in the same turn would read that old snapshot, and a write
    // among them would fail on it.
    await db.transaction().execute(async (trx) => {
      await trx.selectFrom('t').selectAll().execute();
      other.prepare("INSERT INTO t (v) VALUES ('other')").run();
    });
    expect((await db.selectFrom('t').select('v').execute()).map((r) => r.v)).toEqual(['other']);
    await db.insertInto('t').values({ v: 'after' }).execute();
    expect(seen().sort()).toEqual(['after', 'other']);
  });

  it("opens of one file in one process share its connection: no open waits for another's batch", async () => {
    // Through a second connection of the same thread, this write would wait (synchronously) for
    // the lock the first one's batch holds until the end of the turn that the wait itself blocks.
    const second = openDatabase<DB>(join(dir, 'x.sqlite'));
    try {
      const started = Date.now();
      await db.transaction().execute((trx) => trx.insertInto('t').values({ v: 'first' }).execute());
      await second.db.insertInto('t').values({ v: 'second' }).execute();
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await second.close();
    }
    // Closing one open leaves the other's connection working.
    await withTransaction(db, (trx) => trx.insertInto('t').values({ v: 'third' }).execute());
    expect(seen()).toEqual(['first', 'second', 'third']);
  });
});
