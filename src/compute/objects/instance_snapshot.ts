// A server's snapshot as the API asks it (Nova's compute.api.API.snapshot and
// compute.utils.create_image): the image's attributes from the server (its image's properties
// but those Nova never lets a snapshot inherit, the instance, the user, image_type snapshot,
// base_image_ref), then — once the image exists in Glance — the task state and the host's
// snapshot_instance job in one transaction.
import type { Kysely } from 'kysely';
import type { Config } from '../../common/config.js';
import { withTransaction } from '../../common/db/index.js';
import type { JobQueue } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import { InstanceInvalidState } from '../exceptions.js';
import { updateInstance, VmState, type Instance } from './instance.js';
import { Action, startAction } from './instance_action.js';
import type { Caller } from './instance_lifecycle.js';
import { allSystemMetadata } from './instance_system_metadata.js';
import { getRequestSpec } from './request_spec.js';

export const SNAPSHOT_INSTANCE = 'snapshot_instance';

export interface SnapshotPayload {
  uuid: string;
  action_request_id: string;
  image_id: string;
  /** A createBackup's: after the upload, the oldest backups of this type beyond `rotation` go. */
  backup?: Backup;
}

export interface Backup {
  type: string;
  rotation: number;
}

/** Never inherited, whatever [DEFAULT] non_inheritable_image_properties says (Nova's
 * NON_INHERITABLE_IMAGE_PROPERTIES and _NAMESPACES). */
const NEVER_INHERITED = [
  'cinder_encryption_key_id',
  'cinder_encryption_key_deletion_policy',
  'img_signature',
  'img_signature_hash_method',
  'img_signature_key_type',
  'img_signature_certificate_uuid',
];
const NEVER_INHERITED_NAMESPACES = ['os_glance'];

const SNAPSHOT_VM_STATES: string[] = [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED];

export function checkSnapshotState(instance: Instance, action = 'createImage'): void {
  if (!SNAPSHOT_VM_STATES.includes(instance.vm_state ?? '') || instance.host === null) {
    throw new InstanceInvalidState(action, instance.uuid, 'vm_state', instance.vm_state);
  }
  if (instance.task_state !== null) {
    throw new InstanceInvalidState(action, instance.uuid, 'task_state', instance.task_state);
  }
}

/** What Glance is asked to create for a snapshot of `instance` named `name`. */
export async function snapshotImageMeta(
  db: Kysely<ComputeDB>,
  config: Config,
  instance: Instance,
  caller: Caller,
  name: string,
  metadata: Record<string, string>,
  backup?: Backup,
): Promise<Record<string, unknown>> {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(await allSystemMetadata(db, instance.uuid))) {
    if (key.startsWith('image_')) properties[key.slice('image_'.length)] = value;
  }
  const dropped = new Set([...config.nonInheritableImageProperties, ...NEVER_INHERITED]);
  for (const key of Object.keys(properties)) {
    if (dropped.has(key) || NEVER_INHERITED_NAMESPACES.some((ns) => key.startsWith(ns))) delete properties[key];
  }
  const spec = await getRequestSpec(db, instance.uuid);
  const rootGb = instance.flavor.cur['nova_object.data'].root_gb;
  const shared = caller.projectId !== instance.project_id;
  return {
    ...properties,
    ...(instance.image_ref ? { base_image_ref: instance.image_ref } : {}),
    instance_uuid: instance.uuid,
    user_id: caller.userId ?? instance.user_id,
    image_type: backup ? 'backup' : 'snapshot',
    ...(backup ? { backup_type: backup.type } : {}),
    // Someone else's snapshot of the server is shared with the server's project.
    ...(shared ? { instance_owner: instance.project_id } : {}),
    ...metadata,
    name,
    visibility: shared ? 'shared' : 'private',
    min_ram: spec?.image.min_ram ?? 0,
    min_disk: Math.max(spec?.image.min_disk ?? 0, rootGb),
  };
}

/** Hands the snapshot (or backup) to the server's host once Glance has the (queued) image. False
 * when the server's state changed meanwhile (the caller deletes the image). */
export async function requestSnapshot(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  instance: Instance,
  caller: Caller,
  imageId: string,
  backup?: Backup,
): Promise<boolean> {
  return withTransaction(db, async (trx) => {
    const moved = await updateInstance(
      trx,
      instance.uuid,
      { task_state: backup ? 'image_backup' : 'image_snapshot_pending' },
      { taskState: [null], vmState: SNAPSHOT_VM_STATES },
    );
    if (!moved) return false;
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: backup ? Action.BACKUP : Action.CREATE_IMAGE,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
    const payload: SnapshotPayload = {
      uuid: instance.uuid,
      action_request_id: caller.requestId,
      image_id: imageId,
      ...(backup ? { backup } : {}),
    };
    await jobs.enqueue<ComputeDB>(trx, {
      kind: SNAPSHOT_INSTANCE,
      target: instance.host,
      payload,
      dedupeKey: `${SNAPSHOT_INSTANCE}:${imageId}`,
    });
    return true;
  });
}
