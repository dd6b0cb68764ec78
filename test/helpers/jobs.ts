// A job queue on a fresh database of either engine, for the jobs tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery, type Compilable } from 'kysely';
import { loadConfig, type Config } from '../../src/common/config.js';
import { migrate, openDatabase, type Database } from '../../src/common/db/index.js';
import {
  JobQueue,
  jobsConfig,
  jobsMigration,
  jobResultsMigration,
  jobSecretsMigration,
} from '../../src/common/jobs/index.js';

/** Short leases and backoffs, so that the tests see takeovers and retries within seconds. */
export const FAST: Partial<Config> = {
  jobLeaseSeconds: 1,
  jobPollInterval: 0.2,
  jobRetryBackoff: 0.2,
  jobRetryBackoffMax: 5,
  jobGracefulShutdownTimeout: 1,
};

/** FAST as the CONCORD_JOBS__* variables a worker process reads. */
export const FAST_ENV: Record<string, string> = {
  CONCORD_JOBS__LEASE_SECONDS: '1',
  CONCORD_JOBS__POLL_INTERVAL: '0.2',
  CONCORD_JOBS__RETRY_BACKOFF: '0.2',
  CONCORD_JOBS__RETRY_BACKOFF_MAX: '5',
  CONCORD_JOBS__GRACEFUL_SHUTDOWN_TIMEOUT: '1',
};

/** Leases for the crash tests' processes: a killed process's jobs are taken over two seconds after
 * its last heartbeat, and retried quickly. */
export const CRASH_ENV: Record<string, string> = {
  CONCORD_JOBS__LEASE_SECONDS: '2',
  CONCORD_JOBS__POLL_INTERVAL: '0.2',
  CONCORD_JOBS__RETRY_BACKOFF: '0.2',
  CONCORD_JOBS__RETRY_BACKOFF_MAX: '2',
};

export interface TestQueue {
  database: Database<any>;
  queue: JobQueue;
  close(): Promise<void>;
}

/** A SQLite file in a new directory (removed by the queue's close). */
export function sqliteUrl(): { url: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'concord-jobs-'));
  return { url: join(dir, 'jobs.sqlite'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Opens `url`, creates the job tables of service `service` (unless `migrated` already) and
 * returns its queue. */
export async function openQueue(
  url: string,
  config: Partial<Config> = {},
  service = 'test',
  migrated = false,
): Promise<TestQueue> {
  const database = openDatabase<any>(url);
  if (!migrated)
    await migrate(
      database,
      {
        '0001_jobs': jobsMigration(service, database.engine),
        '0002_jobs_secrets': jobSecretsMigration(service),
        '0003_jobs_results': jobResultsMigration(service),
      },
      service,
    );
  const queue = new JobQueue(database, service, jobsConfig(loadConfig(undefined, {}, { ...FAST, ...config })));
  return { database, queue, close: () => database.close() };
}

/** Polls `check` until it holds; fails after `ms`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, ms = 20000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Job.successQuery for a handler run outside any worker (a test calling it directly): there is
 * no job row to mark succeeded, so the handler's last batch gets a statement that does nothing. */
export const noJobRow = (): Compilable<unknown> => ({ compile: () => CompiledQuery.raw('SELECT 1') });
