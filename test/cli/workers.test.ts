// `concord up` runs a service's job workers in-process: started once the cloud is ready, woken by
// the service's own enqueues, and stopped after the server and before the service's database
// closes — so that a job still running at shutdown is given back, not lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildCloud } from '../../src/cli/cloud.js';
import { resolveRuntime } from '../../src/cli/runtime.js';
import type { ServiceModule } from '../../src/cli/services.js';
import { migrate, openDatabase, withTransaction } from '../../src/common/db/index.js';
import { JobQueue, Worker, jobsConfig, jobsMigration, jobSecretsMigration } from '../../src/common/jobs/index.js';
import { createLogger } from '../../src/common/log.js';
import { FAST, until } from '../helpers/jobs.js';

const dataDir = mkdtempSync(join(tmpdir(), 'concord-workers-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it("concord up starts a service's workers and stops them before closing its database", async () => {
  const events: string[] = [];
  const ran: number[] = [];
  let queue!: JobQueue;
  /** The jobs as the workers left them, read before the database closes. */
  let leftBehind: unknown[] = [];
  const ids: number[] = [];
  const database = openDatabase<any>(join(dataDir, 'demo.sqlite'));
  const demo: ServiceModule = {
    name: 'demo',
    type: 'demo',
    path: '/demo',
    databaseOption: 'databaseConnection',
    async start(env) {
      await migrate(
        database,
        { '0001_jobs': jobsMigration('demo', database.engine), '0002_jobs_secrets': jobSecretsMigration('demo') },
        'demo',
      );
      queue = new JobQueue(database, 'demo', jobsConfig(env.config));
      return {
        plugin: () => async (app) => {
          app.post('/work', async (req) =>
            withTransaction(database.db, (trx) => queue.enqueue(trx, { kind: (req.query as { kind: string }).kind })),
          );
        },
        workers: () => {
          const worker = new Worker(queue, {
            log: env.log,
            handlers: {
              quick: async (job) => {
                ran.push(job.id);
              },
              endless: async (job) => {
                await new Promise((r) => job.signal.addEventListener('abort', r));
              },
            },
          });
          return [
            {
              start: () => worker.start(),
              stop: async () => {
                await worker.stop();
                events.push('workers stopped');
                leftBehind = await Promise.all(ids.map((id) => queue.get(id)));
              },
            },
          ];
        },
        close: async () => {
          events.push('database closing');
          await database.close();
        },
      };
    },
  };
  const log = createLogger({ name: 'test' });
  log.level = 'silent';
  const cloud = await buildCloud({
    runtime: resolveRuntime({ dataDir }, FAST, {}),
    log,
    publicBase: 'http://cloud.test',
    services: [demo],
  });
  const post = async (kind: string) =>
    (await cloud.app.inject({ method: 'POST', url: `/demo/work?kind=${kind}` })).json<{ id: number }>();

  const quick = await post('quick');
  await until('the quick job to run', () => ran.includes(quick.id), 5000);
  const endless = await post('endless');
  await until('the endless job to start', async () => (await queue.get(endless.id))?.state === 'running', 5000);
  ids.push(quick.id, endless.id);
  await cloud.close();
  expect(events).toEqual(['workers stopped', 'database closing']);
  expect(leftBehind).toMatchObject([{ state: 'succeeded' }, { state: 'queued', attempts: 0 }]);
});
