// Durable jobs in one process, on both engines: enqueued with the caller's transaction, run once
// each, retried with backoff then failed, permanent failures, targets, a lease taken over from a
// stalled worker, graceful stop giving jobs back, secrets erased when jobs end, calls answered or
// given up on (no row kept), pruning, and periodic tasks run by one worker.
// The same guarantees across real processes: jobs_processes.test.ts.
import { expressionBuilder, sql, type Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeAtomically, withTransaction } from '../../src/common/db/index.js';
import {
  callJob,
  JobCallTimeout,
  PermanentJobError,
  Worker,
  type Job,
  type JobHandler,
  type JobQueue,
  type JobRow,
} from '../../src/common/jobs/index.js';
import { openQueue, sqliteUrl, until, type TestQueue } from '../helpers/jobs.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const log = pino({ level: 'silent' });

interface JobsDB {
  test_jobs: { id: number; kind: string; dedupe_key: string | null };
}
const skipPg = postgresUnavailable();

async function states(queue: JobQueue, ids: number[]): Promise<(JobRow | undefined)[]> {
  return Promise.all(ids.map((id) => queue.get(id)));
}

function suite(engine: string, newUrl: () => Promise<string>) {
  describe(`jobs on ${engine}`, () => {
    let t: TestQueue;
    const workers: Worker[] = [];
    const worker = (
      handlers: Record<string, JobHandler>,
      opts: { targets?: string[]; concurrency?: number; queue?: JobQueue } = {},
    ) => {
      const w = new Worker(opts.queue ?? t.queue, { handlers, log, ...opts });
      workers.push(w);
      return w;
    };
    beforeAll(async () => {
      t = await openQueue(await newUrl());
    });
    afterAll(async () => {
      await Promise.all(workers.map((w) => w.stop()));
      await t?.close();
    });

    it('a job exists if and only if its transaction commits; a dedupe key makes one row', async () => {
      const db = t.database.db;
      await expect(
        withTransaction(db, async (trx) => {
          await t.queue.enqueue(trx, { kind: 'rolled_back' });
          throw new Error('the state change failed');
        }),
      ).rejects.toThrow('the state change failed');
      const none = await sql<{ n: number }>`SELECT count(*) AS n FROM test_jobs WHERE kind = 'rolled_back'`.execute(db);
      expect(Number(none.rows[0]!.n)).toBe(0);

      const first = await withTransaction(db, (trx) =>
        t.queue.enqueue(trx, { kind: 'once', dedupeKey: 'k1', payload: { a: 1 } }),
      );
      const again = await withTransaction(db, (trx) =>
        t.queue.enqueue(trx, { kind: 'once', dedupeKey: 'k1', payload: { a: 2 } }),
      );
      const other = await t.queue.enqueue(db, { kind: 'once_other', dedupeKey: 'k1' });
      expect(first.created).toBe(true);
      expect(again).toEqual({ id: first.id, created: false });
      expect(other.created).toBe(true);
      const row = await t.queue.get(first.id);
      expect(row).toMatchObject({ kind: 'once', state: 'queued', attempts: 0, payload: '{"a":1}', dedupe_key: 'k1' });
    });

    it('adds a job in a batch only if its condition holds after the statements before it', async () => {
      const db = t.database.db as Kysely<JobsDB>;
      const heard: string[] = [];
      const stop = t.queue.subscribe((kind) => heard.push(kind));
      try {
        // The condition sees the batch's earlier statements: the first job, just added.
        const firstAdded = (key: string) =>
          expressionBuilder<JobsDB>().exists(
            db.selectFrom('test_jobs').select('id').where('kind', '=', 'first').where('dedupe_key', '=', key),
          );
        const [, second] = await executeAtomically(db, [
          t.queue.enqueueQuery(db, { kind: 'first', dedupeKey: 'b1' }),
          t.queue.enqueueQuery(db, { kind: 'second', dedupeKey: 'b1' }, firstAdded('b1')),
        ]);
        expect(t.queue.enqueued('second', second)).toBe(true);
        const [skipped] = await executeAtomically(db, [
          t.queue.enqueueQuery(db, { kind: 'second', dedupeKey: 'b2' }, firstAdded('b2')),
        ]);
        expect(t.queue.enqueued('second', skipped)).toBe(false);
        // The same dedupe key again: no second row.
        const [again] = await executeAtomically(db, [t.queue.enqueueQuery(db, { kind: 'second', dedupeKey: 'b1' })]);
        expect(t.queue.enqueued('second', again)).toBe(false);
        const rows = await db
          .selectFrom('test_jobs')
          .select(['kind', 'dedupe_key'])
          .where('dedupe_key', 'in', ['b1', 'b2'])
          .orderBy('id')
          .execute();
        expect(rows).toEqual([
          { kind: 'first', dedupe_key: 'b1' },
          { kind: 'second', dedupe_key: 'b1' },
        ]);
        expect(heard).toContain('second');
      } finally {
        await stop();
      }
    });

    it('runs each job once, woken at once by an enqueue in this process', async () => {
      const runs = new Map<number, number>();
      const started: number[] = [];
      // A poll interval far longer than the test: only the wake-up can start the jobs in time.
      const slow = await openQueue(await newUrl(), { jobPollInterval: 60 });
      try {
        worker(
          {
            count: async (job) => {
              runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
              started.push(Date.now());
            },
          },
          { queue: slow.queue },
        ).start();
        // Idle long enough that its next look is seconds away.
        await new Promise((r) => setTimeout(r, 1700));
        const ids: number[] = [];
        const enqueuedAt = Date.now();
        for (let i = 0; i < 10; i++) {
          ids.push(
            ...(await withTransaction(slow.database.db, async (trx) => {
              const batch: number[] = [];
              for (let j = 0; j < 20; j++)
                batch.push((await slow.queue.enqueue(trx, { kind: 'count', payload: { i, j } })).id);
              return batch;
            })),
          );
        }
        await until(
          '200 jobs to succeed',
          async () => (await states(slow.queue, ids)).every((r) => r?.state === 'succeeded'),
          10000,
        );
        expect(ids.every((id) => runs.get(id) === 1)).toBe(true);
        expect(Math.min(...started) - enqueuedAt).toBeLessThan(1000);
      } finally {
        await workers.pop()!.stop();
        await slow.close();
      }
    });

    it("ends a job in its handler's last batch: succeeded with it, rolled back with it", async () => {
      const db = t.database.db as Kysely<JobsDB>;
      const marker = (key: string) => t.queue.enqueueQuery(db, { kind: 'marker', dedupeKey: key });
      worker({
        in_batch: async (job) => {
          const p = job.payload as { key: string; fail: 'in_batch' | 'after' | null };
          // A statement that fails rolls the batch back: the job's success with it.
          const failing =
            p.fail === 'in_batch' ? [{ compile: () => sql`SELECT * FROM no_such_table`.compile(db) }] : [];
          await executeAtomically(db, [marker(p.key), job.successQuery(), ...failing]);
          if (p.fail === 'after') throw new Error('failed after its batch');
        },
      }).start();
      const ok = await t.queue.enqueue(db, { kind: 'in_batch', payload: { key: 'ok', fail: null } });
      const after = await t.queue.enqueue(db, { kind: 'in_batch', payload: { key: 'after', fail: 'after' } });
      const rolled = await t.queue.enqueue(db, {
        kind: 'in_batch',
        payload: { key: 'rolled', fail: 'in_batch' },
        maxAttempts: 1,
      });
      await until('the three jobs to end', async () =>
        (await states(t.queue, [ok.id, after.id, rolled.id])).every(
          (r) => r?.state === 'succeeded' || r?.state === 'failed',
        ),
      );
      const [a, b, c] = await states(t.queue, [ok.id, after.id, rolled.id]);
      expect([a?.state, a?.attempts]).toEqual(['succeeded', 1]);
      // Its batch had succeeded it: the failure after does not run it again.
      expect([b?.state, b?.attempts]).toEqual(['succeeded', 1]);
      expect(c?.state).toBe('failed');
      const markers = await db
        .selectFrom('test_jobs')
        .select('dedupe_key')
        .where('kind', '=', 'marker')
        .where('dedupe_key', 'in', ['ok', 'after', 'rolled'])
        .orderBy('dedupe_key')
        .execute();
      expect(markers.map((m) => m.dedupe_key)).toEqual(['after', 'ok']);
    });

    it('retries with a growing backoff, then fails keeping the last error', async () => {
      const at: number[] = [];
      worker({
        flaky: async (job) => {
          at.push(Date.now());
          throw new Error(`attempt ${job.attempt} failed\nstack`);
        },
      }).start();
      const { id } = await t.queue.enqueue(t.database.db, { kind: 'flaky', maxAttempts: 3 });
      await until('the job to fail', async () => (await t.queue.get(id))?.state === 'failed');
      expect(at).toHaveLength(3);
      // [jobs] retry_backoff = 0.2 s, doubled: at least 200 ms, then 400 ms, between attempts.
      expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(190);
      expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(390);
      expect(await t.queue.get(id)).toMatchObject({ state: 'failed', attempts: 3, last_error: 'attempt 3 failed' });
    });

    it('fails at once on a permanent failure; succeeds on a later attempt after transient ones', async () => {
      let tries = 0;
      worker({
        doomed: async () => {
          throw new PermanentJobError('no such image');
        },
        recovers: async (job) => {
          tries++;
          if (job.attempt < 2) throw new Error('not yet');
        },
      }).start();
      const doomed = await t.queue.enqueue(t.database.db, { kind: 'doomed' });
      const recovers = await t.queue.enqueue(t.database.db, { kind: 'recovers' });
      await until('both to finish', async () =>
        (await states(t.queue, [doomed.id, recovers.id])).every(
          (r) => r?.state === 'failed' || r?.state === 'succeeded',
        ),
      );
      expect(await t.queue.get(doomed.id)).toMatchObject({ state: 'failed', attempts: 1, last_error: 'no such image' });
      expect(await t.queue.get(recovers.id)).toMatchObject({ state: 'succeeded', attempts: 2, last_error: null });
      expect(tries).toBe(2);
    });

    it('a targeted job runs only on a worker serving its target (host-1 is not host-10)', async () => {
      const ran: string[] = [];
      const on =
        (worker: string): JobHandler =>
        async (job) => {
          ran.push(`${job.target} on ${worker}`);
        };
      worker({ place: on('a') }, { targets: ['host-1', 'host-2'] }).start();
      worker({ place: on('b') }, { targets: ['host-10'] }).start();
      const jobs: { id: number }[] = [];
      for (let i = 0; i < 10; i++) {
        jobs.push(await t.queue.enqueue(t.database.db, { kind: 'place', target: i % 2 ? 'host-10' : 'host-2' }));
      }
      await until('the jobs to run', async () =>
        (
          await states(
            t.queue,
            jobs.map((j) => j.id),
          )
        ).every((r) => r?.state === 'succeeded'),
      );
      expect(ran.sort()).toEqual([...Array(5).fill('host-10 on b'), ...Array(5).fill('host-2 on a')]);
    });

    it('a job whose worker stalled past its lease is run again by another, attempt 2; the stalled run is aborted', async () => {
      const seen: { worker: string; attempt: number }[] = [];
      let stalledSignal: AbortSignal | undefined;
      let release!: () => void;
      const stalled = new Promise<void>((r) => {
        release = r;
      });
      const a = worker({
        takeover: async (job: Job) => {
          seen.push({ worker: 'a', attempt: job.attempt });
          stalledSignal = job.signal;
          await stalled;
        },
      });
      a.start();
      const { id } = await t.queue.enqueue(t.database.db, { kind: 'takeover' });
      await until('worker a to start it', () => seen.length === 1);
      // As if worker a's process had frozen: its lease runs out without a renewal.
      await sql`UPDATE test_jobs SET run_after = 0 WHERE id = ${id}`.execute(t.database.db);
      worker({
        takeover: async (job: Job) => {
          seen.push({ worker: 'b', attempt: job.attempt });
        },
      }).start();
      await until('worker b to finish it', async () => (await t.queue.get(id))?.state === 'succeeded');
      await until('worker a to learn it lost the job', () => stalledSignal?.aborted === true, 5000);
      release();
      expect(seen).toEqual([
        { worker: 'a', attempt: 1 },
        { worker: 'b', attempt: 2 },
      ]);
      await new Promise((r) => setTimeout(r, 100));
      expect(await t.queue.get(id)).toMatchObject({ state: 'succeeded', attempts: 2 });
    });

    it('a job whose last attempt lost its worker is failed, not run again', async () => {
      const { id } = await t.queue.enqueue(t.database.db, { kind: 'lost', maxAttempts: 1 });
      // The state a worker that died during the only attempt leaves behind.
      await sql`UPDATE test_jobs SET state = 'running', attempts = 1, lease_owner = 'dead', run_after = 0
        WHERE id = ${id}`.execute(t.database.db);
      let ran = false;
      worker({
        lost: async () => {
          ran = true;
        },
      }).start();
      await until('the job to fail', async () => (await t.queue.get(id))?.state === 'failed');
      expect(ran).toBe(false);
      expect(await t.queue.get(id)).toMatchObject({ attempts: 1, last_error: expect.stringMatching(/lease/) });
    });

    it('a claim takes only its kinds, and passes over the expired jobs its claimer still runs (job 1 is not job 10)', async () => {
      const db = t.database.db;
      const ids: number[] = [];
      for (let i = 0; i < 12; i++)
        ids.push((await t.queue.enqueue(db, { kind: i % 2 ? 'other_kind' : 'own_kind' })).id);
      // Every job of the kind is running with its lease run out; the claimer runs the first, and
      // a job whose id's digits hold the second's (job 591 beside job 59).
      const own = ids.filter((_, i) => i % 2 === 0);
      await sql`UPDATE test_jobs SET state = 'running', attempts = 1, lease_owner = 'me', run_after = 0
        WHERE id IN (${sql.join(own)})`.execute(db);
      const taken = await t.queue.claim('me', { kinds: ['own_kind', 'third_kind'], targets: [] }, 20, [
        own[0]!,
        own[1]! * 10 + 1,
      ]);
      expect(taken.map((r) => r.id).sort((a, b) => a - b)).toEqual(own.slice(1));
    });

    it('a stopping worker lets short jobs finish and gives long ones back', async () => {
      const w = worker({
        short: async () => {
          await new Promise((r) => setTimeout(r, 300));
        },
        long: async (job) => {
          await new Promise((r) => job.signal.addEventListener('abort', r));
        },
      });
      w.start();
      const short = await t.queue.enqueue(t.database.db, { kind: 'short' });
      const long = await t.queue.enqueue(t.database.db, { kind: 'long' });
      await until('both to start', async () =>
        (await states(t.queue, [short.id, long.id])).every((r) => r?.state === 'running'),
      );
      const stopping = Date.now();
      await w.stop();
      // [jobs] graceful_shutdown_timeout = 1 s
      expect(Date.now() - stopping).toBeLessThan(3000);
      expect(await t.queue.get(short.id)).toMatchObject({ state: 'succeeded' });
      expect(await t.queue.get(long.id)).toMatchObject({ state: 'queued', attempts: 0, lease_owner: null });
      let attempt = 0;
      worker({
        long: async (job) => {
          attempt = job.attempt;
        },
      }).start();
      await until('another worker to run it', async () => (await t.queue.get(long.id))?.state === 'succeeded');
      expect(attempt).toBe(1);
    });

    it("keeps a job's secret apart from its payload for every run, and erases it when the job ends", async () => {
      const db = t.database.db;
      const q = t.queue;
      const secret = '{"password":"hunter2"}';
      const enqueue = (kind: string, maxAttempts = 3) =>
        q.enqueue(db, { kind, payload: { uuid: 'u1' }, secret: { password: 'hunter2' }, maxAttempts });
      const claim = async (kind: string, owner = 'me') =>
        (await q.claim(owner, { kinds: [kind], targets: [] }, 1, []))[0]!;
      const secretOf = async (id: number) => (await q.get(id))!.secret;

      // Retried, then given back by a stopping worker: each run has it; the success erases it.
      const a = await enqueue('secret_ok');
      expect(await q.get(a.id)).toMatchObject({ payload: '{"uuid":"u1"}', secret });
      let row = await claim('secret_ok');
      expect(row.secret).toBe(secret);
      expect(await q.retry(row, 'me', 'transient', 0)).toBe(true);
      expect(await secretOf(a.id)).toBe(secret);
      row = await claim('secret_ok');
      await q.release([row], 'me');
      expect(await q.get(a.id)).toMatchObject({ state: 'queued', secret });
      row = await claim('secret_ok');
      expect(row.secret).toBe(secret);
      await q.succeed([row], 'me');
      expect(await q.get(a.id)).toMatchObject({ state: 'succeeded', payload: '{"uuid":"u1"}', secret: null });

      // Failed.
      const b = await enqueue('secret_failed');
      expect(await q.fail(await claim('secret_failed'), 'me', 'broken')).toBe(true);
      expect(await q.get(b.id)).toMatchObject({ state: 'failed', secret: null });

      // Its last attempt's lease ran out: the claim that finds it so fails it.
      const c = await enqueue('secret_lost', 1);
      const lost = await claim('secret_lost', 'dead');
      await sql`UPDATE test_jobs SET run_after = 0 WHERE id = ${c.id}`.execute(db);
      const found = await claim('secret_lost', 'heir');
      expect(found.attempts).toBeGreaterThan(found.max_attempts);
      expect(await q.abandon(found, 'heir')).toBe(true);
      expect(await q.get(c.id)).toMatchObject({ state: 'failed', secret: null });

      // A run whose job was taken over records nothing, and erases nothing the new run needs.
      const d = await enqueue('secret_taken');
      const stale = await claim('secret_taken', 'stalled');
      await sql`UPDATE test_jobs SET run_after = 0 WHERE id = ${d.id}`.execute(db);
      const current = await claim('secret_taken', 'heir');
      expect(await q.fail(stale, 'stalled', 'too late')).toBe(false);
      await q.succeed([stale], 'stalled');
      expect(await q.get(d.id)).toMatchObject({ state: 'running', lease_owner: 'heir', secret });
      await q.succeed([current], 'heir');
      expect(await secretOf(d.id)).toBeNull();
      expect(lost.secret).toBe(secret);
    });

    it("gives a handler the job's secret on each attempt; a job without one has null", async () => {
      const seen: unknown[] = [];
      worker({
        needs_secret: async (job) => {
          seen.push([job.attempt, job.secret, job.payload]);
          if (job.attempt < 2) throw new Error('not yet');
        },
        plain: async (job) => {
          seen.push(job.secret);
        },
        secret_doomed: async () => {
          throw new PermanentJobError('refused');
        },
      }).start();
      const ok = await t.queue.enqueue(t.database.db, { kind: 'needs_secret', payload: 1, secret: { pw: 'x' } });
      const doomed = await t.queue.enqueue(t.database.db, { kind: 'secret_doomed', secret: 'y' });
      const plain = await t.queue.enqueue(t.database.db, { kind: 'plain' });
      await until('the jobs to end', async () =>
        (await states(t.queue, [ok.id, doomed.id, plain.id])).every(
          (r) => r?.state === 'succeeded' || r?.state === 'failed',
        ),
      );
      expect(seen).toEqual(expect.arrayContaining([[1, { pw: 'x' }, 1], [2, { pw: 'x' }, 1], null]));
      expect(await states(t.queue, [ok.id, doomed.id])).toMatchObject([
        { state: 'succeeded', secret: null },
        { state: 'failed', secret: null, last_error: 'refused' },
      ]);
    });

    it("answers a call with its handler's result or error, once, and keeps no row of it", async () => {
      const db = t.database.db;
      let runs = 0;
      worker(
        {
          echo: async (job) => ({ said: (job.payload as { say: string }).say, host: job.target }),
          refuse: async () => {
            runs++;
            throw new Error('no console here\nsecond line');
          },
          plain_result: async () => undefined,
        },
        { targets: ['call-host'] },
      ).start();
      const kept = async () =>
        Number(
          (await sql<{ n: number }>`SELECT count(*) AS n FROM test_jobs WHERE kind IN ('echo', 'refuse')`.execute(db))
            .rows[0]!.n,
        );
      expect(await callJob(t.queue, { kind: 'echo', target: 'call-host', payload: { say: 'hi' } }, 5000)).toEqual({
        ok: true,
        result: { said: 'hi', host: 'call-host' },
      });
      // A failure is not retried: the caller is waiting.
      expect(await callJob(t.queue, { kind: 'refuse', target: 'call-host' }, 5000)).toEqual({
        ok: false,
        error: 'no console here',
      });
      expect(runs).toBe(1);
      expect(await kept()).toBe(0);
      // A job nobody waits on keeps no result.
      const plain = await t.queue.enqueue(db, { kind: 'plain_result', target: 'call-host' });
      await until('the plain job', async () => (await t.queue.get(plain.id))?.state === 'succeeded');
      expect((await t.queue.get(plain.id))!.result).toBeNull();
    });

    it('gives up on a call no worker answers in time, and leaves nothing for a late one', async () => {
      const started = Date.now();
      await expect(callJob(t.queue, { kind: 'late_echo', target: 'absent-host' }, 300)).rejects.toThrow(JobCallTimeout);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(Date.now() - started).toBeLessThan(3000);
      let ran = false;
      worker(
        {
          late_echo: async () => {
            ran = true;
          },
        },
        { targets: ['absent-host'] },
      ).start();
      const after = await sql<{ n: number }>`SELECT count(*) AS n FROM test_jobs WHERE kind = 'late_echo'`.execute(
        t.database.db,
      );
      expect(Number(after.rows[0]!.n)).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(ran).toBe(false);
    });

    it('prunes finished jobs older than the retention period', async () => {
      const q = await openQueue(await newUrl(), { jobRetention: 1 });
      try {
        const done = await q.queue.enqueue(q.database.db, { kind: 'prunable' });
        const waiting = await q.queue.enqueue(q.database.db, { kind: 'unserved' });
        const w = new Worker(q.queue, { handlers: { prunable: async () => {} }, log });
        w.start();
        await until('the job to succeed', async () => (await q.queue.get(done.id))?.state === 'succeeded');
        // The worker's own periodic pruning (every retention period, here 1 s) removes it.
        await until('the job to be pruned', async () => (await q.queue.get(done.id)) === undefined, 10000);
        await w.stop();
        expect(await q.queue.get(waiting.id)).toMatchObject({ state: 'queued' });
      } finally {
        await q.close();
      }
    });

    it("erases the secret of a job whose last attempt's worker died, and of no job that may run again", async () => {
      const q = await openQueue(await newUrl(), { jobRetention: 3600, jobLeaseSeconds: 0.2 });
      try {
        const last = await q.queue.enqueue(q.database.db, { kind: 'pw', secret: { pw: 'x' }, maxAttempts: 1 });
        const again = await q.queue.enqueue(q.database.db, { kind: 'pw', secret: { pw: 'y' }, maxAttempts: 2 });
        // A worker claims both and dies: neither run ends.
        expect(await q.queue.claim('dead-worker', { kinds: ['pw'], targets: [] }, 2, [])).toHaveLength(2);
        await new Promise((r) => setTimeout(r, 400));
        await q.queue.prune();
        expect(await q.queue.get(last.id)).toMatchObject({ state: 'running', secret: null });
        expect(await q.queue.get(again.id)).toMatchObject({ state: 'running', secret: JSON.stringify({ pw: 'y' }) });
      } finally {
        await q.close();
      }
    });

    it('a periodic task registered by two workers runs once per interval', async () => {
      const runs: { by: string; start: number; end: number }[] = [];
      const tick = (by: string) => async () => {
        const start = Date.now();
        await new Promise((r) => setTimeout(r, 50));
        runs.push({ by, start, end: Date.now() });
      };
      const a = worker({}).periodic('tick', 0.5, tick('a'));
      const b = worker({}).periodic('tick', 0.5, tick('b'));
      a.start();
      b.start();
      await new Promise((r) => setTimeout(r, 2300));
      await Promise.all([a.stop(), b.stop()]);
      // Runs at 0, 0.5, 1.0, 1.5, 2.0 s (and timers may slip a little).
      expect(runs.length).toBeGreaterThanOrEqual(4);
      expect(runs.length).toBeLessThanOrEqual(5);
      // Never two in one interval (allowing for timers firing late on a busy machine).
      for (let i = 1; i < runs.length; i++) expect(runs[i]!.start - runs[i - 1]!.start).toBeGreaterThanOrEqual(350);
    });
  });
}

{
  const dirs: (() => void)[] = [];
  afterAll(() => {
    for (const cleanup of dirs) cleanup();
  });
  suite('SQLite', async () => {
    const { url, cleanup } = sqliteUrl();
    dirs.push(cleanup);
    return url;
  });
}

describe.skipIf(skipPg)(`PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () => {
  let cluster: PgCluster;
  let n = 0;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(() => cluster?.stop());
  suite('PostgreSQL', () => cluster.createDatabase(`jobs_${++n}`));
});
