// The compute manager's part of an evacuation (Nova's ComputeManager.rebuild_instance with
// evacuate, and _destroy_evacuated_instances):
//   evacuate_instance (destination)  the guest built here from the server's image on the node the
//                                    conductor chose, and stopped again if the server was stopped
//                                    (Nova keeps a stopped server stopped); the instance's host,
//                                    node and zone become this host's; the migration done. A
//                                    failure: the migration failed, the server in ERROR with a
//                                    fault, the guest made here destroyed and the claim on this
//                                    host taken out of the instance's allocations.
//   destroyEvacuatedInstances        the source, when its agent starts again: for each evacuation
//                                    from it not cleaned up yet, the guest still here destroyed
//                                    and the source's allocations taken out of the instance's;
//                                    completed.
// A job run again after its agent died starts from the migration's status: one it finds failed
// has its cleanup done again, each step of which can be repeated.
import { withTransaction } from '../../common/db/index.js';
import type { Job, JobHandler } from '../../common/jobs/index.js';
import { InvalidSharedStorage } from '../exceptions.js';
import { computeNodesOfHosts } from '../objects/compute_node.js';
import { getInstance, now, updateInstance, VmState, type Db, type Instance } from '../objects/instance.js';
import { finishEvent, startEvent } from '../objects/instance_action.js';
import {
  AT_DESTINATION,
  EVACUATE_INSTANCE,
  EVACUATED_FROM_SOURCE,
  evacuationsFrom,
  type EvacuateInstancePayload,
} from '../objects/instance_evacuate.js';
import { addFault } from '../objects/instance_fault.js';
import { getMigration, latestMigrationUuid, updateMigration, type Migration } from '../objects/migration.js';
import { providerTree, removeAllocations } from '../placement_allocations.js';
import { PowerState } from '../virt/driver.js';
import { guestOf, messageOf, type ManagerEnv } from './env.js';

const EVENT = 'compute_rebuild_instance';

async function liveInstance(db: Db, uuid: string): Promise<Instance | null> {
  try {
    return await getInstance(db, uuid, { projectId: null });
  } catch {
    return null;
  }
}

/** Takes the providers of `node` of this host out of the instance's allocations; false when this
 * host has no such node (any more). */
async function dropNodeAllocations(env: ManagerEnv, uuid: string, node: string | null): Promise<boolean> {
  const cn = (await computeNodesOfHosts(env.database.db, [env.host])).find((n) => n.hypervisor_hostname === node);
  if (!cn) {
    env.log.error({ instance: uuid, node }, 'evacuation: no such node here, its allocations are left');
    return false;
  }
  const tree = await providerTree(env.clients.placement, cn.uuid);
  await removeAllocations(env.clients.placement, uuid, (rp) => tree.has(rp));
  return true;
}

/** What a failed evacuation to this host left here: the guest (unless the server runs here by
 * now) and its claim (unless a later move of the server made this host's claim its own). */
async function cleanUpDestination(env: ManagerEnv, i: Instance, m: Migration): Promise<void> {
  if (i.host !== env.host) await env.driver.destroy(i.uuid);
  if ((await latestMigrationUuid(env.database.db, i.uuid)) === m.uuid)
    await dropNodeAllocations(env, i.uuid, m.dest_node);
  await env.reportResources();
}

/** Handed here and not ended: pre-migrating, or completed by a source that came back meanwhile
 * (an evacuation done and cleaned up is completed too, its server no longer rebuilding). */
const underWay = (m: Migration, i: Instance) =>
  m.status === 'pre-migrating' || (m.status === 'completed' && i.task_state === 'rebuilding');

async function evacuateInstance(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as EvacuateInstancePayload;
  const db = env.database.db;
  const m = await getMigration(db, p.migration_uuid);
  if (!m || m.dest_compute !== env.host) return;
  const i = await liveInstance(db, p.uuid);
  // Deleted meanwhile (its delete freed what it held): only a guest an earlier run made is left.
  if (!i) {
    await env.driver.destroy(p.uuid);
    await updateMigration(db, m.uuid, { status: 'failed' }, AT_DESTINATION);
    return;
  }
  if (m.status === 'failed') {
    await cleanUpDestination(env, i, m);
    return;
  }
  // Rebuilt here already (a run that died after it), or over.
  if (i.host === env.host || !underWay(m, i)) return;
  if (i.task_state !== 'rebuilding') {
    // Reset meanwhile (os-resetState): what it left here goes.
    await updateMigration(db, m.uuid, { status: 'failed' }, AT_DESTINATION);
    await cleanUpDestination(env, i, m);
    return;
  }
  await startEvent(db, i.uuid, p.action_request_id, EVENT, env.host);
  const wasStopped = i.vm_state === VmState.STOPPED;
  try {
    // Concord's drivers keep a guest's disk on its host: no disk of the server is left to reuse.
    if (p.on_shared_storage === true) throw new InvalidSharedStorage();
    await env.driver.spawn({ ...guestOf(i), node: m.dest_node! }, job.signal);
    if (wasStopped) await env.driver.powerOff(i.uuid);
  } catch (e) {
    // The job taken from this worker: its next run starts again.
    if (job.signal.aborted) throw e;
    const message = messageOf(e);
    env.log.warn({ instance: i.uuid, err: message }, 'evacuation failed');
    await withTransaction(db, async (trx) => {
      if (!(await updateMigration(trx, m.uuid, { status: 'failed' }, AT_DESTINATION))) return;
      const failed = { vm_state: VmState.ERROR, task_state: null };
      if (!(await updateInstance(trx, i.uuid, failed, { taskState: ['rebuilding'] }))) return;
      const details = `Evacuation to ${env.host} failed: ${message}`;
      await addFault(trx, i.uuid, { code: 500, message, details, host: env.host });
      await finishEvent(trx, i.uuid, p.action_request_id, EVENT, { message });
    });
    await cleanUpDestination(env, i, m);
    return;
  }
  const moved = await withTransaction(db, async (trx) => {
    const values = {
      host: env.host,
      node: m.dest_node,
      availability_zone: p.availability_zone,
      vm_state: wasStopped ? VmState.STOPPED : VmState.ACTIVE,
      power_state: wasStopped ? PowerState.SHUTDOWN : PowerState.RUNNING,
      task_state: null,
      progress: 0,
      launched_at: now(),
    };
    if (!(await updateInstance(trx, i.uuid, values, { taskState: ['rebuilding'] }))) return false;
    // A source that came back meanwhile has cleaned up already: its migration stays completed.
    await updateMigration(trx, m.uuid, { status: 'done' }, ['pre-migrating']);
    await finishEvent(trx, i.uuid, p.action_request_id, EVENT);
    return true;
  });
  if (moved) {
    await env.reportResources();
    return;
  }
  // Deleted or reset meanwhile: the guest made here goes, and the claim with it.
  env.log.warn({ instance: i.uuid }, 'evacuation ended before the server moved here');
  await updateMigration(db, m.uuid, { status: 'failed' }, AT_DESTINATION);
  await cleanUpDestination(env, i, m);
}

/** Cleans up what an evacuation from this host left here. */
async function cleanUpSource(env: ManagerEnv, m: Migration): Promise<void> {
  const uuid = m.instance_uuid;
  if ((await env.driver.guests()).includes(uuid)) {
    env.log.info({ instance: uuid }, 'destroying the guest of a server evacuated from this host');
    await env.driver.destroy(uuid);
  }
  // A server deleted meanwhile had its allocations freed by its delete. A node gone leaves the
  // migration as it is, as Nova does: the next start tries again.
  if ((await liveInstance(env.database.db, uuid)) && !(await dropNodeAllocations(env, uuid, m.source_node))) return;
  await updateMigration(env.database.db, m.uuid, { status: 'completed' }, EVACUATED_FROM_SOURCE);
}

/** Every evacuation from the hosts of `envs` their agent, starting, finds not cleaned up. */
export async function destroyEvacuatedInstances(db: Db, envs: Map<string, ManagerEnv>): Promise<void> {
  for (const m of await evacuationsFrom(db, [...envs.keys()])) await cleanUpSource(envs.get(m.source_compute!)!, m);
}

export function evacuateHandlers(env: ManagerEnv): Record<string, JobHandler> {
  return { [EVACUATE_INSTANCE]: (job) => evacuateInstance(env, job) };
}
