import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { analyzeNewTables } from '../../src/common/db/statistics.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const skipPg = postgresUnavailable();

/** The plan PostgreSQL picks for Nova's most frequent lookup, an instance by uuid. */
async function lookupPlan(pool: pg.Pool): Promise<string> {
  const r = await pool.query<{ 'QUERY PLAN': string }>(
    "EXPLAIN SELECT * FROM instances WHERE uuid = 'x' AND deleted = 0",
  );
  return r.rows.map((row) => row['QUERY PLAN']).join('\n');
}

describe.skipIf(skipPg)(
  `first statistics of a fresh PostgreSQL database${skipPg ? ` (skipped: ${skipPg})` : ''}`,
  () => {
    let cluster: PgCluster;
    let pool: pg.Pool;
    beforeAll(async () => {
      cluster = await startPostgres();
      pool = new pg.Pool({ connectionString: await cluster.createDatabase('db_statistics_test') });
      // Nova's instances table, as far as the planner's choice goes: a unique uuid and indexes
      // that start with, or contain, `deleted`.
      await pool.query(`CREATE TABLE instances (id serial PRIMARY KEY, uuid varchar(36) NOT NULL UNIQUE,
      host varchar(255), project_id varchar(255), deleted integer NOT NULL DEFAULT 0, created_at varchar(40))`);
      await pool.query('CREATE INDEX instances_deleted_created_at_idx ON instances (deleted, created_at)');
      await pool.query('CREATE INDEX instances_host_deleted_idx ON instances (host, deleted)');
      await pool.query('CREATE TABLE quiet (id serial PRIMARY KEY)');
      await pool.query(`INSERT INTO instances (uuid, host, project_id, created_at)
      SELECT md5(g::text), 'compute' || (g % 10), 'p', now()::text FROM generate_series(1, 500) g`);
      await pool.query('INSERT INTO quiet DEFAULT VALUES');
    });
    afterAll(async () => {
      await pool?.end();
      cluster?.stop();
    });

    it('analyzes the tables that grew, once, and lookups by uuid then take the uuid index', async () => {
      // Without statistics the planner walks an index on `deleted` for a uuid.
      expect(await lookupPlan(pool)).not.toContain('instances_uuid_key');
      // The counters the choice is made from reach pg_stat_user_tables within a second or so.
      let analyzed: string[] = [];
      for (let i = 0; i < 50 && !analyzed.length; i++) {
        analyzed = await analyzeNewTables(pool);
        if (!analyzed.length) await new Promise((r) => setTimeout(r, 100));
      }
      expect(analyzed).toEqual(['public.instances']);
      expect(await lookupPlan(pool)).toContain('Index Scan using instances_uuid_key');
      // Analyzed once: from then on autovacuum keeps the statistics.
      expect(await analyzeNewTables(pool)).toEqual([]);
    });
  },
);
