// The conductor's part of an unshelve (Nova's ComputeTaskManager.unshelve_instance): a server
// still shelved on its host is started there (the host's start_instance, which also drops its
// shelved image); an offloaded one is scheduled again — its shelved image looked up (event
// get_image_info: gone, the server goes to ERROR), its request spec's zone and the requested host
// (2.91) honoured, a host chosen and claimed (event schedule_instances) — and handed to that host's
// unshelve_instance. No valid host leaves it offloaded, the event in error with the scheduler's
// explanation, as Nova does.
import { asService, ClientError } from '../../common/clients/index.js';
import { withTransaction } from '../../common/db/index.js';
import { PermanentJobError, type Job, type JobHandler } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import { getInstance, updateInstance, VmState, type Instance } from '../objects/instance.js';
import { finishEvent, startEvent } from '../objects/instance_action.js';
import { addFault } from '../objects/instance_fault.js';
import { POWER_ACTIONS, type ActionPayload } from '../objects/instance_lifecycle.js';
import {
  shelvedImageOf,
  UNSHELVE_INSTANCE,
  UNSHELVE_SERVER,
  updateUnplaced,
  type UnshelveInstancePayload,
  type UnshelveServerPayload,
} from '../objects/instance_shelve.js';
import { getRequestSpec } from '../objects/request_spec.js';
import {
  explain,
  NoValidHost,
  placedAgain,
  releaseClaim,
  selectDestinations,
  type Selection,
} from '../scheduler/index.js';
import type { ConductorEnv } from './index.js';

const IMAGE_EVENT = 'get_image_info';
const SCHEDULE_EVENT = 'schedule_instances';

/** A server shelved on its host: started there. */
async function startOnHost(env: ConductorEnv, i: Instance, p: UnshelveServerPayload): Promise<void> {
  const job = POWER_ACTIONS.start.job;
  await withTransaction(env.db, async (trx) => {
    const moved = await updateInstance(
      trx,
      i.uuid,
      { task_state: POWER_ACTIONS.start.taskState },
      { taskState: ['unshelving'], vmState: [VmState.SHELVED] },
    );
    if (!moved) return;
    const payload: ActionPayload = { uuid: i.uuid, action_request_id: p.action_request_id };
    await env.jobs.enqueue<ComputeDB>(trx, {
      kind: job,
      target: i.host,
      payload,
      dedupeKey: `${job}:${p.action_request_id}:${i.uuid}`,
    });
  });
}

/** Whether the shelved image is still in Glance. */
async function imageExists(env: ConductorEnv, id: string | null): Promise<boolean> {
  if (id === null) return false;
  try {
    await env.clients.image.show(asService(), id);
    return true;
  } catch (e) {
    if (e instanceof ClientError && e.status === 404) return false;
    throw e;
  }
}

/** An offloaded server scheduled and handed to its new host. */
async function schedule(env: ConductorEnv, job: Job, i: Instance, p: UnshelveServerPayload): Promise<void> {
  const rid = p.action_request_id;
  const imageId = await shelvedImageOf(env.db, i.uuid);
  await startEvent(env.db, i.uuid, rid, IMAGE_EVENT, null);
  if (!(await imageExists(env, imageId))) {
    const message = `Unshelve attempted but the image ${imageId ?? ''} cannot be found.`;
    env.log.error({ instance: i.uuid }, message);
    await withTransaction(env.db, async (trx) => {
      if (!(await updateUnplaced(trx, i.uuid, { vm_state: VmState.ERROR, task_state: null }))) return;
      await addFault(trx, i.uuid, {
        code: 404,
        message,
        details: `Image ${imageId ?? ''} could not be found.`,
        host: null,
      });
      await finishEvent(trx, i.uuid, rid, IMAGE_EVENT, { message });
    });
    return;
  }
  await finishEvent(env.db, i.uuid, rid, IMAGE_EVENT);
  await startEvent(env.db, i.uuid, rid, SCHEDULE_EVENT, null);
  const spec = await getRequestSpec(env.db, i.uuid);
  if (!spec) throw new PermanentJobError(`server ${i.uuid} has no request spec to schedule it with`);
  const placement = env.clients.placement;
  // An offloaded server holds no allocation: whatever it holds is a claim of a run that died.
  if (job.attempt > 1) await releaseClaim(placement, i.uuid);
  // The create's forced destination is not the unshelve's (Nova's reset_forced_destinations);
  // a requested host still goes through the filters.
  const placed = placedAgain(i, spec, { ignoreHosts: [], forceHost: p.host ?? null });
  let sel: Selection;
  try {
    sel = (await selectDestinations({ ...env, placement }, [placed])).get(i.uuid)!;
  } catch (e) {
    if (!(e instanceof NoValidHost)) throw e;
    const details = explain(e.explanation);
    env.log.info({ instance: i.uuid }, details);
    await withTransaction(env.db, async (trx) => {
      if (!(await updateUnplaced(trx, i.uuid, { task_state: null }))) return;
      await finishEvent(trx, i.uuid, rid, SCHEDULE_EVENT, { message: e.message, details });
    });
    return;
  }
  const handed = await withTransaction(env.db, async (trx) => {
    const moved = await updateUnplaced(trx, i.uuid, {
      host: sel.host,
      node: sel.node,
      availability_zone: sel.availabilityZone,
    });
    if (!moved) return false;
    const payload: UnshelveInstancePayload = { uuid: i.uuid, action_request_id: rid, image_id: imageId! };
    await env.jobs.enqueue<ComputeDB>(trx, {
      kind: UNSHELVE_INSTANCE,
      target: sel.host,
      payload,
      dedupeKey: `${UNSHELVE_INSTANCE}:${rid}:${i.uuid}`,
    });
    await finishEvent(trx, i.uuid, rid, SCHEDULE_EVENT);
    return true;
  });
  if (handed) return;
  // Deleted meanwhile: the claim is nobody's. Placed by another run of this job (this one stalled
  // past its lease): the claim is that run's.
  const now = await getInstance(env.db, i.uuid, { projectId: null }).catch(() => null);
  if (now?.host == null) await releaseClaim(placement, i.uuid);
}

async function unshelve(env: ConductorEnv, job: Job): Promise<void> {
  const p = job.payload as UnshelveServerPayload;
  const i = await getInstance(env.db, p.uuid, { projectId: null }).catch(() => null);
  if (!i || i.task_state !== 'unshelving') return;
  if (i.vm_state === VmState.SHELVED) return startOnHost(env, i, p);
  // Handed to a host by an earlier run already.
  if (i.vm_state !== VmState.SHELVED_OFFLOADED || i.host !== null) return;
  await schedule(env, job, i, p);
}

/** The job's last attempt failed (Placement or Glance unreachable, say): the server is left as it
 * was, its task state cleared and its open events in error, rather than unshelving forever. */
async function gaveUp(env: ConductorEnv, p: UnshelveServerPayload, e: unknown): Promise<void> {
  const message = `Unshelve failed: ${(e instanceof Error ? e.message : String(e)).split('\n', 1)[0]!}`;
  await withTransaction(env.db, async (trx) => {
    const cleared =
      (await updateUnplaced(trx, p.uuid, { task_state: null })) ||
      (await updateInstance(
        trx,
        p.uuid,
        { task_state: null },
        { taskState: ['unshelving'], vmState: [VmState.SHELVED] },
      ));
    if (!cleared) return;
    for (const event of [IMAGE_EVENT, SCHEDULE_EVENT]) {
      await finishEvent(trx, p.uuid, p.action_request_id, event, { message });
    }
  });
}

async function unshelveServer(env: ConductorEnv, job: Job): Promise<void> {
  try {
    await unshelve(env, job);
  } catch (e) {
    if (e instanceof PermanentJobError || job.attempt >= job.maxAttempts) {
      await gaveUp(env, job.payload as UnshelveServerPayload, e);
    }
    throw e;
  }
}

export function unshelveHandlers(env: ConductorEnv): Record<string, JobHandler> {
  return { [UNSHELVE_SERVER]: (job) => unshelveServer(env, job) };
}
