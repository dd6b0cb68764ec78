// Instance actions and their events (os-instance-actions, `openstack server event list`): one
// action per API request that changes a server, named as Nova names them (create, delete,
// reboot, stop ...), and one event per step a service took for it, with its result.
import type { Compilable } from 'kysely';
import { engineOf, executeTogether } from '../../common/db/index.js';
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
  EVACUATE: 'evacuate',
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
  await actionInsert(db, a).execute();
}

/** The statement startAction runs, for a batch (executeTogether). */
export function actionInsert(db: Db, a: ActionRequest) {
  const ts = now();
  return db.insertInto('instance_actions').values({
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
  });
}

/** The id of the action of `requestId` (the latest, should a request id repeat), as a subquery. */
function actionOf(db: Db, instanceUuid: string, requestId: string) {
  return db
    .selectFrom('instance_actions')
    .select('id')
    .where('instance_uuid', '=', instanceUuid)
    .where('request_id', '=', requestId)
    .orderBy('id', 'desc')
    .limit(1);
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
  // By itself, the restart runs only when nothing was opened: one statement in the usual case.
  const [open, restart] = startEventQueries(db, instanceUuid, requestId, event, host);
  if (await open.returning('id').executeTakeFirst()) return;
  await restart.execute();
}

/** The statements startEvent runs, for a batch (executeTogether, executeAtomically): the event
 * added to the action unless the action has it open, then the one an earlier run left open
 * (opened before this one) started again. */
export function startEventQueries(db: Db, instanceUuid: string, requestId: string, event: string, host: string | null) {
  const ts = now();
  return [
    db
      .insertInto('instance_actions_events')
      .columns(['action_id', 'event', 'start_time', 'host', 'created_at'])
      .expression((eb) =>
        eb
          .selectFrom('instance_actions as a')
          .select((s) => [
            'a.id',
            s.val(event).as('event'),
            s.val(ts).as('start_time'),
            s.val(host).as('host'),
            s.val(ts).as('created_at'),
          ])
          .where('a.id', '=', actionOf(db, instanceUuid, requestId))
          .where((w) =>
            w.not(
              w.exists(
                w
                  .selectFrom('instance_actions_events as e')
                  .select('e.id')
                  .whereRef('e.action_id', '=', 'a.id')
                  .where('e.event', '=', event)
                  .where('e.finish_time', 'is', null),
              ),
            ),
          ),
      ),
    db
      .updateTable('instance_actions_events')
      .set({ start_time: ts, result: null, host, updated_at: ts })
      .where('action_id', '=', actionOf(db, instanceUuid, requestId))
      .where('event', '=', event)
      .where('finish_time', 'is', null)
      .where('created_at', '<>', ts),
  ] as const;
}

/** Closes an event with Success or Error (and, for an error, why: the action's message too). */
export async function finishEvent(
  db: Db,
  instanceUuid: string,
  requestId: string,
  event: string,
  error?: { message: string; details?: string },
): Promise<void> {
  await executeTogether(db, finishEventQueries(db, instanceUuid, requestId, event, error));
}

/** The statements finishEvent runs, for a batch (executeTogether, executeAtomically). */
export function finishEventQueries(
  db: Db,
  instanceUuid: string,
  requestId: string,
  event: string,
  error?: { message: string; details?: string },
): Compilable[] {
  const ts = now();
  const close = (d: Db) =>
    d
      .updateTable('instance_actions_events')
      .set({
        finish_time: ts,
        updated_at: ts,
        result: error ? 'Error' : 'Success',
        traceback: error?.details ?? null,
        details: error?.message ?? null,
      })
      .where('action_id', '=', actionOf(d, instanceUuid, requestId))
      .where('event', '=', event)
      .where('finish_time', 'is', null);
  // Nova bumps the action's updated_at with each event it closes (shown from 2.58).
  const touch = { updated_at: ts, ...(error ? { message: 'Error' } : {}) };
  const action = actionOf(db, instanceUuid, requestId);
  // On PostgreSQL one statement: the event closed by a data-modifying WITH (which runs, referred
  // to or not).
  if (engineOf(db) === 'postgres') {
    return [
      db
        .with('closed', (d) => close(d as Db))
        .updateTable('instance_actions')
        .set(touch)
        .where('id', '=', action),
    ];
  }
  return [close(db), db.updateTable('instance_actions').set(touch).where('id', '=', action)];
}

/** Whether the action of `requestId` has `event` finished (a step run again after its worker died
 * tells so whether its predecessor got to the end). */
export async function eventFinished(db: Db, instanceUuid: string, requestId: string, event: string): Promise<boolean> {
  const row = await db
    .selectFrom('instance_actions_events')
    .select('id')
    .where('action_id', '=', actionOf(db, instanceUuid, requestId))
    .where('event', '=', event)
    .where('finish_time', 'is not', null)
    .executeTakeFirst();
  return row !== undefined;
}
