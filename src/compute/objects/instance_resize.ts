// Resize and cold migration as the API asks them (Nova's compute.api.API.resize, with and
// without a flavor, confirm_resize, revert_resize): the checks Nova makes before anything
// changes (state, lock, the new flavor, quota for the growth, the image against the new flavor,
// a migration's requested host), then in one transaction the task state, the migration
// record, the instance action and the job — the conductor's migrate_server for a resize, the
// source host's confirm_resize, the destination's revert_resize.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Config } from '../../common/config.js';
import { withTransaction } from '../../common/db/index.js';
import type { JobQueue } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import {
  CannotMigrateToSameHost,
  CannotResizeDisk,
  ComputeHostNotFound,
  CannotResizeToSameFlavor,
  FlavorNotFound,
  InstanceInvalidState,
  QuotaExceeded,
  TooManyInstances,
} from '../exceptions.js';
import { computeNodesOfHosts } from './compute_node.js';
import type { Flavor } from './flavor.js';
import { getInstance, updateInstance, VmState, type Db, type Instance } from './instance.js';
import { Action, startAction } from './instance_action.js';
import { checkImage } from './instance_create.js';
import { checkAutoDiskConfig } from './instance_disk_config.js';
import { flavorPrimitive, type FlavorPrimitive } from './instance_flavor.js';
import { checkLocked, type Caller } from './instance_lifecycle.js';
import { createMigration, migrationOfInstance, updateMigration, type Migration } from './migration.js';
import { checkDeltas } from './quota.js';
import { getRequestSpec } from './request_spec.js';
import { systemMetadata } from './instance_system_metadata.js';

export const MIGRATE_SERVER = 'migrate_server';
export const PREP_RESIZE = 'prep_resize';
export const RESIZE_INSTANCE = 'resize_instance';
export const FINISH_RESIZE = 'finish_resize';
export const CONFIRM_RESIZE = 'confirm_resize';
export const REVERT_RESIZE = 'revert_resize';
export const FINISH_REVERT_RESIZE = 'finish_revert_resize';

/** The payload of every resize job. */
export interface ResizePayload {
  uuid: string;
  migration_uuid: string;
  action_request_id: string;
}

/** What the conductor schedules (migrate_server) and the destination claims (prep_resize). */
export interface MigrateServerPayload extends ResizePayload {
  flavor: FlavorPrimitive;
  /** 1 for the first destination tried. */
  attempt: number;
  /** Destinations where an earlier attempt failed. */
  retry_hosts: string[];
  /** The destination the request asked for (a cold migration's host). */
  host?: string;
  /** A reschedule's hosts to try, in order (the scheduler is not asked again). */
  alternates?: { host: string; node: string; availabilityZone: string; allocation: unknown }[];
}

type FlavorData = FlavorPrimitive['nova_object.data'];

/** Nova's upsize_quota_delta: only what grows counts. */
function upsizeDeltas(from: FlavorData, to: FlavorData): Record<string, number> {
  const d: Record<string, number> = {};
  if (to.vcpus > from.vcpus) d.cores = to.vcpus - from.vcpus;
  if (to.memory_mb > from.memory_mb) d.ram = to.memory_mb - from.memory_mb;
  return d;
}

async function checkUpsizeQuota(db: Db, config: Config, i: Instance, from: FlavorData, to: FlavorData) {
  const deltas = upsizeDeltas(from, to);
  if (!Object.keys(deltas).length) return;
  try {
    await checkDeltas(db, config, { projectId: i.project_id, userId: i.user_id }, deltas);
  } catch (e) {
    if (!(e instanceof QuotaExceeded)) throw e;
    const list = (f: (k: string) => number | string) => e.overs.map(f).join(', ');
    throw new TooManyInstances(
      list((k) => k),
      list((k) => deltas[k] ?? 0),
      list((k) => e.usages[k] ?? 0),
      list((k) => e.quotas[k]!),
    );
  }
}

function checkState(action: string, i: Instance, vmStates: string[]): void {
  if (!vmStates.includes(i.vm_state ?? '')) throw new InstanceInvalidState(action, i.uuid, 'vm_state', i.vm_state);
  if (i.task_state !== null) throw new InstanceInvalidState(action, i.uuid, 'task_state', i.task_state);
}

const RESIZABLE = [VmState.ACTIVE, VmState.STOPPED];

function checkMovable(action: string, instance: Instance, caller: Caller): void {
  checkLocked(instance, caller);
  checkState(action, instance, RESIZABLE);
  if (instance.host === null || instance.node === null) {
    throw new InstanceInvalidState(action, instance.uuid, 'vm_state', instance.vm_state);
  }
}

/** In one transaction: the task state, the migration record, the action and the conductor's job. */
async function startMove(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  instance: Instance,
  caller: Caller,
  move: {
    type: 'resize' | 'migration';
    flavor: FlavorPrimitive;
    autoDiskConfig: boolean;
    host?: string;
  },
): Promise<void> {
  const action = move.type === 'resize' ? 'resize' : 'migrate';
  const migrationUuid = randomUUID();
  await withTransaction(db, async (trx) => {
    const moved = await updateInstance(
      trx,
      instance.uuid,
      { task_state: 'resize_prep', progress: 0, auto_disk_config: move.autoDiskConfig ? 1 : 0 },
      { taskState: [null], vmState: RESIZABLE },
    );
    if (!moved) throw new InstanceInvalidState(action, instance.uuid, 'task_state', instance.task_state);
    await createMigration(trx, {
      uuid: migrationUuid,
      instanceUuid: instance.uuid,
      sourceCompute: instance.host!,
      sourceNode: instance.node!,
      oldInstanceTypeId: instance.flavor.cur['nova_object.data'].id,
      newInstanceTypeId: move.flavor['nova_object.data'].id,
      userId: caller.userId ?? instance.user_id,
      projectId: caller.projectId ?? instance.project_id,
      migrationType: move.type,
    });
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: move.type === 'resize' ? Action.RESIZE : Action.MIGRATE,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
    const payload: MigrateServerPayload = {
      uuid: instance.uuid,
      migration_uuid: migrationUuid,
      action_request_id: caller.requestId,
      flavor: move.flavor,
      attempt: 1,
      retry_hosts: [],
      ...(move.host !== undefined ? { host: move.host } : {}),
    };
    await jobs.enqueue<ComputeDB>(trx, {
      kind: MIGRATE_SERVER,
      payload,
      dedupeKey: `${MIGRATE_SERVER}:${migrationUuid}:1`,
    });
  });
}

/** Resizes a server to `flavor`: checked here, scheduled by the conductor, moved by the hosts. */
export async function requestResize(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  config: Config,
  instance: Instance,
  caller: Caller,
  flavor: Flavor,
  autoDiskConfig: boolean | undefined,
): Promise<void> {
  checkMovable('resize', instance, caller);
  // Against the image the server was last built from, as its system metadata keeps it.
  const property = await systemMetadata(db, instance.uuid, 'image_auto_disk_config');
  checkAutoDiskConfig(autoDiskConfig, property ?? undefined, instance.image_ref ?? '');
  const current = instance.flavor.cur['nova_object.data'];
  if (flavor.root_gb === 0 && current.root_gb !== 0) {
    throw new CannotResizeDisk('Resize to zero disk flavor is not allowed.');
  }
  const same = current.id === flavor.id;
  if (!same && flavor.disabled) throw new FlavorNotFound(flavor.flavorid);
  if (same) throw new CannotResizeToSameFlavor();
  const primitive = flavorPrimitive(flavor);
  await checkUpsizeQuota(db, config, instance, current, primitive['nova_object.data']);
  const spec = await getRequestSpec(db, instance.uuid);
  if (spec) checkImage(flavor, spec.image);
  await startMove(db, jobs, instance, caller, {
    type: 'resize',
    flavor: primitive,
    autoDiskConfig: autoDiskConfig ?? false,
  });
}

/** Cold-migrates a server (Nova's resize with no flavor): its own flavor, on another host —
 * `host` when given, which must be a compute host other than the server's. Whether that host
 * is enabled and fits is the scheduler's to say, as in Nova. */
export async function requestMigrate(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  instance: Instance,
  caller: Caller,
  host: string | undefined,
): Promise<void> {
  checkMovable('migrate', instance, caller);
  if (host !== undefined) {
    if (host === instance.host) throw new CannotMigrateToSameHost();
    if (!(await computeNodesOfHosts(db, [host])).length) throw new ComputeHostNotFound(host);
  }
  await startMove(db, jobs, instance, caller, {
    type: 'migration',
    flavor: instance.flavor.cur,
    // Nova's migration is its resize with no OS-DCF:diskConfig, which sets MANUAL.
    autoDiskConfig: false,
    ...(host !== undefined ? { host } : {}),
  });
}

/** Confirms a finished resize: the source host drops what the instance left there. */
export async function requestConfirmResize(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  instance: Instance,
  caller: Caller,
): Promise<void> {
  checkLocked(instance, caller);
  if (instance.vm_state !== VmState.RESIZED) {
    throw new InstanceInvalidState('confirmResize', instance.uuid, 'vm_state', instance.vm_state);
  }
  const migration = await migrationOfInstance(db, instance.uuid, 'finished');
  await withTransaction(db, async (trx) => {
    if (!(await updateMigration(trx, migration.uuid, { status: 'confirming' }, ['finished']))) {
      throw new InstanceInvalidState('confirmResize', instance.uuid, 'vm_state', instance.vm_state);
    }
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: Action.CONFIRM_RESIZE,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
    await enqueueStep(trx, jobs, CONFIRM_RESIZE, migration.source_compute!, migration, caller.requestId);
  });
}

/** Reverts a finished resize: the destination drops the new guest, the source starts the old. */
export async function requestRevertResize(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  config: Config,
  instance: Instance,
  caller: Caller,
): Promise<void> {
  checkLocked(instance, caller);
  checkState('revertResize', instance, [VmState.RESIZED]);
  const migration = await migrationOfInstance(db, instance.uuid, 'finished');
  const old = instance.flavor.old?.['nova_object.data'];
  // Reverting a resize down grows the server again.
  if (old) await checkUpsizeQuota(db, config, instance, instance.flavor.cur['nova_object.data'], old);
  await withTransaction(db, async (trx) => {
    const moved = await updateInstance(
      trx,
      instance.uuid,
      { task_state: 'resize_reverting' },
      { taskState: [null], vmState: [VmState.RESIZED] },
    );
    if (!moved || !(await updateMigration(trx, migration.uuid, { status: 'reverting' }, ['finished']))) {
      throw new InstanceInvalidState('revertResize', instance.uuid, 'task_state', 'resize_reverting');
    }
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: Action.REVERT_RESIZE,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
    await enqueueStep(trx, jobs, REVERT_RESIZE, migration.dest_compute!, migration, caller.requestId);
  });
}

/** Hands the next step of a resize to `host`. */
export async function enqueueStep(
  db: Db,
  jobs: JobQueue,
  kind: string,
  host: string,
  migration: Pick<Migration, 'uuid' | 'instance_uuid'>,
  requestId: string,
): Promise<void> {
  const payload: ResizePayload = {
    uuid: migration.instance_uuid,
    migration_uuid: migration.uuid,
    action_request_id: requestId,
  };
  await jobs.enqueue<ComputeDB>(db, { kind, target: host, payload, dedupeKey: `${kind}:${migration.uuid}` });
}

/** Resizes left unconfirmed longer than [DEFAULT] resize_confirm_window seconds, confirmed
 * (Nova's _poll_unconfirmed_resizes); a migration whose instance is gone or not in
 * VERIFY_RESIZE is set to error, as Nova does. */
export async function confirmOverdueResizes(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  windowSeconds: number,
  nowMs = Date.now(),
) {
  const before = new Date(nowMs - windowSeconds * 1000).toISOString();
  const overdue = await db
    .selectFrom('migrations')
    .selectAll()
    .where('status', '=', 'finished')
    .where('deleted', '=', 0)
    .where('updated_at', '<', before)
    .execute();
  for (const m of overdue) {
    let instance: Instance;
    try {
      instance = await getInstance(db, m.instance_uuid, { projectId: null });
    } catch {
      await updateMigration(db, m.uuid, { status: 'error' }, ['finished']);
      continue;
    }
    if (instance.task_state === 'deleting' || instance.task_state === 'resize_finish') continue;
    if (instance.vm_state !== VmState.RESIZED || instance.task_state !== null) {
      await updateMigration(db, m.uuid, { status: 'error' }, ['finished']);
      continue;
    }
    await requestConfirmResize(db, jobs, instance, {
      projectId: null,
      userId: null,
      isAdmin: true,
      requestId: `req-${randomUUID()}`,
    });
  }
}
