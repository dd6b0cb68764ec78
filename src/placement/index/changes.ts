// The change log every Placement process reads to keep its provider index (./provider_index.ts)
// equal to the database. Triggers (../db/migrations.ts) append a row per provider a write
// touches, inside the writing transaction; because the row commits (or rolls back) with the
// write itself, a reader that has seen the row is guaranteed to find the write in the database.
//
// Finding "every row committed since I last looked" is easy on SQLite, whose writers are
// serialised: ids are handed out in commit order, so "id > last id seen" is exact. On
// PostgreSQL sequence values are handed out at insert time and transactions commit in any
// order, so a row with a smaller id can become visible after a larger one. There each row also
// records its transaction id, and a reader remembers the oldest transaction still running at its
// last look (the snapshot's xmin): every transaction older than that has finished, so asking for
// rows with xid >= that horizon can never miss one; rows seen twice are recognised by id.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../../common/db/index.js';
import type { PlacementDB } from '../db/schema.js';

/** How long change rows are kept. A process that has not looked for half of this reloads. */
export const CHANGE_RETENTION_MS = 10 * 60 * 1000;

export interface ChangeBatch {
  providerIds: Set<number>;
  catalog: boolean;
}

/** A reader's position in the change log. */
export interface ChangeCursor {
  /** Marks "now" before a full load: later polls return what committed after this point. */
  start(db: Kysely<PlacementDB>): Promise<void>;
  /** The changes committed since the last call (or since start). */
  poll(db: Kysely<PlacementDB>): Promise<ChangeBatch>;
}

class SqliteCursor implements ChangeCursor {
  private last = 0;
  async start(db: Kysely<PlacementDB>) {
    const r = await db.selectFrom('placement_changes').select((eb) => eb.fn.max('id').as('m')).executeTakeFirst();
    this.last = Number(r?.m ?? 0);
  }
  async poll(db: Kysely<PlacementDB>): Promise<ChangeBatch> {
    const rows = await db.selectFrom('placement_changes').select(['id', 'provider_id', 'kind'])
      .where('id', '>', this.last).orderBy('id').execute();
    const batch: ChangeBatch = { providerIds: new Set(), catalog: false };
    for (const r of rows) {
      this.last = Math.max(this.last, r.id);
      if (r.kind === 'catalog') batch.catalog = true;
      else if (r.provider_id !== null) batch.providerIds.add(r.provider_id);
    }
    return batch;
  }
}

class PostgresCursor implements ChangeCursor {
  /** Every transaction older than this had finished at our last look. */
  private horizon = '0';
  /** Ids of rows at or above the horizon that we have already applied. */
  private seen = new Map<number, bigint>();

  private async snapshotXmin(db: Kysely<PlacementDB>): Promise<string> {
    const r = await sql<{ xmin: string }>`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`.execute(db);
    return r.rows[0]!.xmin;
  }
  async start(db: Kysely<PlacementDB>) {
    this.horizon = await this.snapshotXmin(db);
    this.seen.clear();
  }
  async poll(db: Kysely<PlacementDB>): Promise<ChangeBatch> {
    // One statement, so the xmin and the rows come from the same snapshot.
    const r = await sql<{ xmin: string; id: number | null; provider_id: number | null; kind: string | null; xid: string | null }>`
      SELECT s.xmin::text AS xmin, c.id, c.provider_id, c.kind, c.xid::text AS xid
      FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin) s
      LEFT JOIN placement_changes c ON c.xid >= ${this.horizon}::xid8`.execute(db);
    const batch: ChangeBatch = { providerIds: new Set(), catalog: false };
    const xmin = r.rows[0]?.xmin ?? this.horizon;
    for (const row of r.rows) {
      if (row.id === null || this.seen.has(row.id)) continue;
      this.seen.set(row.id, BigInt(row.xid!));
      if (row.kind === 'catalog') batch.catalog = true;
      else if (row.provider_id !== null) batch.providerIds.add(row.provider_id);
    }
    const horizon = BigInt(xmin);
    for (const [id, xid] of this.seen) if (xid < horizon) this.seen.delete(id);
    this.horizon = xmin;
    return batch;
  }
}

export function changeCursor(engine: Engine): ChangeCursor {
  return engine === 'postgres' ? new PostgresCursor() : new SqliteCursor();
}

/** Deletes change rows older than the retention period. */
export async function pruneChanges(db: Kysely<PlacementDB>): Promise<void> {
  const before = new Date(Date.now() - CHANGE_RETENTION_MS).toISOString();
  await db.deleteFrom('placement_changes').where('created_at', '<', before).execute();
}
