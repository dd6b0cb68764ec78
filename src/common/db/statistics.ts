// First planner statistics for a fresh PostgreSQL database. Until a table has been analyzed,
// PostgreSQL's planner guesses how many rows `deleted = 0` keeps (one in two hundred), and then
// finds an index on `deleted` (Nova's instances_deleted_created_at_idx, say) as good as the unique
// index on `uuid`: every lookup of an instance by uuid walked all the instances, 540 pages a
// statement at 1,000 instances. Autovacuum gathers statistics at most once a minute
// (autovacuum_naptime), so a new cloud's first minutes ran on those guesses. Each process here
// analyzes, every few seconds, the tables of its database that have grown since they were
// created and were never analyzed; from each table's first statistics on, autovacuum keeps them.
import type pg from 'pg';

/** How often a database is looked at. */
const INTERVAL_MS = 5000;
/** A table is analyzed once this many rows were written to it (autovacuum's own threshold is
 * 50 rows plus a tenth of the table). */
const MIN_CHANGES = 100;
/** pg_try_advisory_xact_lock key: one process at a time analyzes (ANALYZE of a table waits for
 * another ANALYZE of it). Any fixed number; 'stats' in ASCII. */
const LOCK_KEY = 0x73746174;

const NEVER_ANALYZED = `
  SELECT format('%I.%I', schemaname, relname) AS name
  FROM pg_stat_user_tables
  WHERE last_analyze IS NULL AND last_autoanalyze IS NULL AND n_mod_since_analyze >= $1
  ORDER BY relname`;

/** Analyzes the never-analyzed tables that have grown (see above); the tables analyzed. */
export async function analyzeNewTables(pool: pg.Pool): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
      LOCK_KEY,
    ]);
    const names = locked.rows[0]?.locked
      ? (await client.query<{ name: string }>(NEVER_ANALYZED, [MIN_CHANGES])).rows.map((r) => r.name)
      : [];
    // The names come quoted from format('%I'), never from input.
    for (const name of names) await client.query(`ANALYZE ${name}`);
    await client.query('COMMIT');
    return names;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/** Looks at `pool`'s database every few seconds (see above) until the returned function is
 * called. A failed look (the server restarting, say) is tried again at the next. */
export function analyzeNewTablesInBackground(pool: pg.Pool): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    analyzeNewTables(pool)
      .catch(() => undefined)
      .finally(() => {
        running = false;
      });
  }, INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
