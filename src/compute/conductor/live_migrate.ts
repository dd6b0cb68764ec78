// The conductor's part of a live migration (Nova's ComputeTaskManager._live_migrate and
// LiveMigrationTask): the guest must be running or paused and its host up; the instance's
// allocations on the source move to the migration as consumer; then either the scheduler chooses
// and claims a destination (any host but the source, or only the requested one, its filters
// applied: Nova from 2.30 unless forced), or a forced host is checked as Nova checks it (not the
// source, up, enough memory) and the source's allocations are claimed there for the instance. The
// destination must run the source's hypervisor type at a version no older; one that does not is
// set aside (its claim released) and the scheduler asked again. Then the migration is queued and
// the destination gets its pre_live_migration job. A refused pre-check ends the migration in error
// with the server as it was (rollbackLiveMigration), its reason on the event (the API's 400
// before 2.34).
import type { Kysely } from 'kysely';
import { asService, ClientError, type PlacementClient } from '../../common/clients/index.js';
import { withTransaction } from '../../common/db/index.js';
import type { Job, JobHandler, JobQueue } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import {
  ComputeServiceUnavailable,
  DestinationHypervisorTooOld,
  Invalid,
  InvalidHypervisorType,
  MigrationPreCheckError,
  NoValidHostForMove,
  UnableToMigrateToSelf,
} from '../exceptions.js';
import { computeNodesOfHosts, type ComputeNode } from '../objects/compute_node.js';
import { updateInstance, VmState, type Instance } from '../objects/instance.js';
import { finishEvent, startEvent } from '../objects/instance_action.js';
import { addFault } from '../objects/instance_fault.js';
import {
  checkRunning,
  LIVE_MIGRATE_INSTANCE,
  PRE_LIVE_MIGRATION,
  ROLLBACK_LIVE_MIGRATION_AT_DESTINATION,
  type LiveMigrateInstancePayload,
  type LiveMigrationPayload,
  type LiveMigrationStepPayload,
} from '../objects/live_migration.js';
import {
  getMigration,
  latestMigrationUuid,
  moveAllocations,
  moveOf,
  updateMigration,
  type Migration,
} from '../objects/migration.js';
import { getRequestSpec } from '../objects/request_spec.js';
import { hostStateOfNode, type HostState } from '../scheduler/host_state.js';
import { explain, NoValidHost, placedAgain, releaseClaim, selectDestinations } from '../scheduler/index.js';
import type { ConductorEnv } from './index.js';

/** How a live migration that did not complete ends. */
export interface LiveMigrationEnd {
  status: 'error' | 'failed' | 'cancelled';
  /** The statuses it may end the migration from (a run again finds it in `status` and goes on). */
  from: string[];
  /** The event the ending step closes, of the action of `requestId`. */
  requestId: string;
  event: string;
  host: string | null;
  /** Why, for the event and the fault. */
  error?: { message: string; details: string };
  /** Nova's unexpected failures leave the server in ERROR. */
  vmState?: typeof VmState.ERROR;
}

/** Ends a live migration that did not complete and puts the server back as it was on the source:
 * first the migration's status (the steps still to come see it and stop; the destination gets
 * its rollback_live_migration_at_destination job once it may have been prepared), then the
 * source's allocations back to the instance in place of the destination's, then the task state
 * cleared, the event closed. Each part can be run again (a step that died mid-rollback); false
 * when the migration had ended otherwise meanwhile. */
export async function rollbackLiveMigration(
  env: { db: Kysely<ComputeDB>; jobs: JobQueue; placement: PlacementClient },
  i: Instance,
  m: Migration,
  end: LiveMigrationEnd,
): Promise<boolean> {
  const ended = await withTransaction(env.db, async (trx) => {
    if (!(await updateMigration(trx, m.uuid, { status: end.status }, [...end.from, end.status]))) return false;
    const now = await getMigration(trx, m.uuid);
    if (now?.dest_node) {
      const payload: LiveMigrationPayload = {
        uuid: i.uuid,
        migration_uuid: m.uuid,
        action_request_id: end.requestId,
      };
      await env.jobs.enqueue<ComputeDB>(trx, {
        kind: ROLLBACK_LIVE_MIGRATION_AT_DESTINATION,
        target: now.dest_compute,
        payload,
        dedupeKey: `${ROLLBACK_LIVE_MIGRATION_AT_DESTINATION}:${m.uuid}`,
      });
    }
    return true;
  });
  if (!ended) return false;
  await moveAllocations(env.placement, { uuid: m.uuid, type: 'MIGRATION' }, { uuid: i.uuid, type: 'INSTANCE' });
  const restored = await withTransaction(env.db, async (trx) => {
    // A run again of a rollback long done must leave a later migration of the server alone.
    if ((await latestMigrationUuid(trx, i.uuid)) !== m.uuid) return false;
    const done = await updateInstance(
      trx,
      i.uuid,
      { task_state: null, progress: 0, ...(end.vmState ? { vm_state: end.vmState } : {}) },
      { taskState: ['migrating'] },
    );
    if (!done) return false;
    if (end.error) {
      await addFault(trx, i.uuid, {
        code: 500,
        message: end.error.message,
        details: end.error.details,
        host: end.host,
      });
    }
    await finishEvent(trx, i.uuid, end.requestId, end.event, end.error);
    return true;
  });
  // Deleted meanwhile, after its host freed what the instance held: what came back is nobody's.
  if (!restored) {
    const live = await env.db
      .selectFrom('instances')
      .select('id')
      .where('uuid', '=', i.uuid)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (!live) await releaseClaim(env.placement, i.uuid);
  }
  return true;
}

/** Where the instance goes: host, node and zone, its claim there written. */
interface Target {
  host: string;
  node: string;
  availabilityZone: string;
}

/** The first compute node of `host` (Nova's get_first_node_by_host_for_old_compat). */
async function firstNode(env: ConductorEnv, host: string): Promise<ComputeNode> {
  const [node] = await computeNodesOfHosts(env.db, [host]);
  if (!node) throw new ComputeServiceUnavailable(host);
  return node;
}

/** The node's host state, its service up (Nova's _check_host_is_up). */
async function upHost(env: ConductorEnv, node: ComputeNode): Promise<HostState> {
  const [state] = await hostStateOfNode(env.db, env.engine, env.config, node.uuid);
  if (!state?.serviceUp) throw new ComputeServiceUnavailable(node.host);
  return state;
}

/** The destination runs the source's hypervisor, at a version no older. */
function checkCompatible(source: ComputeNode, dest: { hypervisor_type: string; hypervisor_version: number }): void {
  if (source.hypervisor_type !== dest.hypervisor_type) throw new InvalidHypervisorType();
  if (source.hypervisor_version > dest.hypervisor_version) throw new DestinationHypervisorTooOld();
}

/** A forced destination: the checks Nova makes in place of the scheduler's, then the source's
 * allocations claimed there for the instance (Nova's claim_resources_on_destination). */
async function forcedTarget(
  env: ConductorEnv,
  i: Instance,
  source: ComputeNode,
  host: string,
  held: Record<string, { resources: Record<string, number> }>,
): Promise<Target> {
  if (host === i.host) throw new UnableToMigrateToSelf(i.uuid, host);
  const dest = await firstNode(env, host);
  const state = await upHost(env, dest);
  const total = dest.memory_mb;
  const avail = total * (dest.ram_allocation_ratio ?? 1) - (total - (dest.free_ram_mb ?? total));
  const memory = i.memory_mb ?? 0;
  if (!memory || avail <= memory) {
    throw new MigrationPreCheckError(
      `Unable to migrate ${i.uuid} to ${host}: Lack of memory(host:${avail} <= instance:${memory})`,
    );
  }
  checkCompatible(source, dest);
  const providers = Object.keys(held);
  if (providers.length !== 1) {
    throw new NoValidHostForMove(
      `Unable to move instance ${i.uuid} to host ${host}. The instance has complex allocations on the source host so move cannot be forced.`,
    );
  }
  try {
    await env.clients.placement.allocations.put(asService(), i.uuid, {
      allocations: { [dest.uuid]: { resources: held[providers[0]!]!.resources } },
      project_id: i.project_id,
      user_id: i.user_id,
      consumer_generation: null,
      consumer_type: 'INSTANCE',
    });
  } catch (e) {
    if (!(e instanceof ClientError && e.status === 409)) throw e;
    throw new NoValidHostForMove(
      `Unable to move instance ${i.uuid} to host ${host}. There is not enough capacity on the host for the instance.`,
    );
  }
  return { host, node: dest.hypervisor_hostname, availabilityZone: state.availabilityZone };
}

/** The scheduler's destination: any host but the source (only the requested one when named), the
 * filters applied and the instance's claim written; a host of another hypervisor is set aside and
 * the scheduler asked again (Nova's _find_destination). */
async function scheduledTarget(env: ConductorEnv, i: Instance, source: ComputeNode, host: string | null) {
  const spec = await getRequestSpec(env.db, i.uuid);
  if (!spec) throw new MigrationPreCheckError(`No request spec for instance ${i.uuid}.`);
  const attempted = [i.host!];
  for (;;) {
    const placed = placedAgain(i, spec, {
      flavor: i.flavor.cur['nova_object.data'],
      ignoreHosts: attempted,
      forceHost: host,
    });
    const sel = (await selectDestinations({ ...env, placement: env.clients.placement }, [placed])).get(i.uuid)!;
    const dest = (await computeNodesOfHosts(env.db, [sel.host])).find((n) => n.hypervisor_hostname === sel.node);
    try {
      if (!dest) throw new ComputeServiceUnavailable(sel.host);
      checkCompatible(source, dest);
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      env.log.info({ instance: i.uuid, host: sel.host, reason: e.message }, 'live migration: skipping host');
      await releaseClaim(env.clients.placement, i.uuid);
      attempted.push(sel.host);
      continue;
    }
    return { host: sel.host, node: sel.node, availabilityZone: sel.availabilityZone };
  }
}

/** The pre-checks, the source's allocations moved to the migration and the destination claimed. */
async function chooseTarget(env: ConductorEnv, i: Instance, m: Migration, p: LiveMigrateInstancePayload) {
  const placement = env.clients.placement;
  checkRunning(i);
  const source = (await computeNodesOfHosts(env.db, [i.host!])).find((n) => n.hypervisor_hostname === i.node);
  if (!source) throw new ComputeServiceUnavailable(i.host!);
  await upHost(env, source);
  // The source's allocations become the migration's. Already there (a run that died): whatever
  // the instance holds is a claim on a destination that run made.
  let held = (await placement.allocations.get(asService(), m.uuid)).allocations;
  if (Object.keys(held).length) await releaseClaim(placement, i.uuid);
  else {
    await moveAllocations(placement, { uuid: i.uuid, type: 'INSTANCE' }, { uuid: m.uuid, type: 'MIGRATION' });
    held = (await placement.allocations.get(asService(), m.uuid)).allocations;
  }
  const flat = Object.fromEntries(Object.entries(held).map(([rp, a]) => [rp, { resources: a.resources }]));
  return p.force && p.host !== null
    ? forcedTarget(env, i, source, p.host, flat)
    : scheduledTarget(env, i, source, p.host);
}

async function liveMigrateInstance(env: ConductorEnv, job: Job): Promise<void> {
  const p = job.payload as LiveMigrateInstancePayload;
  const move = await moveOf(env.db, p.uuid, p.migration_uuid);
  if (!move || move.i.task_state !== 'migrating') return;
  const { i, m } = move;
  const ctx = { db: env.db, jobs: env.jobs, placement: env.clients.placement };
  const end = { from: ['accepted'], requestId: p.action_request_id, event: p.event, host: null };
  // A run that died while rolling back left the migration in error: it is finished here.
  if (m.status === 'error') {
    await rollbackLiveMigration(ctx, i, m, { ...end, status: 'error' });
    return;
  }
  if (m.status !== 'accepted') return;
  await startEvent(env.db, i.uuid, p.action_request_id, p.event, null);
  let target: Target;
  try {
    target = await chooseTarget(env, i, m, p);
  } catch (e) {
    const refused = e instanceof Invalid || e instanceof NoValidHost;
    if (!refused && job.attempt < job.maxAttempts) throw e;
    const message = (e instanceof Error ? e.message : String(e)).split('\n', 1)[0]!;
    const details = e instanceof NoValidHost ? explain(e.explanation) : message;
    env.log.info({ instance: i.uuid, err: message }, 'live migration refused');
    await rollbackLiveMigration(ctx, i, m, {
      ...end,
      status: 'error',
      error: { message, details },
      // An unexpected failure (Nova's MigrationError) leaves the server in ERROR.
      ...(refused ? {} : { vmState: VmState.ERROR }),
    });
    return;
  }
  const handed = await withTransaction(env.db, async (trx) => {
    const queued = await updateMigration(
      trx,
      m.uuid,
      { status: 'queued', dest_compute: target.host, dest_node: target.node },
      ['accepted'],
    );
    if (!queued || !(await updateInstance(trx, i.uuid, {}, { taskState: ['migrating'] }))) return false;
    const payload: LiveMigrationStepPayload = {
      uuid: i.uuid,
      migration_uuid: m.uuid,
      action_request_id: p.action_request_id,
      block_migration: p.block_migration,
      availability_zone: target.availabilityZone,
    };
    await env.jobs.enqueue<ComputeDB>(trx, {
      kind: PRE_LIVE_MIGRATION,
      target: target.host,
      payload,
      dedupeKey: `${PRE_LIVE_MIGRATION}:${m.uuid}`,
    });
    await finishEvent(trx, i.uuid, p.action_request_id, p.event);
    return true;
  });
  // Deleted meanwhile (its host ended the migration and freed what it held): the claim goes.
  if (!handed) await releaseClaim(env.clients.placement, i.uuid);
}

export function liveMigrateHandlers(env: ConductorEnv): Record<string, JobHandler> {
  return { [LIVE_MIGRATE_INSTANCE]: (job) => liveMigrateInstance(env, job) };
}
