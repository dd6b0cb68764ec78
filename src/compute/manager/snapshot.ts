// The compute manager's snapshot (Nova's ComputeManager.snapshot_instance): the task state moves
// image_snapshot → image_pending_upload → image_uploading as the driver gives the guest's disk
// and the host uploads it into the queued image the API created, which Glance then makes active.
// A failure clears the task state and deletes the image, as Nova does. A backup (Nova's
// backup_instance) starts at image_backup and, once uploaded, rotates: the oldest backups of its
// type beyond the rotation are deleted before the task state clears.
import { asService, ClientError } from '../../common/clients/index.js';
import { withTransaction } from '../../common/db/index.js';
import type { Job, JobHandler } from '../../common/jobs/index.js';
import { getInstance, updateInstance } from '../objects/instance.js';
import { finishEvent, startEvent } from '../objects/instance_action.js';
import { SNAPSHOT_INSTANCE, type Backup, type SnapshotPayload } from '../objects/instance_snapshot.js';
import { messageOf, type ManagerEnv } from './env.js';

const STEPS = ['image_backup', 'image_snapshot_pending', 'image_snapshot', 'image_pending_upload', 'image_uploading'];

/** Deletes the server's backups of `backup.type` but the newest `backup.rotation`. */
async function rotateBackups(env: ManagerEnv, uuid: string, backup: Backup): Promise<void> {
  const backups = await env.clients.image.list(asService(), {
    instance_uuid: uuid,
    image_type: 'backup',
    backup_type: backup.type,
    sort_key: 'created_at',
    sort_dir: 'desc',
  });
  for (const old of backups.slice(backup.rotation)) {
    await env.clients.image.delete(asService(), old.id).catch((err: unknown) => {
      if (!(err instanceof ClientError && err.status === 404)) throw err;
    });
  }
}

async function snapshot(env: ManagerEnv, job: Job): Promise<void> {
  const p = job.payload as SnapshotPayload;
  const db = env.database.db;
  const i = await getInstance(db, p.uuid, { projectId: null }).catch(() => null);
  if (!i || i.host !== env.host || !STEPS.includes(i.task_state ?? '')) return;
  const event = p.backup ? 'compute_backup_instance' : 'compute_snapshot_instance';
  await startEvent(db, i.uuid, p.action_request_id, event, env.host);
  const step = (to: string) => updateInstance(db, i.uuid, { task_state: to }, { taskState: STEPS });
  const image = env.clients.image;
  try {
    await step('image_snapshot');
    await step('image_pending_upload');
    const data = await env.driver.snapshot(i.uuid, job.signal);
    await step('image_uploading');
    // The formats a snapshot's data has, set before the upload as Glance requires.
    await image.update(asService(), p.image_id, { disk_format: 'raw', container_format: 'bare' });
    await image.upload(asService(), p.image_id, data);
    if (p.backup) await rotateBackups(env, i.uuid, p.backup);
  } catch (e) {
    const error = messageOf(e);
    env.log.warn({ instance: i.uuid, image: p.image_id, err: error }, 'snapshot failed');
    await image.delete(asService(), p.image_id).catch((err: unknown) => {
      if (!(err instanceof ClientError && err.status === 404)) throw err;
    });
    await withTransaction(db, async (trx) => {
      await updateInstance(trx, i.uuid, { task_state: null }, { taskState: STEPS });
      await finishEvent(trx, i.uuid, p.action_request_id, event, { message: error });
    });
    return;
  }
  await withTransaction(db, async (trx) => {
    await updateInstance(trx, i.uuid, { task_state: null }, { taskState: STEPS });
    await finishEvent(trx, i.uuid, p.action_request_id, event);
  });
}

export function snapshotHandlers(env: ManagerEnv): Record<string, JobHandler> {
  return { [SNAPSHOT_INSTANCE]: (job) => snapshot(env, job) };
}
