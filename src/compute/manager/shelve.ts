// The compute manager's part of shelving (Nova's ComputeManager.shelve_instance,
// shelve_offload_instance, unshelve_instance, and what start_instance does for a shelved server):
//   shelve_instance          powers the guest off and uploads its disk into the image the API
//                            created: SHELVED, with shelved_at, shelved_image_id, shelved_host; then
//                            offloads at once when [DEFAULT] shelved_offload_time is 0
//   shelve_offload_instance  destroys the guest and deletes its allocations: SHELVED_OFFLOADED, on
//                            no host (its quota still counted, as Nova counts it)
//   unshelve_instance        spawns an offloaded server from its shelved image on the host the
//                            conductor claimed, then deletes the image: ACTIVE
// Each starts from the instance as the database has it, so that a job run again after its agent
// died finds its work done (or half done) and goes on from there.
import { asService } from '../../common/clients/index.js';
import { withTransaction } from '../../common/db/index.js';
import type { Job, JobHandler } from '../../common/jobs/index.js';
import { getInstance, now, updateInstance, VmState, type Instance } from '../objects/instance.js';
import { finishEvent, startEvent } from '../objects/instance_action.js';
import { addFault } from '../objects/instance_fault.js';
import type { ActionPayload } from '../objects/instance_lifecycle.js';
import {
  deleteShelvedImage,
  forgetShelved,
  SHELVE_INSTANCE,
  SHELVE_OFFLOAD_INSTANCE,
  shelvedImageOf,
  SHELVING,
  UNSHELVE_INSTANCE,
  type ShelvePayload,
  type UnshelveInstancePayload,
} from '../objects/instance_shelve.js';
import { setSystemMetadata } from '../objects/instance_system_metadata.js';
import { releaseClaim } from '../scheduler/index.js';
import { PowerState, type VirtDriver } from '../virt/driver.js';
import { guestOf, messageOf, type ManagerEnv } from './env.js';

const SHELVE_EVENT = 'compute_shelve_instance';
const OFFLOAD_EVENT = 'compute_shelve_offload_instance';
const UNSHELVE_EVENT = 'compute_unshelve_instance';

async function live(env: ManagerEnv, uuid: string): Promise<Instance | null> {
  return getInstance(env.database.db, uuid, { projectId: null }).catch(() => null);
}

/** Powers the guest off unless it is off, or not there at all. */
async function powerOff(driver: VirtDriver, uuid: string): Promise<void> {
  const state = await driver.powerState(uuid);
  if (state !== PowerState.SHUTDOWN && state !== PowerState.NOSTATE) await driver.powerOff(uuid);
}

/** A step that failed: the task state cleared (the server keeps its vm_state, as Nova's
 * reverts_task_state leaves it), a fault, the event in error. */
async function failStep(
  env: ManagerEnv,
  i: Instance,
  step: { requestId: string; event: string; taskStates: string[] },
  error: string,
  values: Parameters<typeof updateInstance>[2] = {},
): Promise<void> {
  env.log.warn({ instance: i.uuid, err: error }, `${step.event} failed`);
  await withTransaction(env.database.db, async (trx) => {
    if (!(await updateInstance(trx, i.uuid, { ...values, task_state: null }, { taskState: step.taskStates }))) return;
    await addFault(trx, i.uuid, { code: 500, message: error.slice(0, 255), details: error, host: env.host });
    await finishEvent(trx, i.uuid, step.requestId, step.event, { message: error });
  });
}

/** The guest off and its disk in the shelve's image; SHELVED. Whether to offload now. */
async function shelveGuest(env: ManagerEnv, job: Job, i: Instance, p: ShelvePayload): Promise<boolean> {
  const db = env.database.db;
  const image = env.clients.image;
  await startEvent(db, i.uuid, p.action_request_id, SHELVE_EVENT, env.host);
  const wasRunning = (await env.driver.powerState(i.uuid)) === PowerState.RUNNING;
  const step = (to: string) => updateInstance(db, i.uuid, { task_state: to }, { taskState: SHELVING });
  try {
    await powerOff(env.driver, i.uuid);
    await step('shelving_image_pending_upload');
    const data = await env.driver.snapshot(i.uuid, job.signal);
    await step('shelving_image_uploading');
    await image.update(asService(), p.image_id, { disk_format: 'raw', container_format: 'bare' });
    await image.upload(asService(), p.image_id, data);
  } catch (e) {
    await deleteShelvedImage(image, asService(), p.image_id, env.log);
    // Unlike Nova, a guest that ran runs again: the server's ACTIVE stays true.
    if (wasRunning) await env.driver.powerOn(i.uuid).catch(() => undefined);
    const power = await env.driver.powerState(i.uuid);
    await failStep(
      env,
      i,
      { requestId: p.action_request_id, event: SHELVE_EVENT, taskStates: SHELVING },
      messageOf(e),
      { power_state: power },
    );
    return false;
  }
  const offload = env.config.shelvedOffloadTime === 0;
  const power = await env.driver.powerState(i.uuid);
  const shelved = await withTransaction(db, async (trx) => {
    const moved = await updateInstance(
      trx,
      i.uuid,
      { vm_state: VmState.SHELVED, task_state: offload ? 'shelving_offloading' : null, power_state: power },
      { taskState: SHELVING },
    );
    if (!moved) return false;
    await setSystemMetadata(trx, i.uuid, 'shelved_at', now());
    await setSystemMetadata(trx, i.uuid, 'shelved_image_id', p.image_id);
    await setSystemMetadata(trx, i.uuid, 'shelved_host', env.host);
    if (!offload) await finishEvent(trx, i.uuid, p.action_request_id, SHELVE_EVENT);
    return true;
  });
  // Deleted meanwhile: the image is nobody's.
  if (!shelved) await deleteShelvedImage(image, asService(), p.image_id, env.log);
  return shelved && offload;
}

/** The guest destroyed, its allocations deleted, the server on no host; `event` closed. A
 * failure is retried; the last attempt's leaves the server shelved on its host. */
async function offload(env: ManagerEnv, job: Job, i: Instance, requestId: string, event: string): Promise<void> {
  try {
    await powerOff(env.driver, i.uuid);
    await env.driver.destroy(i.uuid);
    // Before the state changes, as Nova frees them, so that whoever sees the server offloaded
    // finds its resources free.
    await releaseClaim(env.clients.placement, i.uuid);
  } catch (e) {
    if (job.attempt < job.maxAttempts) throw e;
    await failStep(env, i, { requestId, event, taskStates: ['shelving_offloading'] }, messageOf(e));
    return;
  }
  await withTransaction(env.database.db, async (trx) => {
    const moved = await updateInstance(
      trx,
      i.uuid,
      {
        vm_state: VmState.SHELVED_OFFLOADED,
        task_state: null,
        power_state: PowerState.SHUTDOWN,
        host: null,
        node: null,
        launched_on: null,
        // On no host, the server is in no zone (Nova's _nil_out_instance_obj_host_and_node).
        availability_zone: null,
      },
      { taskState: ['shelving_offloading'], vmState: [VmState.SHELVED] },
    );
    if (moved) await finishEvent(trx, i.uuid, requestId, event);
  });
  await env.reportResources();
}

async function shelve(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as ShelvePayload;
  const i = await live(env, p.uuid);
  const ours = i !== null && i.host === env.host;
  if (ours && SHELVING.includes(i.task_state ?? '')) {
    if (await shelveGuest(env, job, i, p)) await offload(env, job, i, p.action_request_id, SHELVE_EVENT);
    return;
  }
  const shelvedInto = i ? await shelvedImageOf(env.database.db, i.uuid) : null;
  // Shelved by an earlier run that died before its offload.
  if (ours && i.task_state === 'shelving_offloading' && shelvedInto === p.image_id) {
    await offload(env, job, i, p.action_request_id, SHELVE_EVENT);
    return;
  }
  // Deleted, or its state changed, before this run: an image the server does not keep is nobody's.
  if (shelvedInto !== p.image_id) await deleteShelvedImage(env.clients.image, asService(), p.image_id, env.log);
}

async function shelveOffload(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as ActionPayload;
  const i = await live(env, p.uuid);
  if (!i || i.host !== env.host || i.vm_state !== VmState.SHELVED || i.task_state !== 'shelving_offloading') return;
  await startEvent(env.database.db, i.uuid, p.action_request_id, OFFLOAD_EVENT, env.host);
  await offload(env, job, i, p.action_request_id, OFFLOAD_EVENT);
}

/** An offloaded server spawned from its shelved image on this host, whose allocations the
 * conductor claimed. A failed spawn frees them and leaves the server offloaded, as Nova does. */
async function unshelve(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as UnshelveInstancePayload;
  const db = env.database.db;
  const i = await live(env, p.uuid);
  if (!i || i.host !== env.host || i.vm_state !== VmState.SHELVED_OFFLOADED) return;
  const busy = ['unshelving', 'spawning'];
  if (!busy.includes(i.task_state ?? '')) return;
  const spawning = await withTransaction(db, async (trx) => {
    if (!(await updateInstance(trx, i.uuid, { task_state: 'spawning' }, { taskState: busy }))) return false;
    await startEvent(trx, i.uuid, p.action_request_id, UNSHELVE_EVENT, env.host);
    return true;
  });
  if (!spawning) return;
  try {
    await env.driver.spawn({ ...guestOf(i), imageRef: p.image_id }, job.signal);
  } catch (e) {
    await env.driver.destroy(i.uuid);
    await releaseClaim(env.clients.placement, i.uuid);
    await failStep(
      env,
      i,
      { requestId: p.action_request_id, event: UNSHELVE_EVENT, taskStates: ['spawning'] },
      messageOf(e),
      { host: null, node: null, availability_zone: null },
    );
    await env.reportResources();
    return;
  }
  // Before the server is ACTIVE: a run again after a crash here finds it to delete again (gone).
  await deleteShelvedImage(env.clients.image, asService(), p.image_id, env.log);
  await withTransaction(db, async (trx) => {
    const done = await updateInstance(
      trx,
      i.uuid,
      {
        vm_state: VmState.ACTIVE,
        task_state: null,
        power_state: PowerState.RUNNING,
        launched_at: now(),
        launched_on: env.host,
      },
      { taskState: ['spawning'] },
    );
    if (!done) return;
    await forgetShelved(trx, i.uuid);
    await finishEvent(trx, i.uuid, p.action_request_id, UNSHELVE_EVENT);
  });
  await env.reportResources();
}

/** A shelved server started on its host (the conductor's unshelve of a SHELVED server): its
 * shelved image deleted and its shelved keys forgotten, as Nova's start_instance does. */
export async function forgetShelvedImage(env: ManagerEnv, uuid: string): Promise<void> {
  const db = env.database.db;
  const imageId = await shelvedImageOf(db, uuid);
  if (imageId === null) return;
  await deleteShelvedImage(env.clients.image, asService(), imageId, env.log);
  await forgetShelved(db, uuid);
}

export function shelveHandlers(env: ManagerEnv): Record<string, JobHandler> {
  return {
    [SHELVE_INSTANCE]: (job) => shelve(env, job),
    [SHELVE_OFFLOAD_INSTANCE]: (job) => shelveOffload(env, job),
    [UNSHELVE_INSTANCE]: (job) => unshelve(env, job),
  };
}
