// What the API asks of a server after it is created (Nova's compute.api.API: reboot, stop,
// start, pause, unpause, suspend, resume, lock, unlock, rebuild; delete is instance_delete.ts):
// each checks the instance's state as Nova's check_instance_state does, sets the task state and
// records the action, and hands the work to the instance's compute host as a job — all in one
// transaction, so that two requests racing for one server leave one winner and one 409.
import type { Kysely } from 'kysely';
import { withTransaction } from '../../common/db/index.js';
import type { JobQueue } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import { InstanceInvalidState, InstanceIsLocked } from '../exceptions.js';
import { updateInstance, VmState, type Instance, type InstanceRow } from './instance.js';
import { Action, startAction } from './instance_action.js';
import type { ImageMeta } from './request_spec.js';
import { setImageProperties } from './instance_system_metadata.js';

export interface Caller {
  projectId: string | null;
  userId: string | null;
  isAdmin: boolean;
  requestId: string;
}

/** The payload of every action job a compute host runs for an instance. */
export interface ActionPayload {
  uuid: string;
  action_request_id: string;
  type?: 'SOFT' | 'HARD';
}

/** What an action job carries for its host's driver alone: the job's secret, erased when the job
 * ends (never in the payload, which operators read). */
export interface ActionSecret {
  /** changePassword's new password; rescue's password of the rescue guest. */
  admin_password: string;
}

/** An action of the API that is a state check, a task state and a job for the host. */
export interface PowerAction {
  action: string;
  job: string;
  vmStates: string[];
  taskStates: (string | null)[];
  /** The task state while the host works on it. */
  taskState: string;
}

const NOT_BUSY = [null];
const REBOOTING = [
  'rebooting',
  'reboot_pending',
  'reboot_started',
  'rebooting_hard',
  'reboot_pending_hard',
  'reboot_started_hard',
];

export const POWER_ACTIONS = {
  stop: {
    action: Action.STOP,
    job: 'stop_instance',
    vmStates: [VmState.ACTIVE, VmState.ERROR],
    taskStates: NOT_BUSY,
    taskState: 'powering-off',
  },
  start: {
    action: Action.START,
    job: 'start_instance',
    vmStates: [VmState.STOPPED],
    taskStates: NOT_BUSY,
    taskState: 'powering-on',
  },
  pause: {
    action: Action.PAUSE,
    job: 'pause_instance',
    vmStates: [VmState.ACTIVE],
    taskStates: NOT_BUSY,
    taskState: 'pausing',
  },
  unpause: {
    action: Action.UNPAUSE,
    job: 'unpause_instance',
    vmStates: [VmState.PAUSED],
    taskStates: NOT_BUSY,
    taskState: 'unpausing',
  },
  suspend: {
    action: Action.SUSPEND,
    job: 'suspend_instance',
    vmStates: [VmState.ACTIVE],
    taskStates: NOT_BUSY,
    taskState: 'suspending',
  },
  resume: {
    action: Action.RESUME,
    job: 'resume_instance',
    vmStates: [VmState.SUSPENDED],
    taskStates: NOT_BUSY,
    taskState: 'resuming',
  },
  softReboot: {
    action: Action.REBOOT,
    job: 'reboot_instance',
    vmStates: [VmState.ACTIVE],
    taskStates: NOT_BUSY,
    taskState: 'rebooting',
  },
  hardReboot: {
    action: Action.REBOOT,
    job: 'reboot_instance',
    vmStates: [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED, VmState.ERROR],
    taskStates: [null, ...REBOOTING],
    taskState: 'rebooting_hard',
  },
  // Not a power action, but one of the same shape: a state check, a task state, one driver call.
  changePassword: {
    action: Action.CHANGE_PASSWORD,
    job: 'set_admin_password',
    vmStates: [VmState.ACTIVE],
    taskStates: NOT_BUSY,
    taskState: 'updating_password',
  },
} satisfies Record<string, PowerAction>;

/** A locked server refuses its owner's actions; administrators act on it anyway. */
export function checkLocked(instance: Instance, caller: Caller): void {
  if (instance.locked && !caller.isAdmin) throw new InstanceIsLocked(instance.uuid);
}

/** The state that forbids the action: the task state when the vm_state would allow it. */
function invalidState(action: string, instance: Instance, spec: PowerAction): InstanceInvalidState {
  return spec.vmStates.includes(instance.vm_state ?? '') && !spec.taskStates.includes(instance.task_state)
    ? new InstanceInvalidState(action, instance.uuid, 'task_state', instance.task_state)
    : new InstanceInvalidState(action, instance.uuid, 'vm_state', instance.vm_state);
}

/** Nova's check_instance_lock and check_instance_state for `spec` (the API's name of it: `name`);
 * an instance without a host cannot be asked either. */
export function checkActionState(instance: Instance, caller: Caller, name: string, spec: PowerAction): void {
  checkLocked(instance, caller);
  if (
    !spec.vmStates.includes(instance.vm_state ?? '') ||
    !spec.taskStates.includes(instance.task_state) ||
    instance.host === null
  ) {
    throw invalidState(name, instance, spec);
  }
}

/** Asks the instance's host to do `spec` (the API's name of it: `name`). */
export async function requestPowerAction<P extends ActionPayload = ActionPayload>(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  instance: Instance,
  caller: Caller,
  name: string,
  spec: PowerAction,
  extra: Partial<P> = {},
  secret?: ActionSecret,
): Promise<void> {
  checkActionState(instance, caller, name, spec);
  await withTransaction(db, async (trx) => {
    const moved = await updateInstance(
      trx,
      instance.uuid,
      { task_state: spec.taskState },
      { taskState: spec.taskStates, vmState: spec.vmStates },
    );
    if (!moved) throw invalidState(name, instance, spec);
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: spec.action,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
    const payload: ActionPayload = { uuid: instance.uuid, action_request_id: caller.requestId, ...extra };
    await jobs.enqueue<ComputeDB>(trx, {
      kind: spec.job,
      target: instance.host,
      payload,
      ...(secret ? { secret } : {}),
      dedupeKey: `${spec.job}:${caller.requestId}:${instance.uuid}`,
    });
  });
}

/** Locks or unlocks a server (API only): who locked it is kept, so that an owner cannot undo an
 * administrator's lock without the unlock_override rule. */
export async function setLocked(
  db: Kysely<ComputeDB>,
  instance: Instance,
  caller: Caller,
  locked: boolean,
  reason: string | null,
): Promise<void> {
  await withTransaction(db, async (trx) => {
    const lockedBy = caller.projectId === instance.project_id ? 'owner' : 'admin';
    await updateInstance(
      trx,
      instance.uuid,
      locked ? { locked: 1, locked_by: lockedBy } : { locked: 0, locked_by: null },
    );
    if (locked && reason !== null) {
      await trx
        .insertInto('instance_system_metadata')
        .values({
          instance_uuid: instance.uuid,
          key: 'locked_reason',
          value: reason,
          created_at: new Date().toISOString(),
          updated_at: null,
          deleted_at: null,
        })
        .execute();
    } else if (!locked) {
      await trx
        .deleteFrom('instance_system_metadata')
        .where('instance_uuid', '=', instance.uuid)
        .where('key', '=', 'locked_reason')
        .execute();
    }
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: locked ? Action.LOCK : Action.UNLOCK,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
  });
}

export const REBUILD_INSTANCE = 'rebuild_instance';

/** A rebuild with another image goes through the conductor first (its scheduler's check of the
 * host against that image). */
export const REBUILD_SERVER = 'rebuild_server';

export interface RebuildServerPayload extends ActionPayload {
  /** The image the server had, back on it when the host does not take the new one. */
  orig_image_ref: string;
  image: ImageMeta;
}

export interface Rebuild {
  image: ImageMeta;
  /** Columns the rebuild changes (name, description, access IPs, key, user data, hostname,
   * auto_disk_config). */
  values: Partial<Omit<InstanceRow, 'id' | 'uuid'>>;
  /** Replaces the server's metadata when given. */
  metadata?: Record<string, string>;
}

/** Rebuilds a server from an image on its host (Nova's API.rebuild): the image (its properties
 * the image_* system metadata) and the asked changes recorded at once, the guest rebuilt by the
 * host's `rebuild_instance` job — after the conductor's `rebuild_server` checked the host against
 * the image when it is another one. */
export async function requestRebuild(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  instance: Instance,
  caller: Caller,
  r: Rebuild,
): Promise<void> {
  const spec: PowerAction = {
    action: Action.REBUILD,
    job: REBUILD_INSTANCE,
    taskState: 'rebuilding',
    vmStates: [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR],
    taskStates: NOT_BUSY,
  };
  checkActionState(instance, caller, 'rebuild', spec);
  await withTransaction(db, async (trx) => {
    const moved = await updateInstance(
      trx,
      instance.uuid,
      { ...r.values, image_ref: r.image.id!, task_state: 'rebuilding' },
      { taskState: spec.taskStates, vmState: spec.vmStates },
    );
    if (!moved) throw invalidState('rebuild', instance, spec);
    await setImageProperties(trx, instance.uuid, r.image.properties);
    if (r.metadata) {
      const ts = new Date().toISOString();
      await trx.deleteFrom('instance_metadata').where('instance_uuid', '=', instance.uuid).execute();
      for (const [key, value] of Object.entries(r.metadata)) {
        await trx
          .insertInto('instance_metadata')
          .values({ instance_uuid: instance.uuid, key, value, created_at: ts, updated_at: null, deleted_at: null })
          .execute();
      }
    }
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: Action.REBUILD,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
    const payload: ActionPayload = { uuid: instance.uuid, action_request_id: caller.requestId };
    if (r.image.id !== instance.image_ref) {
      const scheduled: RebuildServerPayload = { ...payload, orig_image_ref: instance.image_ref ?? '', image: r.image };
      await jobs.enqueue<ComputeDB>(trx, {
        kind: REBUILD_SERVER,
        payload: scheduled,
        dedupeKey: `${REBUILD_SERVER}:${caller.requestId}:${instance.uuid}`,
      });
      return;
    }
    await jobs.enqueue<ComputeDB>(trx, {
      kind: REBUILD_INSTANCE,
      target: instance.host,
      payload,
      dedupeKey: `${REBUILD_INSTANCE}:${caller.requestId}:${instance.uuid}`,
    });
  });
}
