// Deleting a server (Nova's compute.api.API._delete): one never scheduled at once (the conductor,
// finding it gone, releases what it may have claimed); one on a host through that host, which
// destroys the guest, frees its allocations and deletes the row. A server in VERIFY_RESIZE has
// its resize confirmed first (Nova's _confirm_resize_on_deleting), so that the source host drops
// the old guest and the allocations the migration holds there. Deleting a server being deleted
// is a no-op.
import type { Kysely } from 'kysely';
import { withTransaction } from '../../common/db/index.js';
import type { JobQueue } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import { destroyInstance, updateInstance, VmState, type Db, type Instance } from './instance.js';
import { Action, startAction } from './instance_action.js';
import { checkLocked, type ActionPayload, type Caller } from './instance_lifecycle.js';
import { CONFIRM_RESIZE, enqueueStep } from './instance_resize.js';
import { updateMigration } from './migration.js';
import { hostUp } from './servicegroup.js';

export const TERMINATE_INSTANCE = 'terminate_instance';

/** The resize waiting for its confirmation goes to its source host's confirm_resize (already
 * asked for when the migration is confirming: the job's dedupe key makes it one). */
async function confirmResizeOnDeleting(db: Db, jobs: JobQueue, uuid: string, caller: Caller): Promise<void> {
  const migration = await db
    .selectFrom('migrations')
    .selectAll()
    .where('instance_uuid', '=', uuid)
    .where('status', 'in', ['finished', 'confirming'])
    .where('deleted', '=', 0)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  // Confirmed meanwhile.
  if (!migration) return;
  if (migration.status === 'finished')
    await updateMigration(db, migration.uuid, { status: 'confirming' }, ['finished']);
  await startAction(db, {
    instanceUuid: uuid,
    action: Action.CONFIRM_RESIZE,
    requestId: caller.requestId,
    userId: caller.userId,
    projectId: caller.projectId,
  });
  await enqueueStep(db, jobs, CONFIRM_RESIZE, migration.source_compute!, migration, caller.requestId);
}

/** How a delete went: `deleted` at once (never scheduled), `local` at once because its host is
 * down (the caller then releases its claim), `queued` for its host, or nothing to do (`deleting`
 * already). */
export type DeleteOutcome = 'deleted' | 'local' | 'queued' | 'deleting';

/** Deletes a server; one whose host's nova-compute service is down (its agent gone for longer
 * than `downTimeSeconds`), whose jobs nothing would run, at once too, as Nova's local delete. */
export async function deleteInstance(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  instance: Instance,
  caller: Caller,
  downTimeSeconds: number | null = null,
): Promise<DeleteOutcome> {
  checkLocked(instance, caller);
  if (instance.task_state === 'deleting') return 'deleting';
  return withTransaction(db, async (trx): Promise<DeleteOutcome> => {
    const current = await trx
      .selectFrom('instances')
      .select(['host', 'task_state', 'vm_state'])
      .where('uuid', '=', instance.uuid)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (current?.vm_state === VmState.RESIZED && current.task_state !== 'deleting') {
      await confirmResizeOnDeleting(trx, jobs, instance.uuid, caller);
    }
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: Action.DELETE,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
    if (!current || current.task_state === 'deleting') return 'deleting';
    if (current.host === null) {
      await destroyInstance(trx, instance.uuid);
      return 'deleted';
    }
    if (downTimeSeconds !== null && !(await hostUp(trx, current.host, downTimeSeconds))) {
      await destroyInstance(trx, instance.uuid);
      return 'local';
    }
    await updateInstance(trx, instance.uuid, { task_state: 'deleting' });
    const payload: ActionPayload = { uuid: instance.uuid, action_request_id: caller.requestId };
    await jobs.enqueue<ComputeDB>(trx, {
      kind: TERMINATE_INSTANCE,
      target: current.host,
      payload,
      dedupeKey: `${TERMINATE_INSTANCE}:${instance.uuid}`,
    });
    return 'queued';
  });
}
