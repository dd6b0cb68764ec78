#!/usr/bin/env node
// Job throughput and latency with the worker in the same process (as in `concord up`), on dist/
// (`npm run build` first). Each job is enqueued in a transaction of its own, as an API request
// would (16 at a time), and its handler makes one small write, as a build's bookkeeping would.
//   burst:  JOBS enqueued as fast as they go, while the worker drains them: jobs/s, and how long
//           each waited from its enqueue to its start (p50, p95, max) behind the others;
//   paced:  RATE jobs a second for 10 s: the wait of each, with the queue at its working rate.
// Usage: node bench/jobs/run.mjs DATABASE_URL [JOBS=5000] [RATE=100]   (see run.sh)
import { sql } from 'kysely';
import pino from 'pino';
import { loadConfig } from '../../dist/common/config.js';
import { migrate, openDatabase, withTransaction } from '../../dist/common/db/index.js';
import { JobQueue, Worker, jobsConfig, jobsMigration, jobSecretsMigration } from '../../dist/common/jobs/index.js';

const [url, jobsArg, rateArg] = process.argv.slice(2);
if (!url) throw new Error('usage: run.mjs DATABASE_URL [JOBS] [RATE]');
const JOBS = Number(jobsArg ?? 5000);
const RATE = Number(rateArg ?? 100);
const ENQUEUERS = 16;

const database = openDatabase(url);
const { db, engine } = database;
await migrate(
  database,
  {
    '0001_jobs': jobsMigration('bench', engine),
    '0002_builds': {
      up: (d) =>
        d.schema
          .createTable('bench_builds')
          .addColumn('job_id', 'integer', (c) => c.primaryKey())
          .addColumn('waited_ms', 'double precision', (c) => c.notNull())
          .execute(),
    },
    '0003_jobs_secrets': jobSecretsMigration('bench'),
  },
  'bench',
);
const queue = new JobQueue(database, 'bench', jobsConfig(loadConfig(undefined, process.env)));

/** @type {number[]} */
let waits = [];
let done = 0;
/** @type {{ n: number, resolve: () => void } | undefined} */
let allDone;
const worker = new Worker(queue, {
  log: pino({ level: 'warn' }),
  handlers: {
    /** @param {import('../../dist/common/jobs/index.js').Job} job */
    async build(job) {
      const waited = performance.now() - /** @type {{ t: number }} */ (job.payload).t;
      waits.push(waited);
      await sql`INSERT INTO bench_builds (job_id, waited_ms) VALUES (${job.id}, ${waited})`.execute(db);
      if (++done === allDone?.n) allDone.resolve();
    },
  },
});
worker.start();

const enqueue = () =>
  withTransaction(db, (trx) => queue.enqueue(trx, { kind: 'build', payload: { t: performance.now() } }));

/** @param {number} n @returns {Promise<void>} */
function finished(n) {
  return new Promise((resolve) => {
    allDone = { n, resolve };
    if (done >= n) resolve();
  });
}

/** @param {string} name @param {number} n @param {number} ms */
function report(name, n, ms) {
  const s = [...waits].sort((a, b) => a - b);
  const at = (/** @type {number} */ p) => (s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0).toFixed(1);
  console.log(
    `${engine} ${name}: ${n} jobs in ${(ms / 1000).toFixed(2)} s = ${Math.round(n / (ms / 1000))} jobs/s; ` +
      `enqueue→start p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${(s[s.length - 1] ?? 0).toFixed(1)} ms`,
  );
}

// Burst.
{
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: ENQUEUERS }, async () => {
      while (next++ < JOBS) await enqueue();
    }),
  );
  const enqueued = performance.now();
  const doneThen = done;
  await finished(JOBS);
  const end = performance.now();
  report('burst', JOBS, end - t0);
  console.log(
    `  (all enqueued after ${((enqueued - t0) / 1000).toFixed(2)} s, ${doneThen} run by then; ` +
      `the rest drained at ${Math.round((JOBS - doneThen) / ((end - enqueued) / 1000))} jobs/s)`,
  );
}

// Paced.
{
  waits = [];
  done = 0;
  const n = RATE * 10;
  const t0 = performance.now();
  const pending = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(enqueue());
  }
  await Promise.all(pending);
  await finished(n);
  report(`paced at ${RATE}/s`, n, performance.now() - t0);
}

await worker.stop();
await database.close();
