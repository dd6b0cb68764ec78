// Live migration as the API asks it (Nova's compute.api.API live_migrate,
// live_migrate_force_complete, live_migrate_abort): the checks Nova makes before anything changes
// (lock, state, a requested host that exists), then in one transaction the task state, the
// migration record (accepted, live-migration), the instance action and the job — the conductor's
// live_migrate_instance, or the source host's force-complete or abort. Before 2.34 the API waits
// for the conductor's pre-checks, as Nova's API waits on its RPC call.
//
// The steps after the conductor, each a job for the host whose turn it is (manager/live_migration.ts):
//   pre_live_migration (destination)   queued → preparing: the destination made ready
//   live_migration (source)            preparing → running: the driver moves the guest
//   post_live_migration_at_destination the instance's host becomes the destination; completed
// while the migration holds the source's allocations and the instance the destination's.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { withTransaction } from '../../common/db/index.js';
import type { JobQueue } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import { ComputeHostNotFound, InstanceInvalidState, InstanceNotRunning, InvalidMigrationState } from '../exceptions.js';
import { PowerState, powerStateName } from '../virt/driver.js';
import { computeNodesOfHosts } from './compute_node.js';
import { updateInstance, VmState, type Db, type Instance } from './instance.js';
import { Action, startAction } from './instance_action.js';
import { checkLocked, type Caller } from './instance_lifecycle.js';
import { createMigration, migrationOfInstanceById, type Migration } from './migration.js';
import { rejectVtpm } from './vtpm.js';

export const LIVE_MIGRATE_INSTANCE = 'live_migrate_instance';
export const PRE_LIVE_MIGRATION = 'pre_live_migration';
export const LIVE_MIGRATION = 'live_migration';
export const POST_LIVE_MIGRATION_AT_DESTINATION = 'post_live_migration_at_destination';
export const ROLLBACK_LIVE_MIGRATION_AT_DESTINATION = 'rollback_live_migration_at_destination';
export const LIVE_MIGRATION_FORCE_COMPLETE = 'live_migration_force_complete';
export const LIVE_MIGRATION_ABORT = 'live_migration_abort';

/** The conductor's event: migrate_server when the API waits for it (before 2.34, Nova's RPC call
 * is migrate_server), live_migrate_instance after (its cast). */
export const CONDUCTOR_EVENT = { waited: 'conductor_migrate_server', async: 'conductor_live_migrate_instance' };

/** The payload of every live migration job. */
export interface LiveMigrationPayload {
  uuid: string;
  migration_uuid: string;
  /** The request whose action the job's events belong to. */
  action_request_id: string;
}

export interface LiveMigrateInstancePayload extends LiveMigrationPayload {
  /** The destination the request names. */
  host: string | null;
  /** The named host taken as it is: the scheduler not asked (Nova's force, and any host before 2.30). */
  force: boolean;
  /** null: the driver chooses (2.25's auto). */
  block_migration: boolean | null;
  event: string;
}

/** What the hosts' steps carry after the conductor. */
export interface LiveMigrationStepPayload extends LiveMigrationPayload {
  block_migration: boolean | null;
  /** The destination's availability zone, the instance's once it is there. */
  availability_zone: string;
}

/** Only a running or paused guest moves live (LiveMigrationTask._check_instance_is_active). */
export function checkRunning(i: Instance): void {
  if (i.power_state !== PowerState.RUNNING && i.power_state !== PowerState.PAUSED) {
    throw new InstanceNotRunning(i.uuid, powerStateName(i.power_state));
  }
}

/** Nova's check_instance_state, launched_at included. */
function checkState(action: string, i: Instance, vmStates: string[] | null, taskStates: (string | null)[]): void {
  if (vmStates && !vmStates.includes(i.vm_state ?? '')) {
    throw new InstanceInvalidState(action, i.uuid, 'vm_state', i.vm_state);
  }
  if (!taskStates.includes(i.task_state)) throw new InstanceInvalidState(action, i.uuid, 'task_state', i.task_state);
  if (!i.launched_at) throw new InstanceInvalidState(action, i.uuid, 'launched_at', null);
}

const MIGRATABLE = [VmState.ACTIVE, VmState.PAUSED];

export interface LiveMigrationRequest {
  host: string | null;
  force: boolean;
  blockMigration: boolean | null;
  /** The API waits for the conductor's pre-checks (before 2.34). */
  waits: boolean;
}

/** Starts a live migration of `instance`; the migration's uuid. */
export async function requestLiveMigration(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  instance: Instance,
  caller: Caller,
  r: LiveMigrationRequest,
): Promise<string> {
  const action = 'os-migrateLive';
  await rejectVtpm(db, instance, Action.LIVE_MIGRATION);
  checkLocked(instance, caller);
  checkState(action, instance, MIGRATABLE, [null]);
  const { host: source, node: sourceNode } = instance;
  if (source === null || sourceNode === null) {
    throw new InstanceInvalidState(action, instance.uuid, 'vm_state', instance.vm_state);
  }
  if (r.host !== null && !(await computeNodesOfHosts(db, [r.host])).length) throw new ComputeHostNotFound(r.host);
  // Nova's conductor answers this within the RPC call the API waits on: a conflict, as then.
  if (r.waits) {
    try {
      checkRunning(instance);
    } catch (e) {
      if (!(e instanceof InstanceNotRunning)) throw e;
      const state = powerStateName(instance.power_state);
      throw new InstanceInvalidState(action, instance.uuid, 'power_state', state);
    }
  }
  const migrationUuid = randomUUID();
  await withTransaction(db, async (trx) => {
    const taken = await updateInstance(
      trx,
      instance.uuid,
      { task_state: 'migrating' },
      { taskState: [null], vmState: MIGRATABLE },
    );
    if (!taken) throw new InstanceInvalidState(action, instance.uuid, 'task_state', 'migrating');
    const flavorId = instance.flavor.cur['nova_object.data'].id;
    await createMigration(trx, {
      uuid: migrationUuid,
      instanceUuid: instance.uuid,
      sourceCompute: source,
      // Known from the start (Nova records it once the destination is chosen): `concord manage
      // placement audit` finds the migration's allocation on the source node by it.
      sourceNode,
      oldInstanceTypeId: flavorId,
      newInstanceTypeId: flavorId,
      userId: caller.userId ?? instance.user_id,
      projectId: caller.projectId ?? instance.project_id,
      migrationType: 'live-migration',
      status: 'accepted',
      // Nova's migration names the destination only when it is forced (the scheduler's choice later).
      destCompute: r.force ? r.host : null,
    });
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: Action.LIVE_MIGRATION,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
    const payload: LiveMigrateInstancePayload = {
      uuid: instance.uuid,
      migration_uuid: migrationUuid,
      action_request_id: caller.requestId,
      host: r.host,
      force: r.force,
      block_migration: r.blockMigration,
      event: r.waits ? CONDUCTOR_EVENT.waited : CONDUCTOR_EVENT.async,
    };
    await jobs.enqueue<ComputeDB>(trx, {
      kind: LIVE_MIGRATE_INSTANCE,
      payload,
      dedupeKey: `${LIVE_MIGRATE_INSTANCE}:${migrationUuid}`,
    });
  });
  return migrationUuid;
}

/** How the conductor's pre-checks of the request ended: `passed`, refused with why, or `pending`
 * still after `timeoutMs`. */
export async function conductorVerdict(
  db: Db,
  instanceUuid: string,
  requestId: string,
  timeoutMs: number,
): Promise<{ passed: true } | { passed: false; reason: string } | 'pending'> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
    const event = await db
      .selectFrom('instance_actions_events as e')
      .innerJoin('instance_actions as a', 'a.id', 'e.action_id')
      .select(['e.result', 'e.details'])
      .where('a.instance_uuid', '=', instanceUuid)
      .where('a.request_id', '=', requestId)
      .where('e.event', '=', CONDUCTOR_EVENT.waited)
      .where('e.finish_time', 'is not', null)
      .executeTakeFirst();
    if (event) return event.result === 'Success' ? { passed: true } : { passed: false, reason: event.details ?? '' };
    if (Date.now() >= deadline) return 'pending';
    await sleep(Math.min(wait, Math.max(1, deadline - Date.now())));
  }
}

/** The live migration `migrationId` of `instance` in one of `statuses`, for `method` (Nova's
 * InvalidMigrationState otherwise). */
async function liveMigrationIn(
  db: Db,
  instance: Instance,
  migrationId: string,
  statuses: string[],
  method: string,
): Promise<Migration> {
  const m = await migrationOfInstanceById(db, migrationId, instance.uuid);
  if (!statuses.includes(m.status)) throw new InvalidMigrationState(m.id, instance.uuid, m.status, method);
  return m;
}

/** The action and the source host's job of a force-complete or an abort. */
async function askSource(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  instance: Instance,
  caller: Caller,
  m: Migration,
  step: { action: string; kind: string },
): Promise<void> {
  await withTransaction(db, async (trx) => {
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: step.action,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
    const payload: LiveMigrationPayload = {
      uuid: instance.uuid,
      migration_uuid: m.uuid,
      action_request_id: caller.requestId,
    };
    await jobs.enqueue<ComputeDB>(trx, {
      kind: step.kind,
      target: m.source_compute,
      payload,
      dedupeKey: `${step.kind}:${caller.requestId}`,
    });
  });
}

/** Has a running live migration complete now (2.22): the source host tells its driver. */
export async function requestForceComplete(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  instance: Instance,
  caller: Caller,
  migrationId: string,
): Promise<void> {
  checkLocked(instance, caller);
  checkState('force_complete', instance, [VmState.ACTIVE], ['migrating']);
  const m = await liveMigrationIn(db, instance, migrationId, ['running'], 'force complete');
  await askSource(db, jobs, instance, caller, m, {
    action: Action.LIVE_MIGRATION_FORCE_COMPLETE,
    kind: LIVE_MIGRATION_FORCE_COMPLETE,
  });
}

/** Aborts a live migration (2.24): a running one, and from 2.65 (`inQueue`) one queued or
 * preparing; the source host ends it and the server stays where it was. */
export async function requestAbort(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  instance: Instance,
  caller: Caller,
  migrationId: string,
  inQueue: boolean,
): Promise<void> {
  checkLocked(instance, caller);
  checkState('abort live migration', instance, null, ['migrating']);
  const allowed = inQueue ? ['running', 'queued', 'preparing'] : ['running'];
  const m = await liveMigrationIn(db, instance, migrationId, allowed, 'abort live migration');
  await askSource(db, jobs, instance, caller, m, { action: Action.LIVE_MIGRATION_CANCEL, kind: LIVE_MIGRATION_ABORT });
}
