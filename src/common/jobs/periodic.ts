// Periodic tasks (resource reports, pruning ...): every process of a service may register one,
// and exactly one of them runs it each interval. The row of the task in SERVICE_periodic_tasks is
// both the schedule (next_run_at) and the lease: a process takes it when it is due and nobody
// holds it, renews the lease while running, and gives it back when done. A holder that dies
// stops renewing, and its lease runs out. Times are the database's (see queue.ts).
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { JobQueue } from './queue.js';
import { settlesWithin, sleep } from './timing.js';

/** `signal` aborts when the process stops while the task runs. */
export type PeriodicFn = (signal: AbortSignal) => Promise<void>;

export class PeriodicTask {
  private readonly stopping = new AbortController();
  private running: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly queue: JobQueue,
    private readonly owner: string,
    readonly name: string,
    private readonly intervalMs: number,
    private readonly fn: PeriodicFn,
    private readonly log: Logger,
  ) {
    if (!(intervalMs > 0)) throw new Error(`periodic task ${name}: the interval must be positive`);
  }

  private get t() {
    return sql.table(this.queue.tables.periodic);
  }
  private get now() {
    return this.queue.clock;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops scheduling; a run in progress gets `graceMs` to finish, then is aborted and its lease
   * given back. */
  async stop(graceMs: number): Promise<void> {
    this.stopping.abort();
    if (!this.loop) return;
    if (!(await settlesWithin(this.loop, graceMs))) {
      this.running?.abort(new Error('the process is stopping'));
      await this.giveBack().catch((err: unknown) =>
        this.log.warn({ err, task: this.name }, 'could not give back the lease'),
      );
    }
  }

  private async run(): Promise<void> {
    const db = this.queue.database;
    await sql`INSERT INTO ${this.t} (name, next_run_at, updated_at) VALUES (${this.name}, ${this.now}, ${this.now})
      ON CONFLICT (name) DO NOTHING`
      .execute(db)
      .catch((err: unknown) => this.log.error({ err, task: this.name }, 'periodic task not registered'));
    while (!this.stopping.signal.aborted) {
      let waitMs = this.queue.config.pollMs;
      try {
        if (await this.take()) await this.runOnce();
        waitMs = await this.dueIn();
      } catch (err) {
        this.log.error({ err, task: this.name }, 'periodic task scheduling failed');
      }
      await sleep(Math.min(Math.max(waitMs, 10), this.intervalMs), this.stopping.signal);
    }
  }

  /** Takes the task if it is due and nobody holds it; whether this process did. */
  private async take(): Promise<boolean> {
    const r = await sql`UPDATE ${this.t} SET lease_owner = ${this.owner},
        lease_expires_at = ${this.now} + ${this.queue.config.leaseMs}, next_run_at = ${this.now} + ${this.intervalMs},
        updated_at = ${this.now}
      WHERE name = ${this.name} AND next_run_at <= ${this.now}
        AND (lease_owner IS NULL OR lease_expires_at <= ${this.now})`.execute(this.queue.database);
    return Number(r.numAffectedRows ?? 0) === 1;
  }

  /** Milliseconds until the task may next be taken: when it is due, or its lease runs out. */
  private async dueIn(): Promise<number> {
    const r = await sql<{ due: number; held: number | null }>`SELECT next_run_at - ${this.now} AS due,
        CASE WHEN lease_owner IS NULL THEN NULL ELSE lease_expires_at - ${this.now} END AS held
      FROM ${this.t} WHERE name = ${this.name}`.execute(this.queue.database);
    const row = r.rows[0];
    return row ? Math.max(Number(row.due), Number(row.held ?? 0)) : this.intervalMs;
  }

  private async runOnce(): Promise<void> {
    const ac = new AbortController();
    this.running = ac;
    const renewing = this.renew(ac.signal);
    try {
      await this.fn(ac.signal);
    } catch (err) {
      // The next interval runs it again: a periodic task has no retries of its own.
      this.log.error({ err, task: this.name }, 'periodic task failed');
    } finally {
      this.running = undefined;
      ac.abort();
      await renewing;
    }
    await this.giveBack();
  }

  /** Renews the lease every third of it until `done` aborts. */
  private async renew(done: AbortSignal): Promise<void> {
    for (;;) {
      await sleep(this.queue.config.leaseMs / 3, done);
      if (done.aborted) return;
      await sql`UPDATE ${this.t} SET lease_expires_at = ${this.now} + ${this.queue.config.leaseMs}
        WHERE name = ${this.name} AND lease_owner = ${this.owner}`
        .execute(this.queue.database)
        .catch((err: unknown) => this.log.warn({ err, task: this.name }, 'could not renew the lease'));
    }
  }

  private async giveBack(): Promise<void> {
    await sql`UPDATE ${this.t} SET lease_owner = NULL, lease_expires_at = NULL, updated_at = ${this.now}
      WHERE name = ${this.name} AND lease_owner = ${this.owner}`.execute(this.queue.database);
  }
}
