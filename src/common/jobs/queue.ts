// A service's job queue: every statement on SERVICE_jobs. Workers (worker.ts) drive it.
//
// Clock: every time is taken, and compared, in SQL by the database's clock (PostgreSQL's now(),
// SQLite's, which is this host's). Workers on other hosts compare leases against the same clock
// that set them, so skew between hosts neither steals a live job nor keeps a dead one.
import { sql, type Compilable, type Expression, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Config } from '../config.js';
import { afterCommit, inIds, type Database, type Engine, type Listen } from '../db/index.js';
import { jobTables, type JobRow, type JobTables } from './schema.js';

export interface JobsConfig {
  leaseMs: number;
  pollMs: number;
  concurrency: number;
  maxAttempts: number;
  backoffMs: number;
  backoffMaxMs: number;
  /** 0: finished jobs are kept. */
  retentionMs: number;
  shutdownMs: number;
}

/** The [jobs] options. */
export function jobsConfig(c: Config): JobsConfig {
  const positive = (name: string, v: number) => {
    if (!(v > 0)) throw new Error(`[jobs] ${name} must be positive: ${v}`);
    return v;
  };
  return {
    leaseMs: positive('lease_seconds', c.jobLeaseSeconds) * 1000,
    pollMs: positive('poll_interval', c.jobPollInterval) * 1000,
    concurrency: positive('concurrency', c.jobConcurrency),
    maxAttempts: positive('max_attempts', c.jobMaxAttempts),
    backoffMs: Math.max(0, c.jobRetryBackoff) * 1000,
    backoffMaxMs: Math.max(0, c.jobRetryBackoffMax) * 1000,
    retentionMs: Math.max(0, c.jobRetention) * 1000,
    shutdownMs: Math.max(0, c.jobGracefulShutdownTimeout) * 1000,
  };
}

export interface JobSpec {
  kind: string;
  /** Anything JSON can hold; no secrets (it is stored in clear, and shown to operators). */
  payload?: unknown;
  /** What the job's runs need but must not outlive it (a password for the host to set): stored
   * apart from the payload, given to every run (a retried job, or one given back by a stopping
   * worker, still has it) and erased by the statement that records the job's end — succeeded,
   * failed, or failed because its last attempt's lease ran out. */
  secret?: unknown;
  /** The host or conductor that must run it; default: any worker serving the kind. */
  target?: string | null;
  /** Names the logical job, per kind: enqueuing it again (a retried API request, say) yields
   * the same row, for as long as that row is kept (see [jobs] retention_seconds). */
  dedupeKey?: string;
  /** Default: [jobs] max_attempts. */
  maxAttempts?: number;
  /** Seconds before the first attempt may start. */
  delaySeconds?: number;
}

export interface Enqueued {
  id: number;
  /** False when the dedupe key named a job already there. */
  created: boolean;
}

/** Which jobs a worker takes: its kinds, untargeted or aimed at one of its targets. */
export interface ClaimFilter {
  kinds: string[];
  targets: string[];
}

const MAX_NAME = 255;
const MAX_ERROR = 2000;

/** Separates the targets a SQLite claim looks a job's target up in (see claim). */
const SEP = '\x1f';

function checkName(what: string, v: string): void {
  if (typeof v !== 'string' || v === '' || v.length > MAX_NAME)
    throw new Error(`job ${what} must be 1 to ${MAX_NAME} characters`);
  if (v.includes(SEP)) throw new Error(`job ${what} must not hold the unit separator (U+001F)`);
}

/** Stored errors are one line of message, bounded: a stack or a multi-line dump may carry more
 * than an operator should see. */
export function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (text.split('\n', 1)[0] ?? '').slice(0, MAX_ERROR);
}

export class JobQueue {
  readonly tables: JobTables;
  readonly engine: Engine;
  private readonly db: Kysely<unknown>;
  private readonly listen: Listen | undefined;
  private readonly subscribers = new Set<(kind: string) => void>();
  private readonly now: RawBuilder<number>;

  constructor(
    database: Pick<Database<unknown>, 'db' | 'engine' | 'listen'>,
    service: string,
    readonly config: JobsConfig,
  ) {
    this.tables = jobTables(service);
    this.engine = database.engine;
    this.db = database.db;
    this.listen = database.listen;
    this.now =
      this.engine === 'postgres'
        ? sql<number>`(extract(epoch from now()) * 1000)::bigint`
        : sql<number>`CAST(unixepoch('subsec') * 1000 AS INTEGER)`;
  }

  private get t() {
    return sql.table(this.tables.jobs);
  }

  /** Adds a job in `db`'s transaction (or at once, on a plain Kysely instance): it exists if and
   * only if the caller's changes commit. Workers of this process are woken once it has
   * committed (on PostgreSQL, workers of every process). */
  async enqueue<DB>(db: Kysely<DB>, spec: JobSpec): Promise<Enqueued> {
    const inserted = await db.executeQuery(this.enqueueQuery(db, spec).compile());
    const row = inserted.rows[0];
    if (row) {
      afterCommit(db, () => this.wake(spec.kind));
      return { id: Number(row.id), created: true };
    }
    const existing = await sql<{ id: number }>`
      SELECT id FROM ${this.t} WHERE kind = ${spec.kind} AND dedupe_key = ${spec.dedupeKey ?? null}`.execute(db);
    return { id: Number(existing.rows[0]!.id), created: false };
  }

  /** enqueue's statement, for a batch (executeTogether, executeAtomically): the job is added only
   * if `when` holds once the statements before it have run (the instance it is for is in the
   * state they left it in, say), and its dedupe key names no job yet. Once the batch has
   * committed, give its answer to `enqueued`. */
  enqueueQuery<DB>(
    db: Kysely<DB>,
    spec: JobSpec,
    when: Expression<SqlBool> = sql<SqlBool>`TRUE`,
  ): Compilable<{ id: number }> {
    checkName('kind', spec.kind);
    if (spec.target != null) checkName('target', spec.target);
    if (spec.dedupeKey !== undefined) checkName('dedupe key', spec.dedupeKey);
    const maxAttempts = spec.maxAttempts ?? this.config.maxAttempts;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
      throw new Error('job maxAttempts must be a positive integer');
    const delayMs = Math.max(0, Math.round((spec.delaySeconds ?? 0) * 1000));
    const payload = JSON.stringify(spec.payload ?? null);
    const secret = spec.secret === undefined ? null : JSON.stringify(spec.secret);
    // NOTIFY is sent when (and only if) the transaction commits.
    const notify = this.engine === 'postgres' ? sql`, pg_notify(${this.tables.jobs}, ${spec.kind})` : sql``;
    // A SELECT rather than VALUES, for its WHERE (which SQLite also needs to read the ON CONFLICT
    // after a SELECT right); its bound values are typed where PostgreSQL would take them as text.
    const insert = sql<{ id: number }>`
      INSERT INTO ${this.t} (kind, target, payload, secret, state, attempts, max_attempts, run_after,
        dedupe_key, created_at, updated_at)
      SELECT ${spec.kind}, ${spec.target ?? null}, ${payload}, ${secret}, 'queued', 0,
        CAST(${maxAttempts} AS INTEGER), ${this.now} + ${delayMs}, ${spec.dedupeKey ?? null}, ${this.now}, ${this.now}
      WHERE ${when}
      ON CONFLICT (kind, dedupe_key) DO NOTHING
      RETURNING id${notify}`;
    return { compile: () => insert.compile(db) };
  }

  /** Takes enqueueQuery's answer, its batch committed: wakes this process's workers if the job was
   * added (on PostgreSQL, its NOTIFY wakes every process's). True if it was. */
  enqueued(kind: string, answer: { rows: unknown[] }): boolean {
    if (!answer.rows.length) return false;
    this.wake(kind);
    return true;
  }

  private wake(kind: string): void {
    for (const s of this.subscribers) s(kind);
  }

  /** Calls `fn` with the kind of each job enqueued (a hint: it may have been claimed already)
   * until the returned function is called. */
  subscribe(fn: (kind: string) => void): () => Promise<void> {
    this.subscribers.add(fn);
    const unlisten = this.listen?.(this.tables.jobs, fn);
    return async () => {
      this.subscribers.delete(fn);
      await unlisten?.();
    };
  }

  /** Takes up to `limit` due jobs for `owner`: queued ones whose time has come, and running ones
   * whose lease ran out (their worker died), except those `owner` is `running` itself. Each gets
   * a lease and its attempt counted. Claimers never wait for each other: PostgreSQL skips rows
   * another claimer has locked; SQLite runs one writer at a time. */
  async claim(owner: string, filter: ClaimFilter, limit: number, running: number[]): Promise<JobRow[]> {
    const lease = this.config.leaseMs;
    const listed = (items: (string | number)[]) => SEP + items.join(SEP) + SEP;
    const due = sql`state IN ('queued', 'running') AND run_after <= ${this.now}`;
    // The claimer's own jobs among the due ones, the first `limit` in the order they became due.
    const candidates =
      this.engine === 'postgres'
        ? this.pgCandidates(filter, limit, running, due, listed(filter.targets))
        : // Each list is one string a candidate's value is searched in: a fleet's worker serves a
          // thousand hosts, and SQLite builds a table (and a Bloom filter) for every IN subquery
          // on every claim — 0.2–0.3 ms, against 0.03 ms searched. The state test is written as
          // the due index's condition, and SQLite is told to take it (it would rather take the
          // dedupe index for the kind, and sort).
          sql`SELECT id FROM ${this.t} INDEXED BY ${sql.table(this.tables.due)}
            WHERE ${due}
              AND instr(${listed(filter.kinds)}, char(31) || kind || char(31)) > 0
              AND (target IS NULL OR instr(${listed(filter.targets)}, char(31) || target || char(31)) > 0)
              AND instr(${listed(running)}, char(31) || id || char(31)) = 0
            ORDER BY run_after, id LIMIT ${limit}`;
    const set = sql`state = 'running', attempts = attempts + 1, lease_owner = ${owner},
      run_after = ${this.now} + ${lease}, updated_at = ${this.now}`;
    let claimed: JobRow[];
    if (this.engine === 'postgres') {
      claimed = (
        await sql<JobRow>`UPDATE ${this.t} SET ${set}
          FROM (${candidates}) AS c WHERE ${this.t}.id = c.id
          RETURNING ${this.t}.*`.execute(this.db)
      ).rows;
    } else {
      // SQLite looks first, in a read that takes no lock, and writes only what it found: a write
      // takes the database's one write lock even when it changes nothing, and an idle or busy
      // worker of another process looking every few milliseconds would keep taking it from the
      // processes with work to write. The write tests the row is still due: another claimer may
      // have taken it in between.
      const found = await sql<{ id: number }>`${candidates}`.execute(this.db);
      if (!found.rows.length) return [];
      claimed = (
        await sql<JobRow>`UPDATE ${this.t} SET ${set}
          WHERE ${inIds(
            this.engine,
            'id',
            found.rows.map((r) => r.id),
          )}
            AND state IN ('queued', 'running') AND run_after <= ${this.now}
          RETURNING *`.execute(this.db)
      ).rows;
    }
    return claimed.sort((a, b) => a.run_after - b.run_after || a.id - b.id);
  }

  /** PostgreSQL's claim candidates: each kind's own, from the kind-due index (a walk of the due
   * index went through the other kinds' backlog, see jobKindDueMigration), then the first of all
   * those. The targets are one string as on SQLite: a fleet's thousand hosts as an array were
   * parsed at every claim (0.3 ms), and searched no faster. */
  private pgCandidates(
    filter: ClaimFilter,
    limit: number,
    running: number[],
    due: RawBuilder<unknown>,
    targets: string,
  ): RawBuilder<unknown> {
    const ofKind = (kind: RawBuilder<unknown>) => sql`SELECT id, run_after FROM ${this.t}
      WHERE kind = ${kind} AND ${due}
        AND (target IS NULL OR strpos(${targets}, chr(31) || target || chr(31)) > 0)
        AND NOT (${inIds(this.engine, 'id', running)})
      ORDER BY run_after, id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
    // One kind, the usual claim of a busy worker (it asks for those it heard of): without unnest,
    // whose array PostgreSQL would plan the statement afresh for at every run.
    if (filter.kinds.length === 1) return sql`SELECT id FROM (${ofKind(sql`${filter.kinds[0]}`)}) AS j`;
    return sql`SELECT j.id FROM unnest(${filter.kinds}::text[]) AS k(kind)
      CROSS JOIN LATERAL (${ofKind(sql.ref('k.kind'))}) AS j
      ORDER BY j.run_after, j.id LIMIT ${limit}`;
  }

  /** Extends the leases of the jobs `owner` is `running`; returns the ids it still holds (a job
   * missing was taken over by another worker, after this one failed to renew in time). A job
   * whose run ended without its outcome being written is renewed no more: its lease runs out,
   * and another worker runs it again. */
  async heartbeat(owner: string, running: number[]): Promise<Set<number>> {
    const held = await sql<{ id: number }>`UPDATE ${this.t}
      SET run_after = ${this.now} + ${this.config.leaseMs}, updated_at = ${this.now}
      WHERE ${inIds(this.engine, 'id', running)} AND lease_owner = ${owner} AND state = 'running' RETURNING id`.execute(
      this.db,
    );
    return new Set(held.rows.map((r) => Number(r.id)));
  }

  /** Ends a run of `job` (as claimed by `owner`), if that run still holds it; false otherwise
   * (another worker took it over: its result stands instead). */
  private async finish(job: JobRow, owner: string, set: RawBuilder<unknown>): Promise<boolean> {
    const r = await this.finishQuery(job, owner, set).execute(this.db);
    return Number(r.numAffectedRows ?? 0) === 1;
  }

  private finishQuery(job: JobRow, owner: string, set: RawBuilder<unknown>): RawBuilder<unknown> {
    return sql`UPDATE ${this.t} SET ${set}, updated_at = ${this.now}
      WHERE id = ${job.id} AND lease_owner = ${owner} AND attempts = ${job.attempts} AND state = 'running'`;
  }

  /** The statement that marks one run succeeded (if it still holds its job), for the handler's
   * last batch: see Job.successQuery. */
  successQuery(job: JobRow, owner: string): Compilable<unknown> {
    const update = this.finishQuery(job, owner, sql`state = 'succeeded', last_error = NULL, secret = NULL`);
    return { compile: () => update.compile(this.db) };
  }

  /** Marks the runs of `jobs` (as claimed by `owner`) that still hold their job succeeded, in
   * one statement: a busy worker's successes are written together. */
  async succeed(jobs: JobRow[], owner: string): Promise<void> {
    if (!jobs.length) return;
    const runs =
      this.engine === 'postgres'
        ? sql`(id, attempts) IN (SELECT * FROM unnest(${jobs.map((j) => j.id)}::bigint[], ${jobs.map((j) => j.attempts)}::integer[]))`
        : sql`(id, attempts) IN (SELECT value ->> 0, value ->> 1 FROM json_each(${JSON.stringify(jobs.map((j) => [j.id, j.attempts]))}))`;
    await sql`UPDATE ${this.t} SET state = 'succeeded', last_error = NULL, secret = NULL, updated_at = ${this.now}
      WHERE ${runs} AND lease_owner = ${owner} AND state = 'running'`.execute(this.db);
  }

  /** Marks one run succeeded with what its handler answered (a call's caller reads it). */
  succeedWith(job: JobRow, owner: string, result: unknown): Promise<boolean> {
    return this.finish(
      job,
      owner,
      sql`state = 'succeeded', last_error = NULL, secret = NULL, result = ${JSON.stringify(result)}`,
    );
  }

  /** Queues `job` again after `delayMs`, keeping why it failed. */
  retry(job: JobRow, owner: string, error: string, delayMs: number): Promise<boolean> {
    return this.finish(
      job,
      owner,
      sql`state = 'queued', run_after = ${this.now} + ${Math.round(delayMs)},
      lease_owner = NULL, last_error = ${error}`,
    );
  }

  fail(job: JobRow, owner: string, error: string): Promise<boolean> {
    return this.finish(job, owner, sql`state = 'failed', secret = NULL, last_error = ${error}`);
  }

  /** Fails a job claimed again after its last attempt's worker stopped renewing the lease: that
   * attempt counted, this claim does not. */
  abandon(job: JobRow, owner: string): Promise<boolean> {
    return this.finish(
      job,
      owner,
      sql`state = 'failed', attempts = attempts - 1, secret = NULL,
      last_error = ${'the lease of its last attempt ran out (the worker running it stopped)'}`,
    );
  }

  /** Gives back runs that `owner` stopped before they finished (a worker shutting down): queued
   * again at once, the attempt not counted. */
  async release(jobs: JobRow[], owner: string): Promise<void> {
    for (const job of jobs) {
      await this.finish(
        job,
        owner,
        sql`state = 'queued', run_after = ${this.now}, lease_owner = NULL,
        attempts = attempts - 1`,
      );
    }
  }

  /** Deletes jobs finished longer ago than [jobs] retention_seconds (how many), and erases the
   * secrets of jobs that cannot run again. */
  async prune(): Promise<number> {
    if (this.config.retentionMs === 0) return 0;
    // A last attempt whose worker died will only be failed when claimed again (which needs a
    // worker of its target, maybe never): it runs no more, so its secret goes now.
    await sql`UPDATE ${this.t} SET secret = NULL
      WHERE secret IS NOT NULL AND state = 'running' AND attempts >= max_attempts
        AND run_after <= ${this.now}`.execute(this.db);
    const r = await sql`DELETE FROM ${this.t}
      WHERE state IN ('succeeded', 'failed') AND updated_at < ${this.now} - ${this.config.retentionMs}`.execute(
      this.db,
    );
    return Number(r.numAffectedRows ?? 0);
  }

  async get(id: number): Promise<JobRow | undefined> {
    const r = await sql<JobRow>`SELECT * FROM ${this.t} WHERE id = ${id}`.execute(this.db);
    return r.rows[0];
  }

  /** Deletes a job whatever its state (a call's row, once its caller is done with it); a worker
   * running it loses its lease and its outcome is not recorded. */
  async remove(id: number): Promise<void> {
    await sql`DELETE FROM ${this.t} WHERE id = ${id}`.execute(this.db);
  }

  /** The database's clock, for periodic.ts. */
  get clock(): RawBuilder<number> {
    return this.now;
  }

  /** The database, for periodic.ts. */
  get database(): Kysely<unknown> {
    return this.db;
  }
}
