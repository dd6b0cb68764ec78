// A worker: claims the jobs of its kinds (and targets), runs their handlers with bounded
// concurrency, renews their leases while they run, and records how each ended. It also runs the
// service's periodic tasks. Any number of workers, in any number of processes, share a queue.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Compilable } from 'kysely';
import { PeriodicTask, type PeriodicFn } from './periodic.js';
import { errorText, type ClaimFilter, type JobQueue } from './queue.js';
import type { JobRow } from './schema.js';
import { settlesWithin, sleep } from './timing.js';

/** What a handler is given. A job runs at least once: after a crash, or a lease lost while the
 * worker stalled, it runs again (with `attempt` counted on), so handlers must be idempotent,
 * picking up whatever an earlier attempt got done. */
export interface Job<P = unknown> {
  id: number;
  kind: string;
  target: string | null;
  payload: P;
  /** The spec's secret (null without one). */
  secret: unknown;
  /** 1 for the first run. */
  attempt: number;
  maxAttempts: number;
  dedupeKey: string | null;
  /** Aborts when this run no longer holds the job (its lease was taken over) or the worker is
   * stopping and will give the job back: the handler should stop soon after. */
  signal: AbortSignal;
  /** The statement that marks this run succeeded, for a handler whose last write is one batch
   * (executeAtomically) in the queue's database: the job then ends with the handler's own commit,
   * one statement and one commit fewer, and the worker writes nothing more once the handler
   * returns (a failure after it leaves the job succeeded). Ask for it right before that batch:
   * from then on the run's lease is no longer renewed. Not for handlers that answer a result. */
  successQuery(): Compilable<unknown>;
}

/** What a handler resolves with, unless undefined, is the job's result: written with its success,
 * for a caller waiting on it (a call, see call.ts). */
export type JobHandler = (job: Job) => Promise<unknown>;

/** Thrown by a handler for a failure that retrying cannot mend (the job is failed at once). */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

export interface WorkerOptions {
  /** A handler per kind: the kinds this worker takes. */
  handlers: Record<string, JobHandler>;
  /** Hosts or conductors whose targeted jobs it also takes (untargeted ones it always takes). */
  targets?: string[];
  /** Default: [jobs] concurrency. */
  concurrency?: number;
  log: Logger;
}

/** Claims at most this many at once, so that one worker does not hoard a burst. */
const MAX_BATCH = 32;
/** The first idle wait; doubled while nothing comes, up to [jobs] poll_interval. */
const MIN_IDLE_MS = 25;
const PRUNE_EVERY_MS = 3600_000;

/** Resolves the current `wait` early; a `wake` before any wait makes the next one return at once. */
class Latch {
  private pending = false;
  private release: (() => void) | undefined;

  wake(): void {
    this.pending = true;
    this.release?.();
  }

  /** Whether it was woken (rather than timed out). */
  async wait(ms?: number): Promise<boolean> {
    if (!this.pending) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.release = resolve;
        if (ms !== undefined) timer = setTimeout(resolve, ms);
      });
      clearTimeout(timer);
      this.release = undefined;
    }
    const woken = this.pending;
    this.pending = false;
    return woken;
  }
}

/** Writes successes in batches: while one batch is being written, the next gathers. An idle
 * worker's success is written at once; a busy one's commits are shared. */
class SuccessWriter {
  private batch: { row: JobRow; written: () => void; failed: (e: unknown) => void }[] = [];
  private writing = false;

  constructor(
    private readonly queue: JobQueue,
    private readonly owner: string,
  ) {}

  write(row: JobRow): Promise<void> {
    return new Promise((written, failed) => {
      this.batch.push({ row, written, failed });
      if (!this.writing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    while (this.batch.length) {
      const batch = this.batch;
      this.batch = [];
      try {
        await this.queue.succeed(
          batch.map((b) => b.row),
          this.owner,
        );
        for (const b of batch) b.written();
      } catch (e) {
        for (const b of batch) b.failed(e);
      }
    }
    this.writing = false;
  }
}

interface Running {
  row: JobRow;
  abort: AbortController;
  /** Its outcome is being written: a heartbeat missing it proves nothing. */
  settling: boolean;
  done: Promise<void>;
}

export class Worker {
  /** Names this worker in the leases it holds (host, process, and a nonce per worker). */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly filter: ClaimFilter;
  private readonly concurrency: number;
  private readonly log: Logger;
  private readonly running = new Map<number, Running>();
  private readonly periodicTasks: PeriodicTask[] = [];
  private readonly successes: SuccessWriter;
  private readonly work = new Latch();
  private readonly slot = new Latch();
  private stopping = false;
  /** Aborted once stop() has settled every job: the heartbeats end. */
  private readonly halted = new AbortController();
  private loops: Promise<void>[] = [];
  private unsubscribe: (() => Promise<void>) | undefined;
  /** The kinds of the enqueues heard of since this worker last claimed them. Between full looks,
   * a claim asks for these only: on PostgreSQL a claim looks each of its kinds up, and a fleet's
   * worker serves dozens of kinds of which a boot storm enqueues one. */
  private readonly heard = new Set<string>();
  /** An empty notice (a reconnection, another process's commit on SQLite) may stand for any kind. */
  private heardAny = true;
  /** When the claim loop last asked for every kind (performance.now()). */
  private lookedAtAll = -Infinity;

  constructor(
    private readonly queue: JobQueue,
    private readonly opts: WorkerOptions,
  ) {
    this.filter = { kinds: Object.keys(opts.handlers), targets: opts.targets ?? [] };
    this.concurrency = opts.concurrency ?? queue.config.concurrency;
    this.successes = new SuccessWriter(queue, this.owner);
    this.log = opts.log;
    if (queue.config.retentionMs > 0) {
      this.periodic('prune_finished_jobs', Math.min(PRUNE_EVERY_MS, queue.config.retentionMs) / 1000, async () => {
        const pruned = await queue.prune();
        if (pruned) this.log.info({ pruned, table: queue.tables.jobs }, 'finished jobs pruned');
      });
    }
  }

  /** Registers a periodic task (before start): among every process registering `name` with
   * this service, one runs it each `intervalSeconds`. */
  periodic(name: string, intervalSeconds: number, fn: PeriodicFn): this {
    if (this.loops.length) throw new Error('periodic tasks are registered before the worker starts');
    this.periodicTasks.push(new PeriodicTask(this.queue, this.owner, name, intervalSeconds * 1000, fn, this.log));
    return this;
  }

  start(): void {
    if (this.loops.length) return;
    this.unsubscribe = this.queue.subscribe((kind) => {
      if (kind === '') this.heardAny = true;
      else if (Object.hasOwn(this.opts.handlers, kind)) this.heard.add(kind);
      else return;
      this.work.wake();
    });
    for (const p of this.periodicTasks) p.start();
    this.loops = [this.claimLoop(), this.heartbeatLoop()];
  }

  /** Stops claiming; running jobs get [jobs] graceful_shutdown_timeout to finish, the rest are
   * aborted and given back (queued again, the attempt not counted). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.work.wake();
    this.slot.wake();
    const grace = this.queue.config.shutdownMs;
    await this.loops[0];
    const periodic = Promise.all(this.periodicTasks.map((p) => p.stop(grace)));
    await settlesWithin(Promise.all([...this.running.values()].map((r) => r.done)), grace);
    // Those whose outcome is being written are let be: giving them back would race the write.
    const left = [...this.running.values()].filter((r) => !r.settling);
    for (const r of left) r.abort.abort(new Error('the worker is stopping'));
    if (left.length) {
      await this.queue
        .release(
          left.map((r) => r.row),
          this.owner,
        )
        .catch((err: unknown) => this.log.error({ err }, 'could not give back jobs'));
      this.log.warn({ jobs: left.map((r) => r.row.id) }, 'jobs given back unfinished');
    }
    await settlesWithin(Promise.all([...this.running.values()].filter((r) => r.settling).map((r) => r.done)), grace);
    this.halted.abort();
    await Promise.all([periodic, this.loops[1], this.unsubscribe?.()]);
  }

  /** The kinds the next claim asks for: those heard of; every kind when a notice may have been
   * missed, and at least once a [jobs] poll_interval, for the jobs that come due unannounced (a
   * retry after its backoff, a delayed job, a lease that ran out). Those asked for are forgotten:
   * what is heard from now on comes after the claim's look. */
  private kindsToClaim(): string[] {
    const at = performance.now();
    if (this.heardAny || at - this.lookedAtAll >= this.queue.config.pollMs) {
      this.heardAny = false;
      this.heard.clear();
      this.lookedAtAll = at;
      return this.filter.kinds;
    }
    const kinds = [...this.heard];
    this.heard.clear();
    return kinds;
  }

  private async claimLoop(): Promise<void> {
    let idleMs = MIN_IDLE_MS;
    // A worker of periodic tasks only has no jobs to look for.
    while (!this.stopping && this.filter.kinds.length) {
      const free = this.concurrency - this.running.size;
      if (free <= 0) {
        await this.slot.wait();
        continue;
      }
      const limit = Math.min(free, MAX_BATCH);
      const kinds = this.kindsToClaim();
      let rows: JobRow[] = [];
      try {
        if (kinds.length)
          rows = await this.queue.claim(this.owner, { ...this.filter, kinds }, limit, [...this.running.keys()]);
      } catch (err) {
        this.log.error({ err, table: this.queue.tables.jobs }, 'could not claim jobs');
        this.heardAny = true;
      }
      // A full batch may have left more of its kinds behind.
      if (rows.length === limit) for (const row of rows) this.heard.add(row.kind);
      if (this.stopping) {
        await this.queue
          .release(rows, this.owner)
          .catch((err: unknown) => this.log.error({ err }, 'could not give back jobs'));
        break;
      }
      for (const row of rows) this.launch(row);
      if (rows.length === limit) continue;
      // The queue is drained for now: wait for an enqueue, or look again after a while.
      if (rows.length) idleMs = MIN_IDLE_MS;
      const woken = await this.work.wait(idleMs);
      // Not woken by a notice: the next claim is a poll, for any kind.
      if (!woken) this.heardAny = true;
      idleMs = woken ? MIN_IDLE_MS : Math.min(idleMs * 2, this.queue.config.pollMs);
    }
  }

  private launch(row: JobRow): void {
    const abort = new AbortController();
    const entry: Running = { row, abort, settling: false, done: Promise.resolve() };
    this.running.set(row.id, entry);
    entry.done = this.execute(entry)
      .catch((err: unknown) => this.log.error({ err, job: row.id, kind: row.kind }, 'could not record how a job ended'))
      .finally(() => {
        this.running.delete(row.id);
        this.slot.wake();
      });
  }

  private async execute(entry: Running): Promise<void> {
    const { row, abort } = entry;
    const q = this.queue;
    if (row.attempts > row.max_attempts) {
      entry.settling = true;
      await q.abandon(row, this.owner);
      this.log.warn({ job: row.id, kind: row.kind }, 'job failed: its last attempt was lost with its worker');
      return;
    }
    let failure: unknown;
    let failed = false;
    let result: unknown;
    let endsInBatch = false;
    try {
      const job: Job = {
        id: row.id,
        kind: row.kind,
        target: row.target,
        payload: JSON.parse(row.payload) as unknown,
        secret: row.secret === null ? null : (JSON.parse(row.secret) as unknown),
        attempt: row.attempts,
        maxAttempts: row.max_attempts,
        dedupeKey: row.dedupe_key,
        signal: abort.signal,
        successQuery: () => {
          endsInBatch = true;
          // Succeeded once the batch commits: a heartbeat that no longer finds it running then
          // proves nothing.
          entry.settling = true;
          return q.successQuery(row, this.owner);
        },
      };
      result = await this.opts.handlers[row.kind]!(job);
    } catch (e) {
      failed = true;
      failure = e;
    }
    // Taken over, or being given back by stop(): this run's outcome is not the job's.
    if (abort.signal.aborted) return;
    entry.settling = true;
    if (!failed) {
      if (endsInBatch) return;
      // A result is written at once, by itself: its caller is waiting for it.
      if (result !== undefined) await q.succeedWith(row, this.owner, result);
      else await this.successes.write(row);
      return;
    }
    const error = errorText(failure);
    // Neither holds when the run has ended already (its last batch succeeded it; taken over).
    if (failure instanceof PermanentJobError || row.attempts >= row.max_attempts) {
      if (await q.fail(row, this.owner, error))
        this.log.warn({ job: row.id, kind: row.kind, attempt: row.attempts, error }, 'job failed');
    } else if (await q.retry(row, this.owner, error, this.backoff(row.attempts))) {
      this.log.info({ job: row.id, kind: row.kind, attempt: row.attempts, error }, 'job will be retried');
    } else if (endsInBatch) {
      this.log.warn({ job: row.id, kind: row.kind, error }, 'job failed after its last batch had succeeded it');
    }
  }

  /** [jobs] retry_backoff doubled per attempt, up to retry_backoff_max, plus up to a fifth more
   * so that jobs failing together (a peer down) do not all come back in the same instant. */
  private backoff(attempt: number): number {
    const { backoffMs, backoffMaxMs } = this.queue.config;
    return Math.min(backoffMaxMs, backoffMs * 2 ** (attempt - 1)) * (1 + Math.random() / 5);
  }

  /** Renews the leases of the running jobs every third of a lease; a job whose lease another
   * worker took over (this process stalled past it) is aborted here. */
  private async heartbeatLoop(): Promise<void> {
    for (;;) {
      await sleep(this.queue.config.leaseMs / 3, this.halted.signal);
      if (this.halted.signal.aborted) return;
      if (!this.running.size) continue;
      const asked = [...this.running.values()].filter((r) => !r.settling);
      try {
        const held = await this.queue.heartbeat(
          this.owner,
          asked.map((r) => r.row.id),
        );
        for (const r of asked) {
          if (held.has(r.row.id) || r.settling || r.abort.signal.aborted) continue;
          this.log.warn({ job: r.row.id, kind: r.row.kind }, 'job lease lost: another worker runs it now');
          r.abort.abort(new Error("the job's lease was lost"));
        }
      } catch (err) {
        this.log.error({ err, table: this.queue.tables.jobs }, 'could not renew job leases');
      }
    }
  }
}
