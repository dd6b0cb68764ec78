// The tables of a service's jobs, named after the service so that services sharing one database
// (`[database] connection` for all) never clash: SERVICE_jobs and SERVICE_periodic_tasks.
// Times are milliseconds since the epoch by the database's clock (see queue.ts).
import { sql, type Kysely, type Migration } from 'kysely';
import type { Engine } from '../db/index.js';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';

/** A row of SERVICE_jobs. */
export interface JobRow {
  id: number;
  kind: string;
  /** The host or conductor that must run it; null: any worker serving the kind. */
  target: string | null;
  /** JSON. */
  payload: string;
  /** JSON the job's runs need but nobody else may read (a password for the host): NULL once the
   * job has ended (see JobSpec.secret). */
  secret: string | null;
  /** JSON: what the handler's run answered, for a caller waiting on it (see call.ts); NULL for a
   * job nobody waits on. */
  result: string | null;
  state: JobState;
  /** Times it was started (claimed), this run included. */
  attempts: number;
  max_attempts: number;
  /** Not to be claimed before this: when queued, the time of its (next) attempt; when running,
   * when its lease runs out, after which another worker may take it over. */
  run_after: number;
  /** The worker holding (or, once finished, that last held) it. */
  lease_owner: string | null;
  last_error: string | null;
  /** Names the logical job: enqueuing one kind with the same key again yields the same row. */
  dedupe_key: string | null;
  created_at: number;
  updated_at: number;
}

/** A row of SERVICE_periodic_tasks: who runs the task now and when it is next due. */
export interface PeriodicRow {
  name: string;
  next_run_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  updated_at: number;
}

export interface JobTables {
  jobs: string;
  periodic: string;
  /** The index claims walk (SQLite's). */
  due: string;
  /** The index PostgreSQL's claims walk, one kind after the other. */
  kindDue: string;
}

export function jobTables(service: string): JobTables {
  if (!/^[a-z][a-z0-9_]*$/.test(service)) throw new Error(`not a service name for job tables: ${service}`);
  return {
    jobs: `${service}_jobs`,
    periodic: `${service}_periodic_tasks`,
    due: `${service}_jobs_due_idx`,
    kindDue: `${service}_jobs_kind_due_idx`,
  };
}

/** The migration creating `service`'s job tables, for the service's own migration list. */
export function jobsMigration(service: string, engine: Engine): Migration {
  const t = jobTables(service);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable(t.jobs)
        // Ids are never reused on SQLite either (AUTOINCREMENT): a pruned job's id names no other.
        .addColumn('id', engine === 'postgres' ? 'bigserial' : 'integer', (c) =>
          engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('kind', 'varchar(255)', (c) => c.notNull())
        .addColumn('target', 'varchar(255)')
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('run_after', 'bigint', (c) => c.notNull())
        .addColumn('lease_owner', 'varchar(255)')
        .addColumn('last_error', 'text')
        .addColumn('dedupe_key', 'varchar(255)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint(`${t.jobs}_dedupe_uq`, ['kind', 'dedupe_key'])
        .execute();
      // Claims walk the unfinished jobs in the order they become due.
      await db.schema
        .createIndex(t.due)
        .on(t.jobs)
        .columns(['run_after', 'id'])
        .where(sql<boolean>`state IN ('queued', 'running')`)
        .execute();
      await db.schema
        .createIndex(`${t.jobs}_lease_idx`)
        .on(t.jobs)
        .column('lease_owner')
        .where(sql<boolean>`state = 'running'`)
        .execute();
      await db.schema
        .createIndex(`${t.jobs}_finished_idx`)
        .on(t.jobs)
        .column('updated_at')
        .where(sql<boolean>`state IN ('succeeded', 'failed')`)
        .execute();
      await db.schema
        .createTable(t.periodic)
        .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('next_run_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_owner', 'varchar(255)')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}

/** The second step of `service`'s job tables, after jobsMigration's: a job's secret, kept apart
 * from its payload (which operators read) and erased when the job ends. */
export function jobSecretsMigration(service: string): Migration {
  const t = jobTables(service);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable(t.jobs).addColumn('secret', 'text').execute();
    },
  };
}

/** The third step, after jobSecretsMigration's: a job's result, what its handler answered to a
 * caller that waits for it (a call, see call.ts). */
export function jobResultsMigration(service: string): Migration {
  const t = jobTables(service);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable(t.jobs).addColumn('result', 'text').execute();
    },
  };
}

/** The fourth step, after jobResultsMigration's, on PostgreSQL: the unfinished jobs by kind in
 * the order they become due. Walking the due index, a claimer for some kinds went through every
 * unfinished job of the others (a fleet's claim for spawns, past thousands of queued builds, 1,350
 * pages at 5,000 boots); its claims now look at each of its kinds' own (queue.ts). SQLite, with one
 * claimer at a time and no page cache to share, keeps the due index alone. */
export function jobKindDueMigration(service: string, engine: Engine): Migration {
  const t = jobTables(service);
  return {
    async up(db: Kysely<unknown>) {
      if (engine !== 'postgres') return;
      await db.schema
        .createIndex(t.kindDue)
        .on(t.jobs)
        .columns(['kind', 'run_after', 'id'])
        .where(sql<boolean>`state IN ('queued', 'running')`)
        .execute();
    },
  };
}
