// The conductor's part of an evacuation (Nova's ComputeTaskManager.rebuild_instance with
// recreate): the destination is either scheduled — any host but the source, or only the requested
// one with the filters applied (2.29's unforced host) — or a forced host taken as it is, the
// source's allocations copied there without a check (Nova's _allocate_for_evacuate_dest_host).
// Either way the claim is added to what the instance holds on its source, which stays its own
// until the source's host is back. Then the migration is pre-migrating and the destination gets
// its evacuate_instance job. No valid host: the migration in error, the server in ERROR (a forced
// host's refusal leaves its vm_state as it was), with a fault that says why; nothing claimed.
//
// A run again (its conductor died) first takes out of the instance's allocations whatever is not
// the source's: a claim the dead run made before it could hand the server over.
import { asService, ClientError } from '../../common/clients/index.js';
import { withTransaction } from '../../common/db/index.js';
import type { Job, JobHandler } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import { ComputeHostNotFound, Invalid, NoValidHostForMove } from '../exceptions.js';
import { computeNodesOfHosts } from '../objects/compute_node.js';
import { updateInstance, VmState, type Instance } from '../objects/instance.js';
import { finishEvent, startEvent } from '../objects/instance_action.js';
import {
  awaitsConductor,
  CONDUCTOR_EVENT,
  EVACUATE_INSTANCE,
  EVACUATE_SERVER,
  type EvacuateInstancePayload,
  type EvacuateServerPayload,
} from '../objects/instance_evacuate.js';
import { addFault } from '../objects/instance_fault.js';
import { getMigration, moveOf, updateMigration, type Migration } from '../objects/migration.js';
import { getRequestSpec } from '../objects/request_spec.js';
import { addAllocations, providerTree, removeAllocations } from '../placement_allocations.js';
import { hostStateOfNode } from '../scheduler/host_state.js';
import { explain, NoValidHost, placedAgain, releaseClaim, selectDestinations } from '../scheduler/index.js';
import type { ConductorEnv } from './index.js';

/** Where the server goes, and the providers its claim there is on. */
interface Target {
  host: string;
  node: string;
  availabilityZone: string;
  claimed: string[];
}

/** The instance's allocations back to its source's alone (an earlier run's claim taken out). */
async function dropEarlierClaim(env: ConductorEnv, i: Instance): Promise<void> {
  const source = (await computeNodesOfHosts(env.db, [i.host!])).find((n) => n.hypervisor_hostname === i.node);
  // A source node gone from the database: what the instance holds there cannot be told apart.
  if (!source) return;
  const tree = await providerTree(env.clients.placement, source.uuid);
  await removeAllocations(env.clients.placement, i.uuid, (rp) => !tree.has(rp));
}

/** A forced host: the source's allocations copied to its first node (Nova's
 * claim_resources_on_destination), with none of the scheduler's checks. */
async function forcedTarget(env: ConductorEnv, i: Instance, host: string): Promise<Target> {
  const placement = env.clients.placement;
  const [dest] = await computeNodesOfHosts(env.db, [host]);
  if (!dest) throw new ComputeHostNotFound(host);
  const held = (await placement.allocations.get(asService(), i.uuid)).allocations;
  const providers = Object.keys(held);
  if (!providers.length) {
    throw new Invalid(
      `Failed to retrieve allocations for consumer ${i.uuid}: Expected to find allocations for source node ` +
        'resource provider. Retry the operation without forcing a destination host.',
    );
  }
  if (providers.length > 1) {
    throw new NoValidHostForMove(
      `Unable to move instance ${i.uuid} to host ${host}. The instance has complex allocations on the source host so move cannot be forced.`,
    );
  }
  try {
    await addAllocations(
      placement,
      { uuid: i.uuid, projectId: i.project_id, userId: i.user_id },
      {
        [dest.uuid]: { resources: held[providers[0]!]!.resources },
      },
    );
  } catch (e) {
    if (!(e instanceof ClientError && e.status === 409)) throw e;
    throw new NoValidHostForMove(
      `Unable to move instance ${i.uuid} to host ${host}. There is not enough capacity on the host for the instance.`,
    );
  }
  const [state] = await hostStateOfNode(env.db, env.engine, env.config, dest.uuid);
  return {
    host,
    node: dest.hypervisor_hostname,
    availabilityZone: state?.availabilityZone ?? env.config.defaultAvailabilityZone,
    claimed: [dest.uuid],
  };
}

/** The scheduler's destination: any host but the source (only `requested` when named), the claim
 * added to the source's. */
async function scheduledTarget(env: ConductorEnv, i: Instance, requested: string | null): Promise<Target> {
  const spec = await getRequestSpec(env.db, i.uuid);
  if (!spec) throw new Invalid(`No request spec for instance ${i.uuid}.`);
  const placed = { ...placedAgain(i, spec, { ignoreHosts: [i.host!], forceHost: requested }), keepsAllocations: true };
  const sel = (await selectDestinations({ ...env, placement: env.clients.placement }, [placed])).get(i.uuid)!;
  return {
    host: sel.host,
    node: sel.node,
    availabilityZone: sel.availabilityZone,
    claimed: Object.keys(sel.allocation),
  };
}

/** Ends an evacuation the conductor could not hand over, in one transaction: the migration in
 * error, the task state cleared (the vm_state ERROR unless `keepState`), a fault, the event. */
async function refuse(
  env: ConductorEnv,
  i: Instance,
  m: Migration,
  p: EvacuateServerPayload,
  error: { message: string; details: string },
  keepState: boolean,
): Promise<void> {
  env.log.info({ instance: i.uuid, err: error.message }, 'evacuation refused');
  await withTransaction(env.db, async (trx) => {
    if (!(await updateMigration(trx, m.uuid, { status: 'error' }, ['accepted', 'completed']))) return;
    const values = { task_state: null, ...(keepState ? {} : { vm_state: VmState.ERROR }) };
    if (!(await updateInstance(trx, i.uuid, values, { taskState: ['rebuilding'] }))) return;
    await addFault(trx, i.uuid, { code: 500, message: error.message, details: error.details, host: null });
    await finishEvent(trx, i.uuid, p.action_request_id, CONDUCTOR_EVENT, error);
  });
}

/** An evacuation whose server's task state was reset meanwhile (os-resetState) is over: in error,
 * so that its source's agent, when it starts, does not take it for one under way. */
async function abandon(env: ConductorEnv, m: Migration): Promise<void> {
  await updateMigration(env.db, m.uuid, { status: 'error' }, ['accepted', 'completed']);
}

async function evacuateServer(env: ConductorEnv, job: Job): Promise<void> {
  const p = job.payload as EvacuateServerPayload;
  const move = await moveOf(env.db, p.uuid, p.migration_uuid);
  if (!move) return;
  const { i, m } = move;
  if (!awaitsConductor(m) || i.host !== m.source_compute) return;
  if (i.task_state !== 'rebuilding') {
    await abandon(env, m);
    return;
  }
  await startEvent(env.db, i.uuid, p.action_request_id, CONDUCTOR_EVENT, null);
  let target: Target;
  try {
    await dropEarlierClaim(env, i);
    target = p.force && p.host !== null ? await forcedTarget(env, i, p.host) : await scheduledTarget(env, i, p.host);
  } catch (e) {
    const refused = e instanceof NoValidHost || e instanceof Invalid;
    if (!refused && job.attempt < job.maxAttempts) throw e;
    const message = (e instanceof Error ? e.message : String(e)).split('\n', 1)[0]!;
    const details = e instanceof NoValidHost ? explain(e.explanation) : message;
    // A failure of its own may come after the claim was written.
    if (!refused) {
      await dropEarlierClaim(env, i).catch((err: unknown) =>
        env.log.error({ instance: i.uuid, err }, 'evacuation: the claim on the destination could not be taken back'),
      );
    }
    // Nova's forced host that cannot take the server leaves it as it was; the scheduler's refusal,
    // or a failure of its own, puts it in ERROR.
    await refuse(env, i, m, p, { message, details }, e instanceof Invalid);
    return;
  }
  const handed = await withTransaction(env.db, async (trx) => {
    if (!(await updateInstance(trx, i.uuid, {}, { taskState: ['rebuilding'] }))) return false;
    const values = { status: 'pre-migrating', dest_compute: target.host, dest_node: target.node };
    if (!(await updateMigration(trx, m.uuid, values, ['accepted', 'completed']))) return false;
    const payload: EvacuateInstancePayload = {
      uuid: i.uuid,
      migration_uuid: m.uuid,
      action_request_id: p.action_request_id,
      on_shared_storage: p.on_shared_storage,
      availability_zone: target.availabilityZone,
    };
    await env.jobs.enqueue<ComputeDB>(trx, {
      kind: EVACUATE_INSTANCE,
      target: target.host,
      payload,
      dedupeKey: `${EVACUATE_INSTANCE}:${m.uuid}`,
    });
    await finishEvent(trx, i.uuid, p.action_request_id, CONDUCTOR_EVENT);
    return true;
  });
  if (handed) return;
  // Deleted meanwhile: whatever the consumer holds now is nobody's. Handed over by another run of
  // this job (this one stalled past its lease) elsewhere: the claim made here is this run's alone.
  const live = await env.db
    .selectFrom('instances')
    .select('id')
    .where('uuid', '=', i.uuid)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!live) {
    await releaseClaim(env.clients.placement, i.uuid);
    return;
  }
  const now = await getMigration(env.db, m.uuid);
  if (now?.dest_node !== target.node) {
    await removeAllocations(env.clients.placement, i.uuid, (rp) => target.claimed.includes(rp));
  }
  if (now && awaitsConductor(now)) await abandon(env, now);
}

export function evacuateHandlers(env: ConductorEnv): Record<string, JobHandler> {
  return { [EVACUATE_SERVER]: (job) => evacuateServer(env, job) };
}
