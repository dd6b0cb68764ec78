// The rows of SQLite queries as Kysely returns them (src/common/db/sqlite_rows.ts builds them from
// arrays): the same objects better-sqlite3 itself makes, whatever the columns.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/common/db/index.js';

describe('SQLite rows', () => {
  let dir: string;
  let database: Database<unknown>;
  let db: Kysely<unknown>;
  let plain: SQLite.Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'concord-rows-'));
    database = openDatabase<unknown>(join(dir, 'x.sqlite'));
    db = database.db;
    await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, "weird ""name""" TEXT, n REAL, b BLOB, z TEXT)`.execute(db);
    await sql`CREATE TABLE u (id INTEGER PRIMARY KEY, t_id INTEGER, z TEXT)`.execute(db);
    await sql`INSERT INTO t VALUES (1, 'a''s', 1.5, x'00ff', NULL), (2, '', -0.25, NULL, 'é')`.execute(db);
    await sql`INSERT INTO u VALUES (7, 1, 'u1'), (8, 2, 'u2')`.execute(db);
    plain = new SQLite(join(dir, 'x.sqlite'), { readonly: true });
  });
  afterEach(async () => {
    plain.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const both = async (text: string) => {
    const ours = (await sql.raw(text).execute(db)).rows;
    expect(ours).toEqual(plain.prepare(text).all());
    return ours;
  };

  it('match better-sqlite3: quoted names, NULLs, blobs, reals, repeated names (the last one kept), no rows', async () => {
    expect(await both('SELECT * FROM t ORDER BY id')).toHaveLength(2);
    const joined = await both('SELECT t.id, u.id, t.z, u.z FROM t JOIN u ON u.t_id = t.id ORDER BY t.id');
    expect(joined[0]).toEqual({ id: 7, z: 'u1' });
    expect(await both('SELECT * FROM t WHERE id > 5')).toEqual([]);
    expect(await both('SELECT count(*) AS c, max(n) AS "m.x" FROM t')).toEqual([{ c: 2, 'm.x': 1.5 }]);
  });

  it('follow a statement whose columns changed since it was first run', async () => {
    await both('SELECT * FROM t ORDER BY id');
    await sql`ALTER TABLE t ADD COLUMN added TEXT DEFAULT 'new'`.execute(db);
    const [first] = await both('SELECT * FROM t ORDER BY id');
    expect(first).toHaveProperty('added', 'new');
  });

  it('come back from RETURNING and leave writes as they were', async () => {
    const r = await sql`INSERT INTO u (t_id, z) VALUES (1, 'r') RETURNING id, z`.execute(db);
    expect(r.rows).toEqual([{ id: 9, z: 'r' }]);
    const w = await sql`UPDATE u SET z = 'w' WHERE t_id = 1`.execute(db);
    expect(w.numAffectedRows).toBe(2n);
  });
});
