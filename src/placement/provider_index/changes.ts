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
import { sql, type Kysely, type SqlBool } from 'kysely';
import type { Engine } from '../../common/db/index.js';
import type { PlacementDB } from '../db/schema.js';

/** How long change rows are kept once committed. A process that has not looked for half of
 * this reloads. */
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
  /** Where the log stood at the last look: the rows below this mark (SQLite: ids up to it;
   * PostgreSQL: transactions before it) had all committed then. */
  mark(): string;
}

function add(batch: ChangeBatch, row: { provider_id: number | null; kind: string | null }) {
  if (row.kind === 'catalog') batch.catalog = true;
  else if (row.provider_id !== null) batch.providerIds.add(row.provider_id);
}

class SqliteCursor implements ChangeCursor {
  private last = 0;
  async start(trx: Kysely<PlacementDB>) {
    const r = await trx
      .selectFrom('placement_changes')
      .select((eb) => eb.fn.max('id').as('m'))
      .executeTakeFirst();
    this.last = Number(r?.m ?? 0);
  }
  mark() {
    return String(this.last);
  }
  async poll(db: Kysely<PlacementDB>): Promise<ChangeBatch> {
    const rows = await db
      .selectFrom('placement_changes')
      .select(['id', 'provider_id', 'kind'])
      .where('id', '>', this.last)
      .orderBy('id')
      .execute();
    const batch: ChangeBatch = { providerIds: new Set(), catalog: false };
    for (const r of rows) {
      this.last = Math.max(this.last, r.id);
      add(batch, r);
    }
    return batch;
  }
}

class PostgresCursor implements ChangeCursor {
  /** Transactions before this one had all finished at the last look. */
  private xmin = '0';
  /** Transactions from this one on had not begun at the last look. */
  private xmax = '0';
  /** Transactions running at the last look. */
  private running: string[] = [];

  /** Takes the position of a snapshot given as text, `xmin:xmax:xip,...`. */
  private take(snapshot: string) {
    const [xmin, xmax, xip] = snapshot.split(':');
    this.xmin = xmin!;
    this.xmax = xmax!;
    this.running = xip ? xip.split(',') : [];
  }
  mark() {
    return this.xmin;
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

/** Prunes the change log, in each process, of the rows every process has had time to read.
 * A process reads the log at least every CHANGE_RETENTION_MS / 2 or reloads instead, so a row
 * that had committed CHANGE_RETENTION_MS ago has been read by every process that still relies
 * on its cursor. "Had committed then" is a position this process saw in the log at that time
 * (a cursor mark), and "then" is read on this host's clock alone: the rows' timestamps, written
 * by the database's clock, are never compared with it. A transaction that stays open for long
 * keeps the marks below its own rows, so they wait however late it commits.
 *
 * The newest row always stays. SQLite gives a new row the highest id in the table plus one, so
 * in a table pruned empty ids would start again from 1, below every reader's cursor; keeping the
 * newest row keeps ids increasing for good. (AUTOINCREMENT would too, but SQLite cannot add it
 * to an existing table without rebuilding the table, beneath the triggers of every other
 * process writing to it.) PostgreSQL's sequence never goes back; the rule costs it nothing. */
export class ChangePruner {
  /** Marks by the host time they were seen at, oldest first, one a minute. */
  private readonly marks: { at: number; mark: string }[] = [];

  constructor(private readonly engine: Engine) {}

  /** Records where the cursor stands at host time `now` and, at most once a minute, deletes
   * the rows below the newest mark old enough. */
  async looked(db: Kysely<PlacementDB>, now: number, mark: string): Promise<void> {
    const last = this.marks[this.marks.length - 1];
    if (last && now - last.at < 60_000) return;
    this.marks.push({ at: now, mark });
    let old: string | null = null;
    while (this.marks.length && now - this.marks[0]!.at >= CHANGE_RETENTION_MS) old = this.marks.shift()!.mark;
    if (old === null) return;
    const below = this.engine === 'postgres' ? sql<SqlBool>`xid < ${old}::xid8` : sql<SqlBool>`id <= ${Number(old)}`;
    await db
      .deleteFrom('placement_changes')
      .where(below)
      .where('id', '<', (eb) => eb.selectFrom('placement_changes').select((e) => e.fn.max('id').as('newest')))
      .execute();
  }
}
