// The compute manager's rescue and unrescue (Nova's ComputeManager.rescue_instance and
// unrescue_instance). A rescue finds its image — the one asked for, else the server's base image,
// else its own — powers the guest off and has the driver boot it from that image with the password
// of the job's secret: vm_state RESCUED. An image the host cannot find leaves the server as it was
// (the task state cleared, a fault, the event's error); a driver that fails puts it in ERROR, as
// Nova does for both. Unrescue boots the guest from its own disk again: ACTIVE, or ERROR when the
// driver fails. Each handler starts from the task state the API set, so a run after a crash picks
// up a rescue that did not finish and leaves alone one that did.
import { asService, ClientError } from '../../common/clients/index.js';
import { withTransaction } from '../../common/db/index.js';
import type { Job, JobHandler } from '../../common/jobs/index.js';
import { getInstance, now, updateInstance, VmState, type Instance } from '../objects/instance.js';
import { finishEvent, startEvent } from '../objects/instance_action.js';
import { addFault, type Fault } from '../objects/instance_fault.js';
import type { ActionPayload, ActionSecret } from '../objects/instance_lifecycle.js';
import { RESCUE_INSTANCE, UNRESCUE_INSTANCE, type RescuePayload } from '../objects/instance_rescue.js';
import { systemMetadata } from '../objects/instance_system_metadata.js';
import type { RescueImage } from '../virt/driver.js';
import { guestOf, messageOf, type ManagerEnv } from './env.js';

/** The instance if it is this host's and in `taskState` (the API's, for this job); else null. */
async function instanceIn(env: ManagerEnv, uuid: string, taskState: string): Promise<Instance | null> {
  const i = await getInstance(env.database.db, uuid, { projectId: null }).catch(() => null);
  return i && i.host === env.host && i.task_state === taskState ? i : null;
}

/** Nova's _get_rescue_image: the image asked for, else the image the server's image was made from
 * (a snapshot's base image), else the server's own. */
async function rescueImage(env: ManagerEnv, i: Instance, asked: string | null): Promise<RescueImage> {
  const ref = asked ?? (await systemMetadata(env.database.db, i.uuid, 'image_base_image_ref')) ?? i.image_ref;
  if (!ref) throw new Error(`Instance ${i.uuid} has no image to be rescued from.`);
  const image = await env.clients.image.show(asService(), ref);
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  return { id: image.id, device: text(image.hw_rescue_device), bus: text(image.hw_rescue_bus) };
}

/** Ends the job's event, the server's task with `values`, and records `fault` when it failed. */
async function finish(
  env: ManagerEnv,
  i: Instance,
  p: ActionPayload,
  event: string,
  values: Parameters<typeof updateInstance>[2],
  failure?: { error: string; fault: Omit<Fault, 'created_at' | 'host'> },
): Promise<void> {
  await withTransaction(env.database.db, async (trx) => {
    if (!(await updateInstance(trx, i.uuid, { ...values, task_state: null }, { taskState: [i.task_state] }))) return;
    if (failure) await addFault(trx, i.uuid, { ...failure.fault, host: env.host });
    await finishEvent(trx, i.uuid, p.action_request_id, event, failure ? { message: failure.error } : undefined);
  });
}

async function rescue(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as RescuePayload;
  const i = await instanceIn(env, p.uuid, 'rescuing');
  if (!i) return;
  const event = 'compute_rescue_instance';
  await startEvent(env.database.db, i.uuid, p.action_request_id, event, env.host);
  let image: RescueImage;
  try {
    image = await rescueImage(env, i, p.rescue_image_ref);
  } catch (e) {
    const error = messageOf(e);
    const code = e instanceof ClientError ? e.status : 500;
    return finish(env, i, p, event, {}, { error, fault: { code, message: error, details: null } });
  }
  try {
    const password = (job.secret as ActionSecret | null)?.admin_password;
    // A job's secret lives as long as the job can run: without it, the rescue cannot go on.
    if (!password) throw new Error('the rescue password is gone');
    await env.driver.powerOff(i.uuid);
    await env.driver.rescue(guestOf(i), image, password);
  } catch (e) {
    const error = messageOf(e);
    env.log.warn({ instance: i.uuid, err: error }, 'rescue failed');
    const message = `Instance ${i.uuid} cannot be rescued: Driver Error: ${error}`;
    return finish(
      env,
      i,
      p,
      event,
      { vm_state: VmState.ERROR },
      { error, fault: { code: 400, message, details: null } },
    );
  }
  await finish(env, i, p, event, {
    vm_state: VmState.RESCUED,
    power_state: await env.driver.powerState(i.uuid),
    launched_at: now(),
  });
}

async function unrescue(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as ActionPayload;
  const i = await instanceIn(env, p.uuid, 'unrescuing');
  if (!i) return;
  const event = 'compute_unrescue_instance';
  await startEvent(env.database.db, i.uuid, p.action_request_id, event, env.host);
  try {
    await env.driver.unrescue(i.uuid);
  } catch (e) {
    const error = messageOf(e);
    env.log.warn({ instance: i.uuid, err: error }, 'unrescue failed');
    const fault = { code: 500, message: error, details: `Unrescue on ${env.host} failed: ${error}` };
    return finish(env, i, p, event, { vm_state: VmState.ERROR }, { error, fault });
  }
  await finish(env, i, p, event, { vm_state: VmState.ACTIVE, power_state: await env.driver.powerState(i.uuid) });
}

export function rescueHandlers(env: ManagerEnv): Record<string, JobHandler> {
  return {
    [RESCUE_INSTANCE]: (job) => rescue(env, job),
    [UNRESCUE_INSTANCE]: (job) => unrescue(env, job),
  };
}
