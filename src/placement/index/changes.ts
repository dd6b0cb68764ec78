// The change log every Placement process reads to keep its provider index (./provider_index.ts)
// equal to the database. Triggers (../db/migrations.ts) append a row per provider a write
// touches, inside the writing transaction; because the row commits (or rolls back) with the
// write itself, a reader that has seen the row is guaranteed to find the write in the database.
//
// Finding "every row committed since I last looked" is easy on SQLite, whose writers are
// serialised: ids are handed out in commit order, so "id > last id seen" is exact. On
// PostgreSQL sequence values are handed out at insert time and transactions commit in any
// order, so a row with a smaller id can become visible after a larger one. There each row also
// records its transaction id, and a reader remembers which transactions its last look could not
// see yet: those still running then (the snapshot's in-progress list) and those not yet begun
// (from the snapshot's xmax on). Every other transaction had finished, and its rows were read
// then. Asking for exactly those rows finds each committed row once, however long some
// transaction elsewhere stays open: a transaction that has written nothing here matches no row.
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
  /** Marks the position of a full load read in the same snapshot (`trx`, a read transaction):
   * later polls return what committed after that snapshot. */
  start(trx: Kysely<PlacementDB>): Promise<void>;
  /** The changes committed since the last call (or since start). */
  poll(db: Kysely<PlacementDB>): Promise<ChangeBatch>;
}

function add(batch: ChangeBatch, row: { provider_id: number | null; kind: string | null }) {
  if (row.kind === 'catalog') batch.catalog = true;
  else if (row.provider_id !== null) batch.providerIds.add(row.provider_id);
}

class SqliteCursor implements ChangeCursor {
  private last = 0;
  async start(trx: Kysely<PlacementDB>) {
    const r = await trx.selectFrom('placement_changes').select((eb) => eb.fn.max('id').as('m')).executeTakeFirst();
    this.last = Number(r?.m ?? 0);
  }
  async poll(db: Kysely<PlacementDB>): Promise<ChangeBatch> {
    const rows = await db.selectFrom('placement_changes').select(['id', 'provider_id', 'kind'])
      .where('id', '>', this.last).orderBy('id').execute();
    const batch: ChangeBatch = { providerIds: new Set(), catalog: false };
    for (const r of rows) {
      this.last = Math.max(this.last, r.id);
      add(batch, r);
    }
    return batch;
  }
}

class PostgresCursor implements ChangeCursor {
  /** Transactions from this one on had not begun at the last look. */
  private xmax = '0';
  /** Transactions running at the last look. */
  private running: string[] = [];

  /** Takes the position of a snapshot given as text, `xmin:xmax:xip,...`. */
  private take(snapshot: string) {
    const [, xmax, xip] = snapshot.split(':');
    this.xmax = xmax!;
    this.running = xip ? xip.split(',') : [];
  }
  async start(trx: Kysely<PlacementDB>) {
    const r = await sql<{ snapshot: string }>`SELECT pg_current_snapshot()::text AS snapshot`.execute(trx);
    this.take(r.rows[0]!.snapshot);
  }
  async poll(db: Kysely<PlacementDB>): Promise<ChangeBatch> {
    // One statement, so the snapshot described and the rows read are the same.
    const r = await sql<{ snapshot: string | null; provider_id: number | null; kind: string | null }>`
      SELECT pg_current_snapshot()::text AS snapshot, NULL::integer AS provider_id, NULL::varchar AS kind
      UNION ALL
      SELECT NULL, provider_id, kind FROM placement_changes
      WHERE xid >= ${this.xmax}::xid8 OR xid = ANY(${this.running}::xid8[])`.execute(db);
    const batch: ChangeBatch = { providerIds: new Set(), catalog: false };
    let snapshot: string | null = null;
    for (const row of r.rows) {
      if (row.snapshot !== null) snapshot = row.snapshot;
      else add(batch, row);
    }
    this.take(snapshot!);
    return batch;
  }
}

export function changeCursor(engine: Engine): ChangeCursor {
  return engine === 'postgres' ? new PostgresCursor() : new SqliteCursor();
}

/** Deletes change rows older than the retention period, by the database's clock: the one the
 * triggers stamp rows with (a host's clock may be ahead of it). `shiftMs` moves that clock
 * forward (./clock.ts).
 *
 * The newest row always stays. SQLite gives a new row the highest id in the table plus one, so
 * in a table pruned empty ids would start again from 1, below every reader's cursor; keeping the
 * newest row keeps ids increasing for good. (AUTOINCREMENT would too, but SQLite cannot add it
 * to an existing table without rebuilding the table, beneath the triggers of every other
 * process writing to it.) PostgreSQL's sequence never goes back; the rule costs it nothing. */
export async function pruneChanges(db: Kysely<PlacementDB>, engine: Engine, shiftMs = 0): Promise<void> {
  const seconds = (shiftMs - CHANGE_RETENTION_MS) / 1000;
  // The format the triggers write (../db/migrations.ts), so that text comparison is time order.
  const cutoff = engine === 'postgres'
    ? sql<string>`to_char((clock_timestamp() + make_interval(secs => ${seconds})) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    : sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ${`${seconds} seconds`})`;
  await db.deleteFrom('placement_changes').where('created_at', '<', cutoff)
    .where('id', '<', (eb) => eb.selectFrom('placement_changes').select((e) => e.fn.max('id').as('newest')))
    .execute();
}
