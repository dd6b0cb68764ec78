// Durable jobs and periodic tasks in a service's own database (see docs/architecture.md, "Jobs").
//
//   migrations:  { ..., '0007_jobs': jobsMigration('compute', engine), ...,
//                  '0009_jobs_secrets': jobSecretsMigration('compute'),
//                  '0010_jobs_results': jobResultsMigration('compute'),
//                  '0011_jobs_kind_due': jobKindDueMigration('compute', engine) }
//   queue:       const jobs = new JobQueue(database, 'compute', jobsConfig(config));
//   enqueue:     await withTransaction(db, async (trx) => { ...state change...; await jobs.enqueue(trx, {
//                  kind: 'build_instance', target: host, payload: { uuid }, dedupeKey: uuid }); });
//   call:        const outcome = await callJob(jobs, { kind: 'get_console_output', target: host, payload }, 60000);
//   work:        const worker = new Worker(jobs, { handlers: { build_instance: build }, targets: [host], log });
//                worker.periodic('update_available_resource', 60, report).start(); ... await worker.stop();
//
// Guarantees: a job exists iff the transaction that enqueued it committed; it runs at least once
// (again after its worker dies: handlers are idempotent), one run at a time, on a worker serving
// its kind and target; failures are retried with backoff up to its max_attempts, then it is
// failed with its last error kept. A job's secret (JobSpec.secret) is erased when it ends. A call
// is a job whose enqueuer waits for its handler's result, and deletes it once answered.
// Among all processes, one runs a periodic task each interval.
export {
  jobsMigration,
  jobKindDueMigration,
  jobResultsMigration,
  jobSecretsMigration,
  jobTables,
  type JobRow,
  type JobState,
  type JobTables,
  type PeriodicRow,
} from './schema.js';
export { JobQueue, jobsConfig, type Enqueued, type JobSpec, type JobsConfig } from './queue.js';
export { Worker, PermanentJobError, type Job, type JobHandler, type WorkerOptions } from './worker.js';
export { callJob, JobCallTimeout, type CallOutcome } from './call.js';
export type { PeriodicFn } from './periodic.js';
