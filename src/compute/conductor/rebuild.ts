// The conductor's part of a rebuild with another image (Nova's ComputeTaskManager.rebuild_instance
// on the same host): the scheduler checks the server's own host against the new image (the
// request spec's image replaced, the host and node the requested destination, the filters that
// run on a rebuild); the host then gets its rebuild_instance job. No valid host: the server gets
// its old image back and goes to ERROR with a fault that says why, as Zed's conductor leaves it.
import { withTransaction } from '../../common/db/index.js';
import type { Job, JobHandler } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import { getInstance, updateInstance, VmState, type Instance } from '../objects/instance.js';
import { finishEvent, startEvent } from '../objects/instance_action.js';
import { addFault } from '../objects/instance_fault.js';
import {
  REBUILD_INSTANCE,
  REBUILD_SERVER,
  type ActionPayload,
  type RebuildServerPayload,
} from '../objects/instance_lifecycle.js';
import { getRequestSpec, saveRequestSpec } from '../objects/request_spec.js';
import { checkRebuildHost, explain, NoValidHost } from '../scheduler/index.js';
import type { ConductorEnv } from './index.js';

const EVENT = 'rebuild_server';

async function rebuildServer(env: ConductorEnv, job: Job): Promise<void> {
  const p = job.payload as RebuildServerPayload;
  let i: Instance;
  try {
    i = await getInstance(env.db, p.uuid, { projectId: null });
  } catch {
    return;
  }
  if (i.task_state !== 'rebuilding' || i.host === null || i.node === null) return;
  await startEvent(env.db, i.uuid, p.action_request_id, EVENT, null);
  const stored = await getRequestSpec(env.db, i.uuid);
  const spec = stored ? { ...stored, image: p.image } : null;
  if (spec) {
    try {
      const placed = { uuid: i.uuid, projectId: i.project_id, userId: i.user_id, spec };
      await checkRebuildHost({ ...env, placement: env.clients.placement }, placed, i.host, i.node);
    } catch (e) {
      if (!(e instanceof NoValidHost)) throw e;
      const details = explain(e.explanation);
      env.log.info({ instance: i.uuid }, details);
      await withTransaction(env.db, async (trx) => {
        const failed = await updateInstance(
          trx,
          i.uuid,
          { image_ref: p.orig_image_ref, vm_state: VmState.ERROR, task_state: null },
          { taskState: ['rebuilding'] },
        );
        if (!failed) return;
        await addFault(trx, i.uuid, { code: 500, message: e.message, details, host: null });
        await finishEvent(trx, i.uuid, p.action_request_id, EVENT, { message: e.message, details });
      });
      return;
    }
  }
  await withTransaction(env.db, async (trx) => {
    if (!(await updateInstance(trx, i.uuid, { task_state: 'rebuilding' }, { taskState: ['rebuilding'] }))) return;
    if (spec) await saveRequestSpec(trx, spec);
    const payload: ActionPayload = { uuid: i.uuid, action_request_id: p.action_request_id };
    await env.jobs.enqueue<ComputeDB>(trx, {
      kind: REBUILD_INSTANCE,
      target: i.host,
      payload,
      dedupeKey: `${REBUILD_INSTANCE}:${p.action_request_id}:${i.uuid}`,
    });
    await finishEvent(trx, i.uuid, p.action_request_id, EVENT);
  });
}

export function rebuildHandlers(env: ConductorEnv): Record<string, JobHandler> {
  return { [REBUILD_SERVER]: (job) => rebuildServer(env, job) };
}
