// Instance actions and their events (os-instance-actions, `openstack server event list`): one
// action per API request that changes a server, named as Nova names them (create, delete,
// reboot, stop ...), and one event per step a service took for it, with its result.
import type { Db } from './instance.js';
import { now } from './instance.js';

export const Action = {
  CREATE: 'create',
  DELETE: 'delete',
  REBOOT: 'reboot',
  STOP: 'stop',
  START: 'start',
  PAUSE: 'pause',
  UNPAUSE: 'unpause',
  SUSPEND: 'suspend',
  RESUME: 'resume',
  LOCK: 'lock',
  UNLOCK: 'unlock',
  REBUILD: 'rebuild',
  CHANGE_PASSWORD: 'changePassword',
  RESIZE: 'resize',
  MIGRATE: 'migrate',
  CONFIRM_RESIZE: 'confirmResize',
  REVERT_RESIZE: 'revertResize',
  CREATE_IMAGE: 'createImage',
  BACKUP: 'createBackup',
  SHELVE: 'shelve',
  SHELVE_OFFLOAD: 'shelveOffload',
  UNSHELVE: 'unshelve',
  LIVE_MIGRATION: 'live-migration',
  LIVE_MIGRATION_FORCE_COMPLETE: 'live_migration_force_complete',
  LIVE_MIGRATION_CANCEL: 'live_migration_cancel',
  RESCUE: 'rescue',
  UNRESCUE: 'unrescue',
} as const;

export interface ActionRequest {
  instanceUuid: string;
  action: string;
  requestId: string;
  userId: string | null;
  projectId: string | null;
}

/** Records an action (Nova's InstanceAction.action_start). */
export async function startAction(db: Db, a: ActionRequest): Promise<void> {
  const ts = now();
  await db
    .insertInto('instance_actions')
    .values({
      action: a.action,
      instance_uuid: a.instanceUuid,
      request_id: a.requestId,
      user_id: a.userId,
      project_id: a.projectId,
      start_time: ts,
      finish_time: null,
      message: null,
      created_at: ts,
      updated_at: null,
    })
    .execute();
}

async function actionId(db: Db, instanceUuid: string, requestId: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('instance_actions')
    .select('id')
    .where('instance_uuid', '=', instanceUuid)
    .where('request_id', '=', requestId)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row?.id;
}

/** Opens an event of the action of `requestId` (EventReporter's start); a run again after a crash
 * takes over the event its predecessor left open rather than adding another, while a step done
 * again after it finished (a build rescheduled to another host) is an event of its own. */
export async function startEvent(
  db: Db,
  instanceUuid: string,
  requestId: string,
  event: string,
  host: string | null,
): Promise<void> {
  const id = await actionId(db, instanceUuid, requestId);
  if (id === undefined) return;
  const ts = now();
  const open = await db
    .selectFrom('instance_actions_events')
    .select('id')
    .where('action_id', '=', id)
    .where('event', '=', event)
    .where('finish_time', 'is', null)
    .executeTakeFirst();
  if (open) {
    await db
      .updateTable('instance_actions_events')
      .set({ start_time: ts, result: null, host, updated_at: ts })
      .where('id', '=', open.id)
      .execute();
    return;
  }
  await db
    .insertInto('instance_actions_events')
    .values({
      action_id: id,
      event,
      start_time: ts,
      finish_time: null,
      result: null,
      traceback: null,
      host,
      details: null,
      created_at: ts,
      updated_at: null,
      deleted_at: null,
    })
    .execute();
}

/** Closes an event with Success or Error (and, for an error, why: the action's message too). */
export async function finishEvent(
  db: Db,
  instanceUuid: string,
  requestId: string,
  event: string,
  error?: { message: string; details?: string },
): Promise<void> {
  const id = await actionId(db, instanceUuid, requestId);
  if (id === undefined) return;
  const ts = now();
  await db
    .updateTable('instance_actions_events')
    .set({
      finish_time: ts,
      updated_at: ts,
      result: error ? 'Error' : 'Success',
      traceback: error?.details ?? null,
      details: error?.message ?? null,
    })
    .where('action_id', '=', id)
    .where('event', '=', event)
    .where('finish_time', 'is', null)
    .execute();
  await db
    .updateTable('instance_actions')
    .set({ updated_at: ts, ...(error ? { message: 'Error' } : {}) })
    .where('id', '=', id)
    .execute();
}

/** Whether the action of `requestId` has `event` finished (a step run again after its worker died
 * tells so whether its predecessor got to the end). */
export async function eventFinished(db: Db, instanceUuid: string, requestId: string, event: string): Promise<boolean> {
  const id = await actionId(db, instanceUuid, requestId);
  if (id === undefined) return false;
  const row = await db
    .selectFrom('instance_actions_events')
    .select('id')
    .where('action_id', '=', id)
    .where('event', '=', event)
    .where('finish_time', 'is not', null)
    .executeTakeFirst();
  return row !== undefined;
}
