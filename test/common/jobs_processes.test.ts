// Durable jobs across real worker processes (test/fixtures/jobs_worker.mjs, on dist/: needs
// `npm run build`), on both engines: 1,000 jobs claimed by three processes run exactly once each;
// a periodic task registered by all three runs once per interval; a worker killed with SIGKILL
// mid-job has its job run again by another once the lease runs out (attempt 2); a failing job is
// retried with backoff, then failed with its error kept; SIGTERM lets a short job finish and gives
// a long one back for another process to run.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/common/db/index.js';
import type { JobQueue } from '../../src/common/jobs/index.js';
import { FAST_ENV, openQueue, sqliteUrl, until, type TestQueue } from '../helpers/jobs.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const FIXTURE = resolve(import.meta.dirname, '../fixtures/jobs_worker.mjs');
const JOBS = 1000;
const skipPg = postgresUnavailable();

interface WorkerProcess {
  name: string;
  proc: ChildProcess;
  exited: Promise<number | null>;
  out(): string;
  /** SIGTERM; the exit code. */
  stop(): Promise<number | null>;
}

async function startWorker(url: string, name: string, args: string[] = []): Promise<WorkerProcess> {
  const proc = spawn(process.execPath, [FIXTURE, url, name, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...FAST_ENV, CONCORD_LOG_LEVEL: 'warn' },
  });
  let out = '';
  proc.stdout.on('data', (d) => {
    out += d;
  });
  proc.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const w: WorkerProcess = {
    name,
    proc,
    exited,
    out: () => out,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
  await until(
    `worker ${name} to start`,
    () => {
      if (proc.exitCode !== null) throw new Error(`worker ${name} exited:\n${out}`);
      return /^ready$/m.test(out);
    },
    30000,
  );
  return w;
}

interface Run {
  job_id: number;
  attempt: number;
  worker: string;
  at: number;
}

async function runsOf(db: Kysely<any>, jobId: number): Promise<Run[]> {
  const r =
    await sql<Run>`SELECT job_id, attempt, worker, at FROM fixture_runs WHERE job_id = ${jobId} ORDER BY id`.execute(
      db,
    );
  return r.rows.map((x) => ({ ...x, at: Number(x.at) }));
}

async function stateOf(queue: JobQueue, id: number): Promise<string | undefined> {
  return (await queue.get(id))?.state;
}

function suite(engine: string, newUrl: () => Promise<string>) {
  describe(`job workers in separate processes on ${engine}`, () => {
    let url: string;
    let t: TestQueue;
    let db: Kysely<any>;
    const workers: WorkerProcess[] = [];
    let startedAt = 0;

    beforeAll(async () => {
      url = await newUrl();
      // The fixture's own migrations (job tables and its record tables) first.
      const migrating = spawn(process.execPath, [FIXTURE, url, 'migrate', '--migrate'], { stdio: 'inherit' });
      expect(await new Promise((r) => migrating.once('exit', r))).toBe(0);
      t = await openQueue(url, {}, 'fixture', true);
      db = t.database.db;
      startedAt = Date.now();
      workers.push(...(await Promise.all(['w1', 'w2', 'w3'].map((n) => startWorker(url, n, ['--periodic', '1'])))));
    }, 90000);
    afterAll(async () => {
      await Promise.all(workers.map((w) => w.stop()));
      await t?.close();
    });

    it(`${JOBS} jobs across three worker processes each run exactly once`, async () => {
      for (let i = 0; i < JOBS; i += 100) {
        await withTransaction(db, async (trx) => {
          // 5 ms each: one worker alone would need over two of its idle polls (0.2 s) to drain
          // them, so that each of the three takes some even when one wakes first.
          for (let j = i; j < i + 100; j++) await t.queue.enqueue(trx, { kind: 'record', payload: { j, ms: 5 } });
        });
      }
      await until(
        `${JOBS} jobs to succeed`,
        async () => {
          const r = await sql<{
            n: number;
          }>`SELECT count(*) AS n FROM fixture_jobs WHERE kind = 'record' AND state = 'succeeded'`.execute(db);
          return Number(r.rows[0]!.n) === JOBS;
        },
        60000,
      );
      const runs = await sql<{ job_id: number; n: number }>`SELECT job_id, count(*) AS n FROM fixture_runs
        GROUP BY job_id`.execute(db);
      expect(runs.rows).toHaveLength(JOBS);
      expect(runs.rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
      const by = await sql<{ worker: string }>`SELECT DISTINCT worker FROM fixture_runs`.execute(db);
      expect(by.rows.map((r) => r.worker).sort()).toEqual(['w1', 'w2', 'w3']);
    }, 90000);

    it('a periodic task registered by three processes runs once per interval', async () => {
      await until('the processes to have run for 4 s', () => Date.now() - startedAt > 4000, 10000);
      const r = await sql<{
        worker: string;
        started_at: number;
        finished_at: number;
      }>`SELECT worker, started_at, finished_at
        FROM fixture_ticks ORDER BY started_at`.execute(db);
      const ticks = r.rows.map((x) => ({ start: Number(x.started_at), end: Number(x.finished_at) }));
      const now = Date.now();
      // One a second (each next run is due an interval after the last one was taken): at most one
      // per second since the processes started, and at least one per two seconds since the first
      // ran (a loaded machine takes a while to start three processes).
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.length).toBeLessThanOrEqual(Math.ceil((now - startedAt) / 1000) + 1);
      expect(ticks.length).toBeGreaterThanOrEqual(Math.floor((now - ticks[0]!.start) / 2000));
      // ... and never two in one interval, or two at once. (The processes note the start after
      // the claim: a busy machine's event loops shift it by up to some tens of milliseconds.)
      for (let i = 1; i < ticks.length; i++) {
        expect(ticks[i]!.start - ticks[i - 1]!.start).toBeGreaterThanOrEqual(700);
        expect(ticks[i]!.start).toBeGreaterThanOrEqual(ticks[i - 1]!.end);
      }
    }, 30000);

    it('a job whose worker is killed (SIGKILL) mid-run is run again by another worker, attempt 2', async () => {
      const { id } = await t.queue.enqueue(db, { kind: 'stall', payload: { ms: 600000 } });
      await until('a worker to start it', async () => (await runsOf(db, id)).length === 1);
      const [first] = await runsOf(db, id);
      const victim = workers.find((w) => w.name === first!.worker)!;
      const killedAt = Date.now();
      victim.proc.kill('SIGKILL');
      await victim.exited;
      workers.splice(workers.indexOf(victim), 1);
      await until('another worker to finish it', async () => (await stateOf(t.queue, id)) === 'succeeded', 20000);
      const runs = await runsOf(db, id);
      expect(runs.map((r) => r.attempt)).toEqual([1, 2]);
      expect(runs[1]!.worker).not.toBe(victim.name);
      // Not before the dead worker's lease ([jobs] lease_seconds = 1) ran out.
      expect(runs[1]!.at - killedAt).toBeGreaterThanOrEqual(500);
      expect(await t.queue.get(id)).toMatchObject({ state: 'succeeded', attempts: 2 });
    }, 60000);

    it('a failing job is retried with backoff by the workers, then failed keeping its error', async () => {
      const { id } = await t.queue.enqueue(db, { kind: 'flaky', maxAttempts: 3 });
      await until('the job to fail', async () => (await stateOf(t.queue, id)) === 'failed');
      const runs = await runsOf(db, id);
      expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3]);
      // [jobs] retry_backoff = 0.2 s, doubled at each attempt.
      expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(190);
      expect(runs[2]!.at - runs[1]!.at).toBeGreaterThanOrEqual(390);
      expect(await t.queue.get(id)).toMatchObject({ attempts: 3, last_error: 'flaky failure' });
    }, 30000);

    it('SIGTERM: a worker finishes its short job, gives back its long one and exits; another runs it', async () => {
      // Aimed at a target only the workers of this test serve.
      const g1 = await startWorker(url, 'g1', ['--target', 'graceful']);
      const short = await t.queue.enqueue(db, { kind: 'stall', target: 'graceful', payload: { ms: 500 } });
      const long = await t.queue.enqueue(db, { kind: 'stall', target: 'graceful', payload: { ms: 600000 } });
      await until(
        'g1 to start both',
        async () => (await runsOf(db, short.id)).length + (await runsOf(db, long.id)).length === 2,
      );
      const stopping = Date.now();
      expect(await g1.stop()).toBe(0);
      // [jobs] graceful_shutdown_timeout = 1 s
      expect(Date.now() - stopping).toBeLessThan(5000);
      expect(g1.out()).toMatch(/^stopped$/m);
      expect(await t.queue.get(short.id)).toMatchObject({ state: 'succeeded', attempts: 1 });
      expect(await t.queue.get(long.id)).toMatchObject({ state: 'queued', attempts: 0, lease_owner: null });
      const g2 = await startWorker(url, 'g2', ['--target', 'graceful']);
      workers.push(g2);
      await until('g2 to run it', async () => (await stateOf(t.queue, long.id)) === 'succeeded');
      expect((await runsOf(db, long.id)).map((r) => [r.worker, r.attempt])).toEqual([
        ['g1', 1],
        ['g2', 1],
      ]);
    }, 90000);
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
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(() => cluster?.stop());
  suite('PostgreSQL', () => cluster.createDatabase('jobs_processes'));
});
