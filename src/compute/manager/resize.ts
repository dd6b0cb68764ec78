// The compute manager's part of a resize (Nova's ComputeManager prep_resize, resize_instance,
// finish_resize, confirm_resize, revert_resize, finish_revert_resize), each a job for the host
// whose turn it is:
//   prep_resize (destination)   stashes the new flavor and the vm_state; a failure reschedules
//   resize_instance (source)    powers the guest off; the instance's host becomes the destination
//   finish_resize (destination) the guest with the new flavor; VERIFY_RESIZE
//   confirm_resize (source)     drops the old guest and the migration's allocations
//   revert_resize (destination) drops the new guest, then
//   finish_revert_resize (source) the old flavor, host and allocations back, the guest started
// Each starts from the migration's status and the instance's task state, so that a job run
// again after its agent died finds its work done and stops.
import { withTransaction } from '../../common/db/index.js';
import type { Job, JobHandler } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import { abortResize } from '../conductor/migrate.js';
import { getInstance, now, updateInstance, VmState, type Instance } from '../objects/instance.js';
import { finishEvent, startEvent } from '../objects/instance_action.js';
import { addFault } from '../objects/instance_fault.js';
import { flavorColumns, saveFlavors } from '../objects/instance_flavor.js';
import {
  CONFIRM_RESIZE,
  enqueueStep,
  FINISH_RESIZE,
  FINISH_REVERT_RESIZE,
  MIGRATE_SERVER,
  PREP_RESIZE,
  RESIZE_INSTANCE,
  REVERT_RESIZE,
  type MigrateServerPayload,
  type ResizePayload,
} from '../objects/instance_resize.js';
import { getMigration, moveAllocations, updateMigration, type Migration } from '../objects/migration.js';
import { getRequestSpec, saveRequestSpec } from '../objects/request_spec.js';
import { setSystemMetadata, systemMetadata } from '../objects/instance_system_metadata.js';
import { releaseClaim } from '../scheduler/index.js';
import { PowerState } from '../virt/driver.js';
import { guestOf, messageOf, type ManagerEnv } from './env.js';

const OLD_VM_STATE = 'old_vm_state';

/** The instance and migration of a resize job, when the migration is in `status`; the instance
 * even when deleted with `withDeleted`. */
async function load(
  env: ManagerEnv,
  p: ResizePayload,
  status: string,
  withDeleted = false,
): Promise<{ i: Instance; m: Migration } | null> {
  const m = await getMigration(env.database.db, p.migration_uuid);
  if (!m || m.status !== status) return null;
  try {
    return { i: await getInstance(env.database.db, p.uuid, { projectId: null, withDeleted }), m };
  } catch {
    return null;
  }
}

/** A step that went wrong after the guest moved: the server in ERROR with a fault, the
 * migration in error (Nova's errors_out_migration and _error_out_instance_on_exception). */
async function failed(env: ManagerEnv, i: Instance, m: Migration, p: ResizePayload, event: string, e: unknown) {
  const error = messageOf(e);
  env.log.warn({ instance: i.uuid, err: error }, `${event} failed`);
  await withTransaction(env.database.db, async (trx) => {
    await updateMigration(trx, m.uuid, { status: 'error' });
    await updateInstance(trx, i.uuid, { vm_state: VmState.ERROR, task_state: null });
    await addFault(trx, i.uuid, { code: 500, message: error.slice(0, 255), details: error, host: env.host });
    await finishEvent(trx, i.uuid, p.action_request_id, event, { message: error });
  });
}

async function prepResize(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as MigrateServerPayload;
  const db = env.database.db;
  const loaded = await load(env, p, 'pre-migrating');
  if (!loaded || loaded.i.task_state !== 'resize_prep' || loaded.m.dest_compute !== env.host) return;
  const { i, m } = loaded;
  const event = 'compute_prep_resize';
  await startEvent(db, i.uuid, p.action_request_id, event, env.host);
  try {
    // The resize claim: the chosen node must be one this host manages.
    const nodes = await env.driver.nodes();
    if (!nodes.some((n) => n.hypervisorHostname === m.dest_node)) {
      throw new Error(`Compute host ${env.host} could not be found with node ${m.dest_node}.`);
    }
  } catch (e) {
    await reschedule(env, i, m, p, messageOf(e));
    return;
  }
  const destIp = await db
    .selectFrom('compute_nodes')
    .select('host_ip')
    .where('host', '=', env.host)
    .where('hypervisor_hostname', '=', m.dest_node!)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  await withTransaction(db, async (trx) => {
    if (!(await updateInstance(trx, i.uuid, { task_state: 'resize_prep' }, { taskState: ['resize_prep'] }))) return;
    await saveFlavors(trx, i.uuid, { ...i.flavor, new: p.flavor });
    await setSystemMetadata(trx, i.uuid, OLD_VM_STATE, i.vm_state);
    await updateMigration(trx, m.uuid, { dest_host: destIp?.host_ip ?? env.host });
    await enqueueStep(trx, env.jobs, RESIZE_INSTANCE, i.host!, m, p.action_request_id);
    await finishEvent(trx, i.uuid, p.action_request_id, event);
  });
}

/** prep_resize failed here: the claim on this host goes and the conductor tries the next of
 * the alternates, up to [scheduler] max_attempts hosts, as a build's reschedule. */
async function reschedule(env: ManagerEnv, i: Instance, m: Migration, p: MigrateServerPayload, error: string) {
  const db = env.database.db;
  const event = 'compute_prep_resize';
  env.log.warn({ instance: i.uuid, err: error }, 'prep_resize failed, rescheduling');
  const retryHosts = [...p.retry_hosts, env.host];
  if (p.attempt >= env.config.schedulerMaxAttempts || !p.alternates?.length) {
    const message = `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${i.uuid}.`;
    await abortResize(
      { db, placement: env.clients.placement },
      i,
      m,
      { requestId: p.action_request_id, event, taskStates: ['resize_prep'], host: env.host },
      { message, details: `Resize failed on ${retryHosts.join(', ')}: ${error}` },
    );
    return;
  }
  await releaseClaim(env.clients.placement, i.uuid);
  await withTransaction(db, async (trx) => {
    if (!(await updateMigration(trx, m.uuid, { dest_compute: null, dest_node: null }, ['pre-migrating']))) return;
    const payload: MigrateServerPayload = { ...p, attempt: p.attempt + 1, retry_hosts: retryHosts };
    await env.jobs.enqueue<ComputeDB>(trx, {
      kind: MIGRATE_SERVER,
      payload,
      dedupeKey: `${MIGRATE_SERVER}:${m.uuid}:${p.attempt + 1}`,
    });
    await finishEvent(trx, i.uuid, p.action_request_id, event, { message: error });
  });
}

async function resizeInstance(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as ResizePayload;
  const db = env.database.db;
  const loaded = await load(env, p, 'pre-migrating');
  if (!loaded || loaded.i.host !== env.host || loaded.i.task_state !== 'resize_prep') return;
  const { i, m } = loaded;
  const event = 'compute_resize_instance';
  await startEvent(db, i.uuid, p.action_request_id, event, env.host);
  await withTransaction(db, async (trx) => {
    await updateMigration(trx, m.uuid, { status: 'migrating' });
    await updateInstance(trx, i.uuid, { task_state: 'resize_migrating' }, { taskState: ['resize_prep'] });
  });
  try {
    await env.driver.migrateDiskAndPowerOff(i.uuid);
  } catch (e) {
    // Nothing moved yet: the server stays here, as it was (Nova's InstanceFaultRollback).
    const message = messageOf(e);
    await abortResize(
      { db, placement: env.clients.placement },
      i,
      m,
      { requestId: p.action_request_id, event, taskStates: ['resize_migrating'], host: env.host },
      { message, details: `Resize on ${env.host} failed: ${message}` },
    );
    return;
  }
  await withTransaction(db, async (trx) => {
    // Deleted meanwhile: its terminate job ended the migration and freed its allocations.
    if (
      !(await updateInstance(
        trx,
        i.uuid,
        { host: m.dest_compute, node: m.dest_node, task_state: 'resize_migrated', power_state: PowerState.SHUTDOWN },
        { taskState: ['resize_migrating'] },
      ))
    )
      return;
    await updateMigration(trx, m.uuid, { status: 'post-migrating' });
    const flavors = (await getInstance(trx, i.uuid, { projectId: null })).flavor;
    await saveFlavors(trx, i.uuid, { ...flavors, old: flavors.cur });
    await enqueueStep(trx, env.jobs, FINISH_RESIZE, m.dest_compute!, m, p.action_request_id);
    await finishEvent(trx, i.uuid, p.action_request_id, event);
  });
  await env.reportResources();
}

async function finishResize(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as ResizePayload;
  const db = env.database.db;
  const loaded = await load(env, p, 'post-migrating');
  if (!loaded || loaded.i.host !== env.host) return;
  const { i, m } = loaded;
  if (i.task_state !== 'resize_migrated' && i.task_state !== 'resize_finish') return;
  const event = 'compute_finish_resize';
  await startEvent(db, i.uuid, p.action_request_id, event, env.host);
  const newFlavor = i.flavor.new ?? i.flavor.cur;
  await withTransaction(db, async (trx) => {
    await updateInstance(trx, i.uuid, { task_state: 'resize_finish', ...flavorColumns(newFlavor) });
    await saveFlavors(trx, i.uuid, { ...i.flavor, cur: newFlavor });
  });
  const powerOn = (await systemMetadata(db, i.uuid, OLD_VM_STATE)) !== VmState.STOPPED;
  const resized = await getInstance(db, i.uuid, { projectId: null });
  try {
    await env.driver.finishMigration(guestOf(resized), powerOn);
  } catch (e) {
    // The flavor fields go back to the old flavor, as Nova's finish_resize leaves them.
    const old = i.flavor.old ?? i.flavor.cur;
    await withTransaction(db, async (trx) => {
      await updateInstance(trx, i.uuid, flavorColumns(old));
      await saveFlavors(trx, i.uuid, { ...i.flavor, cur: old });
    });
    await failed(env, i, m, p, event, e);
    return;
  }
  await withTransaction(db, async (trx) => {
    await updateMigration(trx, m.uuid, { status: 'finished' });
    await updateInstance(
      trx,
      i.uuid,
      {
        vm_state: VmState.RESIZED,
        task_state: null,
        power_state: powerOn ? PowerState.RUNNING : PowerState.SHUTDOWN,
        launched_at: now(),
      },
      { taskState: ['resize_finish'] },
    );
    await finishEvent(trx, i.uuid, p.action_request_id, event);
  });
  await env.reportResources();
}

async function confirmResize(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as ResizePayload;
  const db = env.database.db;
  // A delete confirms first: the instance may be gone by now, the source is cleaned up all the same.
  const loaded = await load(env, p, 'confirming', true);
  if (!loaded || loaded.m.source_compute !== env.host) return;
  const { i, m } = loaded;
  const event = 'compute_confirm_resize';
  await startEvent(db, i.uuid, p.action_request_id, event, env.host);
  try {
    await env.driver.confirmMigration(i.uuid, m.source_compute === m.dest_compute);
    await releaseClaim(env.clients.placement, m.uuid);
  } catch (e) {
    await failed(env, i, m, p, event, e);
    return;
  }
  // The request spec follows the flavor the server keeps, for later scheduling.
  const spec = await getRequestSpec(db, i.uuid);
  await withTransaction(db, async (trx) => {
    await updateMigration(trx, m.uuid, { status: 'confirmed' });
    await finishEvent(trx, i.uuid, p.action_request_id, event);
    // A server being deleted stays so (its task state kept); one deleted already is left alone.
    const kept = await updateInstance(
      trx,
      i.uuid,
      { vm_state: i.power_state === PowerState.SHUTDOWN ? VmState.STOPPED : VmState.ACTIVE },
      { taskState: [null, 'deleting'], vmState: [VmState.RESIZED] },
    );
    if (!kept) return;
    await saveFlavors(trx, i.uuid, { cur: i.flavor.cur, old: null, new: null });
    await setSystemMetadata(trx, i.uuid, OLD_VM_STATE, null);
    if (spec) await saveRequestSpec(trx, { ...spec, flavor: i.flavor.cur['nova_object.data'] });
  });
  await env.reportResources();
}

async function revertResize(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as ResizePayload;
  const db = env.database.db;
  const loaded = await load(env, p, 'reverting');
  if (!loaded || loaded.i.host !== env.host || loaded.i.task_state !== 'resize_reverting') return;
  const { i, m } = loaded;
  const event = 'compute_revert_resize';
  await startEvent(db, i.uuid, p.action_request_id, event, env.host);
  try {
    await env.driver.destroy(i.uuid);
  } catch (e) {
    await failed(env, i, m, p, event, e);
    return;
  }
  await withTransaction(db, async (trx) => {
    await enqueueStep(trx, env.jobs, FINISH_REVERT_RESIZE, m.source_compute!, m, p.action_request_id);
    await finishEvent(trx, i.uuid, p.action_request_id, event);
  });
}

async function finishRevertResize(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as ResizePayload;
  const db = env.database.db;
  const loaded = await load(env, p, 'reverting');
  if (!loaded || loaded.m.source_compute !== env.host || loaded.i.task_state !== 'resize_reverting') return;
  const { i, m } = loaded;
  const event = 'compute_finish_revert_resize';
  await startEvent(db, i.uuid, p.action_request_id, event, env.host);
  const old = i.flavor.old ?? i.flavor.cur;
  const powerOn = (await systemMetadata(db, i.uuid, OLD_VM_STATE)) !== VmState.STOPPED;
  await withTransaction(db, async (trx) => {
    await updateInstance(trx, i.uuid, { host: m.source_compute, node: m.source_node, ...flavorColumns(old) });
    await saveFlavors(trx, i.uuid, { ...i.flavor, cur: old });
  });
  try {
    // The source's allocations, held by the migration, replace the destination's.
    await moveAllocations(
      env.clients.placement,
      { uuid: m.uuid, type: 'MIGRATION' },
      { uuid: i.uuid, type: 'INSTANCE' },
    );
    await env.driver.finishRevertMigration(guestOf(await getInstance(db, i.uuid, { projectId: null })), powerOn);
  } catch (e) {
    await failed(env, i, m, p, event, e);
    return;
  }
  await withTransaction(db, async (trx) => {
    await updateMigration(trx, m.uuid, { status: 'reverted' });
    await updateInstance(
      trx,
      i.uuid,
      {
        vm_state: powerOn ? VmState.ACTIVE : VmState.STOPPED,
        task_state: null,
        power_state: powerOn ? PowerState.RUNNING : PowerState.SHUTDOWN,
        launched_at: now(),
      },
      { taskState: ['resize_reverting'] },
    );
    await saveFlavors(trx, i.uuid, { cur: old, old: null, new: null });
    await setSystemMetadata(trx, i.uuid, OLD_VM_STATE, null);
    await finishEvent(trx, i.uuid, p.action_request_id, event);
  });
  await env.reportResources();
}

export function resizeHandlers(env: ManagerEnv): Record<string, JobHandler> {
  return {
    [PREP_RESIZE]: (job) => prepResize(env, job),
    [RESIZE_INSTANCE]: (job) => resizeInstance(env, job),
    [FINISH_RESIZE]: (job) => finishResize(env, job),
    [CONFIRM_RESIZE]: (job) => confirmResize(env, job),
    [REVERT_RESIZE]: (job) => revertResize(env, job),
    [FINISH_REVERT_RESIZE]: (job) => finishRevertResize(env, job),
  };
}
