// The compute manager (Nova's compute.manager.ComputeManager): the jobs a compute host runs for
// its instances, through its virt driver. Each handler is idempotent — a job runs again after its
// agent died — so each starts from the instance as the database has it: one already in the wanted
// state, gone, or moved to another host is left alone, and driver calls are safe to repeat.
import { executeAtomically, withTransaction } from '../../common/db/index.js';
import type { Job, JobHandler } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import { PowerState, type VirtDriver } from '../virt/driver.js';
import {
  destroyInstance,
  getInstance,
  instanceUpdate,
  now,
  updateInstance,
  VmState,
  type Instance,
} from '../objects/instance.js';
import { finishEvent, finishEventQueries, startEvent, startEventQueries } from '../objects/instance_action.js';
import { BUILD_INSTANCES, type BuildInstancesPayload } from '../objects/instance_create.js';
import { addFault } from '../objects/instance_fault.js';
import {
  POWER_ACTIONS,
  REBUILD_INSTANCE,
  type ActionPayload,
  type ActionSecret,
} from '../objects/instance_lifecycle.js';
import { TERMINATE_INSTANCE } from '../objects/instance_delete.js';
import { endMigrationsOfDeleted } from '../objects/migration.js';
import { getRequestSpec, saveRequestSpec } from '../objects/request_spec.js';
import {
  buildRequestId,
  maxRetriesMessage,
  SPAWN_INSTANCE,
  type RescheduleFields,
  type SpawnPayload,
} from '../conductor/index.js';
import { releaseClaim } from '../scheduler/index.js';
import { evacuateHandlers } from './evacuate.js';
import { liveMigrationHandlers } from './live_migration.js';
import { resizeHandlers } from './resize.js';
import { snapshotHandlers } from './snapshot.js';
import { forgetShelvedImage, shelveHandlers } from './shelve.js';
import { consoleHandlers } from './console.js';
import { rescueHandlers } from './rescue.js';
import { diagnosticsHandlers } from './diagnostics.js';
import { hostUptimeHandlers } from './host_uptime.js';
import { guestOf, messageOf, type ManagerEnv } from './env.js';

export type { ManagerEnv } from './env.js';
export { destroyEvacuatedInstances } from './evacuate.js';

const BUILD_EVENT = 'compute__do_build_and_run_instance';

/** The instance if it is live and this host's; null otherwise (deleted, or rescheduled elsewhere). */
async function ownInstance(env: ManagerEnv, uuid: string): Promise<Instance | null> {
  try {
    const i = await getInstance(env.database.db, uuid, { projectId: null });
    return i.host === env.host ? i : null;
  } catch {
    return null;
  }
}

/** After a failed build on this host: the instance tries the next host (its alternates first),
 * up to [scheduler] max_attempts hosts; then it is in ERROR. */
async function reschedule(
  env: ManagerEnv,
  i: Instance,
  p: SpawnPayload,
  requestId: string,
  error: string,
): Promise<void> {
  const db = env.database.db;
  const spec = await getRequestSpec(db, i.uuid);
  const exhausted = !spec || p.attempt >= env.config.schedulerMaxAttempts;
  await withTransaction(db, async (trx) => {
    if (exhausted) {
      const message = maxRetriesMessage(i.uuid);
      const moved = await updateInstance(
        trx,
        i.uuid,
        { vm_state: VmState.ERROR, task_state: null, power_state: PowerState.NOSTATE },
        { taskState: ['spawning'] },
      );
      if (!moved) return;
      await addFault(trx, i.uuid, {
        code: 500,
        message,
        details: `Build on ${env.host} failed: ${error}`,
        host: env.host,
      });
      await finishEvent(trx, i.uuid, requestId, BUILD_EVENT, { message: error, details: message });
      return;
    }
    const moved = await updateInstance(
      trx,
      i.uuid,
      { host: null, node: null, task_state: 'scheduling', power_state: PowerState.NOSTATE },
      { taskState: ['spawning'] },
    );
    if (!moved) return;
    spec.retry = { num_attempts: p.attempt, hosts: [...spec.retry.hosts, env.host] };
    await saveRequestSpec(trx, spec);
    await finishEvent(trx, i.uuid, requestId, BUILD_EVENT, { message: error });
    const payload: BuildInstancesPayload & RescheduleFields = {
      instance_uuids: [i.uuid],
      request_id: requestId,
      alternates: { [i.uuid]: p.alternates },
    };
    await env.jobs.enqueue<ComputeDB>(trx, {
      kind: BUILD_INSTANCES,
      payload,
      dedupeKey: `${i.uuid}:reschedule:${p.attempt}`,
    });
  });
}

async function spawn(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as SpawnPayload;
  const db = env.database.db;
  const i = await ownInstance(env, p.uuid);
  // Deleted before it was built (its terminate job cleans up), or already built by an earlier run.
  if (!i || i.vm_state !== VmState.BUILDING) return;
  const requestId = p.request_id ?? (await buildRequestId(db, i.uuid));
  // The event opened as Nova's does, before the instance is found ready to spawn; both in one
  // commit (a disk flush each on PostgreSQL) and one round trip, on the way of every boot.
  const [spawning] = await executeAtomically(db, [
    instanceUpdate(db, i.uuid, { task_state: 'spawning' }, { taskState: [null, 'spawning'] }),
    ...startEventQueries(db, i.uuid, requestId, BUILD_EVENT, env.host),
  ]);
  if (!Number(spawning.numAffectedRows)) {
    // Another action took it over meanwhile (a delete): this build step ends there.
    await finishEvent(db, i.uuid, requestId, BUILD_EVENT, { message: 'The instance is no longer building' });
    return;
  }
  try {
    await env.driver.spawn(guestOf(i), job.signal);
  } catch (e) {
    const error = messageOf(e);
    env.log.warn({ instance: i.uuid, err: error }, 'build failed, rescheduling');
    await env.driver.destroy(i.uuid);
    await releaseClaim(env.clients.placement, i.uuid);
    await reschedule(env, i, p, requestId, error);
    await env.reportResources();
    return;
  }
  // One round trip on PostgreSQL, the job's success in the same commit. The build step ended
  // either way: its event is closed even when the instance left `spawning` meanwhile (a delete
  // has its own action and events).
  const ts = now();
  await executeAtomically(db, [
    instanceUpdate(
      db,
      i.uuid,
      {
        vm_state: VmState.ACTIVE,
        task_state: null,
        power_state: PowerState.RUNNING,
        launched_at: ts,
        launched_on: env.host,
      },
      { taskState: ['spawning'] },
    ),
    ...finishEventQueries(db, i.uuid, requestId, BUILD_EVENT),
    job.successQuery(),
  ]);
  await env.reportResources();
}

async function terminate(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as ActionPayload;
  const db = env.database.db;
  const i = await ownInstance(env, p.uuid);
  if (!i) return;
  const event = 'compute_terminate_instance';
  await startEvent(db, i.uuid, p.action_request_id, event, env.host);
  await env.driver.destroy(i.uuid);
  await releaseClaim(env.clients.placement, i.uuid);
  // A resize still under way holds the source's allocations in its migration's name: they go
  // too (Nova's move_allocations drops them once the instance is gone).
  for (const m of await endMigrationsOfDeleted(db, i.uuid)) await releaseClaim(env.clients.placement, m);
  await withTransaction(db, async (trx) => {
    await finishEvent(trx, i.uuid, p.action_request_id, event);
    await destroyInstance(trx, i.uuid);
  });
  await env.reportResources();
}

/** A rebuild: the guest destroyed and spawned again from the server's (new) image; a server that
 * was stopped is stopped again, as Nova leaves it. A failure puts the server in ERROR. */
async function rebuild(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as ActionPayload;
  const db = env.database.db;
  const i = await ownInstance(env, p.uuid);
  if (!i || i.task_state !== 'rebuilding') return;
  const event = 'compute_rebuild_instance';
  await startEvent(db, i.uuid, p.action_request_id, event, env.host);
  const wasStopped = i.vm_state === VmState.STOPPED;
  try {
    await env.driver.destroy(i.uuid);
    await env.driver.spawn(guestOf(i), job.signal);
    if (wasStopped) await env.driver.powerOff(i.uuid);
  } catch (e) {
    const error = messageOf(e);
    await withTransaction(db, async (trx) => {
      if (
        !(await updateInstance(
          trx,
          i.uuid,
          { vm_state: VmState.ERROR, task_state: null },
          { taskState: ['rebuilding'] },
        ))
      )
        return;
      await addFault(trx, i.uuid, {
        code: 500,
        message: error,
        details: `Rebuild on ${env.host} failed: ${error}`,
        host: env.host,
      });
      await finishEvent(trx, i.uuid, p.action_request_id, event, { message: error });
    });
    return;
  }
  await withTransaction(db, async (trx) => {
    const done = await updateInstance(
      trx,
      i.uuid,
      {
        vm_state: wasStopped ? VmState.STOPPED : VmState.ACTIVE,
        task_state: null,
        power_state: wasStopped ? PowerState.SHUTDOWN : PowerState.RUNNING,
        launched_at: now(),
      },
      { taskState: ['rebuilding'] },
    );
    if (done) await finishEvent(trx, i.uuid, p.action_request_id, event);
  });
}

interface PowerStep {
  action: keyof typeof POWER_ACTIONS | 'reboot';
  event: string;
  run(driver: VirtDriver, uuid: string, p: ActionPayload, secret: ActionSecret | null): Promise<void>;
  /** What follows the driver's call before the new states are saved. */
  afterwards?(env: ManagerEnv, uuid: string): Promise<void>;
  /** The states after it; none for a step that changes neither (changePassword). */
  vmState?: string;
  powerState?: PowerState;
}

const POWER_STEPS: Record<string, PowerStep> = {
  stop_instance: {
    action: 'stop',
    event: 'compute_stop_instance',
    run: (d, u) => d.powerOff(u),
    vmState: VmState.STOPPED,
    powerState: PowerState.SHUTDOWN,
  },
  start_instance: {
    action: 'start',
    event: 'compute_start_instance',
    run: (d, u) => d.powerOn(u),
    // A shelved server unshelved on its host is started.
    afterwards: forgetShelvedImage,
    vmState: VmState.ACTIVE,
    powerState: PowerState.RUNNING,
  },
  pause_instance: {
    action: 'pause',
    event: 'compute_pause_instance',
    run: (d, u) => d.pause(u),
    vmState: VmState.PAUSED,
    powerState: PowerState.PAUSED,
  },
  unpause_instance: {
    action: 'unpause',
    event: 'compute_unpause_instance',
    run: (d, u) => d.unpause(u),
    vmState: VmState.ACTIVE,
    powerState: PowerState.RUNNING,
  },
  suspend_instance: {
    action: 'suspend',
    event: 'compute_suspend_instance',
    run: (d, u) => d.suspend(u),
    vmState: VmState.SUSPENDED,
    powerState: PowerState.SUSPENDED,
  },
  resume_instance: {
    action: 'resume',
    event: 'compute_resume_instance',
    run: (d, u) => d.resume(u),
    vmState: VmState.ACTIVE,
    powerState: PowerState.RUNNING,
  },
  set_admin_password: {
    action: 'changePassword',
    event: 'compute_set_admin_password',
    run: (d, u, _p, secret) => d.setAdminPassword(u, secret?.admin_password ?? ''),
  },
  reboot_instance: {
    action: 'reboot',
    event: 'compute_reboot_instance',
    run: (d, u, p) => d.reboot(u, p.type ?? 'SOFT'),
    vmState: VmState.ACTIVE,
    powerState: PowerState.RUNNING,
  },
};

/** The task states a power action's job finds its instance in (set by the API). */
function busyStates(step: PowerStep, p: ActionPayload): string[] {
  if (step.action !== 'reboot') return [POWER_ACTIONS[step.action].taskState];
  return p.type === 'HARD'
    ? ['rebooting_hard', 'reboot_pending_hard', 'reboot_started_hard']
    : ['rebooting', 'reboot_pending', 'reboot_started'];
}

/** A power action: the driver's call, then the instance's new states; a driver failure is the
 * event's error (the instance keeps its state, as Nova's reverts the task state). */
async function powerAction(env: ManagerEnv, step: PowerStep, job: Job): Promise<void> {
  const p = job.payload as ActionPayload;
  const db = env.database.db;
  const i = await ownInstance(env, p.uuid);
  const busy = busyStates(step, p);
  if (!i || !busy.includes(i.task_state ?? '')) return;
  await startEvent(db, i.uuid, p.action_request_id, step.event, env.host);
  try {
    await step.run(env.driver, i.uuid, p, job.secret as ActionSecret | null);
    await step.afterwards?.(env, i.uuid);
  } catch (e) {
    const error = messageOf(e);
    await withTransaction(db, async (trx) => {
      await updateInstance(trx, i.uuid, { task_state: null }, { taskState: busy });
      await finishEvent(trx, i.uuid, p.action_request_id, step.event, { message: error });
    });
    return;
  }
  await withTransaction(db, async (trx) => {
    await updateInstance(
      trx,
      i.uuid,
      {
        ...(step.vmState ? { vm_state: step.vmState } : {}),
        ...(step.powerState !== undefined ? { power_state: step.powerState } : {}),
        task_state: null,
      },
      { taskState: busy },
    );
    await finishEvent(trx, i.uuid, p.action_request_id, step.event);
  });
}

export function managerHandlers(env: ManagerEnv): Record<string, JobHandler> {
  const handlers: Record<string, JobHandler> = {
    [SPAWN_INSTANCE]: (job) => spawn(env, job),
    [TERMINATE_INSTANCE]: (job) => terminate(env, job),
    [REBUILD_INSTANCE]: (job) => rebuild(env, job),
    ...resizeHandlers(env),
    ...snapshotHandlers(env),
    ...shelveHandlers(env),
    ...liveMigrationHandlers(env),
    ...evacuateHandlers(env),
    ...consoleHandlers(env),
    ...rescueHandlers(env),
    ...diagnosticsHandlers(env),
    ...hostUptimeHandlers(env),
  };
  for (const [kind, step] of Object.entries(POWER_STEPS)) handlers[kind] = (job) => powerAction(env, step, job);
  return handlers;
}
