// The compute manager's part of a live migration (Nova's ComputeManager pre_live_migration,
// live_migration, post_live_migration_at_destination, rollback_live_migration_at_destination,
// live_migration_force_complete, live_migration_abort), each a job for the host whose turn it is:
//   pre_live_migration (destination)   queued → preparing; the driver makes the destination ready
//   live_migration (source)            preparing → running; the driver moves the guest, which
//                                      force_complete ends early and abort cancels
//   post_live_migration_at_destination the instance's host and node become the destination's,
//                                      the migration's allocations on the source go; completed
//   rollback_live_migration_at_destination  what a migration that did not complete left there
//   live_migration_force_complete, live_migration_abort (source): the API's requests, told to the
//                                      driver while it moves the guest; an abort of a migration
//                                      still queued or preparing ends it here (cancelled)
// A step that fails, or is aborted, puts the server back on the source (rollbackLiveMigration).
// Each starts from the migration's status and the instance's task state, so that a job run again
// after its agent died finds its work done, or ends a migration its predecessor left half-way.
import { withTransaction } from '../../common/db/index.js';
import type { Job, JobHandler, JobQueue } from '../../common/jobs/index.js';
import { rollbackLiveMigration, type LiveMigrationEnd } from '../conductor/live_migrate.js';
import type { ComputeDB } from '../db/schema.js';
import { InvalidMigrationState } from '../exceptions.js';
import { getInstance, updateInstance, VmState, type Db, type Instance } from '../objects/instance.js';
import { eventFinished, finishEvent, startEvent } from '../objects/instance_action.js';
import { addFault } from '../objects/instance_fault.js';
import {
  LIVE_MIGRATION,
  LIVE_MIGRATION_ABORT,
  LIVE_MIGRATION_FORCE_COMPLETE,
  POST_LIVE_MIGRATION_AT_DESTINATION,
  PRE_LIVE_MIGRATION,
  ROLLBACK_LIVE_MIGRATION_AT_DESTINATION,
  type LiveMigrationPayload,
  type LiveMigrationStepPayload,
} from '../objects/live_migration.js';
import { getMigration, updateMigration, type Migration } from '../objects/migration.js';
import { releaseClaim } from '../scheduler/index.js';
import { PowerState, type GuestSpec } from '../virt/driver.js';
import { guestOf, messageOf, type ManagerEnv } from './env.js';

/** The instance (live) and the migration of a job; null when either is gone. */
async function load(env: ManagerEnv, p: LiveMigrationPayload): Promise<{ i: Instance; m: Migration } | null> {
  const m = await getMigration(env.database.db, p.migration_uuid);
  if (!m) return null;
  try {
    return { i: await getInstance(env.database.db, p.uuid, { projectId: null }), m };
  } catch {
    return null;
  }
}

const rollbackEnv = (env: ManagerEnv) => ({
  db: env.database.db,
  jobs: env.jobs,
  placement: env.clients.placement,
});

/** The guest as it will be on the destination's node. */
const guestAt = (i: Instance, m: Migration): GuestSpec => ({ ...guestOf(i), node: m.dest_node! });

/** Hands the next step to `host`. */
async function enqueueStep(db: Db, jobs: JobQueue, kind: string, host: string, p: LiveMigrationStepPayload) {
  await jobs.enqueue<ComputeDB>(db, { kind, target: host, payload: p, dedupeKey: `${kind}:${p.migration_uuid}` });
}

async function preLiveMigration(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as LiveMigrationStepPayload;
  const db = env.database.db;
  const loaded = await load(env, p);
  if (!loaded || loaded.m.dest_compute !== env.host || loaded.i.task_state !== 'migrating') return;
  const { i, m } = loaded;
  if (!(await updateMigration(db, m.uuid, { status: 'preparing' }, ['queued', 'preparing']))) return;
  const event = 'compute_pre_live_migration';
  await startEvent(db, i.uuid, p.action_request_id, event, env.host);
  try {
    await env.driver.preLiveMigration(guestAt(i, m));
  } catch (e) {
    const message = messageOf(e);
    env.log.warn({ instance: i.uuid, err: message }, 'pre_live_migration failed');
    await rollbackLiveMigration(rollbackEnv(env), i, m, {
      status: 'failed',
      from: ['preparing'],
      requestId: p.action_request_id,
      event,
      host: env.host,
      error: { message, details: `Pre live migration failed at ${env.host}: ${message}` },
    });
    return;
  }
  const handed = await withTransaction(db, async (trx) => {
    if (!(await updateMigration(trx, m.uuid, {}, ['preparing']))) return false;
    await enqueueStep(trx, env.jobs, LIVE_MIGRATION, m.source_compute!, p);
    return true;
  });
  // Aborted meanwhile (or the server deleted): what was prepared here goes.
  if (!handed) await env.driver.rollbackLiveMigrationAtDestination(i.uuid);
  await finishEvent(db, i.uuid, p.action_request_id, event);
}

async function liveMigration(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as LiveMigrationStepPayload;
  const db = env.database.db;
  const loaded = await load(env, p);
  if (!loaded) return;
  const { i, m } = loaded;
  if (m.source_compute !== env.host || i.host !== env.host || i.task_state !== 'migrating') return;
  const event = 'compute_live_migration';
  const end = { from: ['running'], requestId: p.action_request_id, event, host: env.host };
  if (m.status === 'running') {
    // An earlier run got this far. Handed over: only the source's cleanup may be left. Otherwise
    // it died while the guest moved: the migration ends in error (Nova's _reset_live_migration
    // when its compute service starts again), the server back on the source.
    if (await eventFinished(db, i.uuid, p.action_request_id, event)) {
      await env.driver.postLiveMigration(i.uuid);
      return;
    }
    const message = `Live migration of instance ${i.uuid} was interrupted on ${env.host}.`;
    await rollbackLiveMigration(rollbackEnv(env), i, m, {
      ...end,
      status: 'error',
      error: { message, details: message },
    });
    return;
  }
  if (!(await updateMigration(db, m.uuid, { status: 'running' }, ['preparing']))) return;
  await startEvent(db, i.uuid, p.action_request_id, event, env.host);
  let outcome: 'completed' | 'cancelled';
  try {
    outcome = await env.driver.liveMigration(i.uuid, m.dest_compute!, p.block_migration, job.signal);
  } catch (e) {
    // The job taken from this worker: its next run ends the migration.
    if (job.signal.aborted) throw e;
    const message = messageOf(e);
    env.log.warn({ instance: i.uuid, err: message }, 'live migration failed');
    await rollbackLiveMigration(rollbackEnv(env), i, m, {
      ...end,
      status: 'failed',
      error: { message, details: `Live migration to ${m.dest_compute} failed: ${message}` },
    });
    return;
  }
  if (outcome === 'cancelled') {
    await rollbackLiveMigration(rollbackEnv(env), i, m, { ...end, status: 'cancelled' });
    return;
  }
  const handed = await withTransaction(db, async (trx) => {
    if (!(await updateMigration(trx, m.uuid, {}, ['running']))) return false;
    await enqueueStep(trx, env.jobs, POST_LIVE_MIGRATION_AT_DESTINATION, m.dest_compute!, p);
    await finishEvent(trx, i.uuid, p.action_request_id, event);
    return true;
  });
  if (handed) await env.driver.postLiveMigration(i.uuid);
}

/** The migration ended meanwhile: the transaction that would complete it is undone. */
class MigrationEnded extends Error {}

async function postLiveMigrationAtDestination(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as LiveMigrationStepPayload;
  const db = env.database.db;
  const loaded = await load(env, p);
  if (!loaded || loaded.m.dest_compute !== env.host) return;
  const { i, m } = loaded;
  if (m.status !== 'running' || i.task_state !== 'migrating') return;
  const event = 'compute_post_live_migration_at_destination';
  await startEvent(db, i.uuid, p.action_request_id, event, env.host);
  const power = (i.power_state ?? PowerState.RUNNING) as PowerState;
  let failure: string | null = null;
  try {
    await env.driver.postLiveMigrationAtDestination(guestAt(i, m), power);
  } catch (e) {
    // The guest runs here whatever the driver says: as Nova, the server moves, in ERROR.
    failure = messageOf(e);
    env.log.warn({ instance: i.uuid, err: failure }, 'post_live_migration_at_destination failed');
  }
  // The source's allocations, the migration's, go (Nova's _delete_allocation_after_move) before
  // the server shows on this host: a run again after a crash in between finds it still running.
  await releaseClaim(env.clients.placement, m.uuid);
  let moved: boolean;
  try {
    moved = await withTransaction(db, async (trx) => {
      const values = {
        host: env.host,
        node: m.dest_node,
        power_state: power,
        task_state: null,
        progress: 0,
        availability_zone: p.availability_zone,
        ...(failure !== null ? { vm_state: VmState.ERROR } : {}),
      };
      if (!(await updateInstance(trx, i.uuid, values, { taskState: ['migrating'] }))) return false;
      if (!(await updateMigration(trx, m.uuid, { status: 'completed' }, ['running']))) throw new MigrationEnded();
      if (failure !== null) {
        await addFault(trx, i.uuid, { code: 500, message: failure, details: failure, host: env.host });
      }
      await finishEvent(trx, i.uuid, p.action_request_id, event, failure !== null ? { message: failure } : undefined);
      return true;
    });
  } catch (e) {
    if (!(e instanceof MigrationEnded)) throw e;
    moved = false;
  }
  if (moved) {
    await env.reportResources();
    return;
  }
  // Deleted meanwhile (its host freed what it held), or the migration ended: the guest made here goes.
  env.log.warn({ instance: i.uuid }, 'live migration ended before the server moved here');
  await env.driver.rollbackLiveMigrationAtDestination(i.uuid);
}

async function rollbackAtDestination(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as LiveMigrationPayload;
  const db = env.database.db;
  let i: Instance | null;
  try {
    i = await getInstance(db, p.uuid, { projectId: null });
  } catch {
    i = null;
  }
  // The server runs here (a later move brought it back): nothing of this migration is left.
  if (i?.host === env.host) return;
  const event = 'compute_rollback_live_migration_at_destination';
  if (i) await startEvent(db, i.uuid, p.action_request_id, event, env.host);
  await env.driver.rollbackLiveMigrationAtDestination(p.uuid);
  if (i) await finishEvent(db, i.uuid, p.action_request_id, event);
}

/** A force-complete or an abort of a running migration, told to the driver moving the guest.
 * The migration may be running in the database a moment before the driver starts (or after its
 * worker died, until its next run ends it): the job is tried again meanwhile. */
async function tellDriver(
  env: ManagerEnv,
  job: Job,
  i: Instance,
  m: Migration,
  step: { event: string; method: string; tell: (uuid: string) => Promise<boolean> },
): Promise<void> {
  const p = job.payload as LiveMigrationPayload;
  const db = env.database.db;
  const current = (await getMigration(db, m.uuid)) ?? m;
  if (current.status === 'running' && (await step.tell(i.uuid))) {
    await finishEvent(db, i.uuid, p.action_request_id, step.event);
    return;
  }
  if (current.status === 'running' && job.attempt < job.maxAttempts) {
    throw new Error(`no live migration of ${i.uuid} runs on ${env.host} yet`);
  }
  const error = new InvalidMigrationState(current.id, i.uuid, current.status, step.method);
  await finishEvent(db, i.uuid, p.action_request_id, step.event, { message: error.message });
}

async function forceComplete(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as LiveMigrationPayload;
  const loaded = await load(env, p);
  if (!loaded || loaded.m.source_compute !== env.host) return;
  const event = 'compute_live_migration_force_complete';
  await startEvent(env.database.db, p.uuid, p.action_request_id, event, env.host);
  await tellDriver(env, job, loaded.i, loaded.m, {
    event,
    method: 'force complete',
    tell: (uuid) => env.driver.forceCompleteLiveMigration(uuid),
  });
}

async function abort(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as LiveMigrationPayload;
  const loaded = await load(env, p);
  if (!loaded || loaded.m.source_compute !== env.host) return;
  const { i, m } = loaded;
  const event = 'compute_live_migration_abort';
  await startEvent(env.database.db, i.uuid, p.action_request_id, event, env.host);
  // Not running yet: ended here, before the guest moves (a run again finds it cancelled and
  // finishes the rollback); the steps still queued find it cancelled and stop.
  const end: LiveMigrationEnd = {
    status: 'cancelled',
    from: ['queued', 'preparing'],
    requestId: p.action_request_id,
    event,
    host: env.host,
  };
  if ([...end.from, end.status].includes(m.status) && (await rollbackLiveMigration(rollbackEnv(env), i, m, end))) {
    // Closed by the rollback unless an earlier run had put the server back already.
    await finishEvent(env.database.db, i.uuid, p.action_request_id, event);
    return;
  }
  await tellDriver(env, job, i, m, {
    event,
    method: 'abort live migration',
    tell: (uuid) => env.driver.abortLiveMigration(uuid),
  });
}

export function liveMigrationHandlers(env: ManagerEnv): Record<string, JobHandler> {
  return {
    [PRE_LIVE_MIGRATION]: (job) => preLiveMigration(env, job),
    [LIVE_MIGRATION]: (job) => liveMigration(env, job),
    [POST_LIVE_MIGRATION_AT_DESTINATION]: (job) => postLiveMigrationAtDestination(env, job),
    [ROLLBACK_LIVE_MIGRATION_AT_DESTINATION]: (job) => rollbackAtDestination(env, job),
    [LIVE_MIGRATION_FORCE_COMPLETE]: (job) => forceComplete(env, job),
    [LIVE_MIGRATION_ABORT]: (job) => abort(env, job),
  };
}
