// A server's user metadata after its creation (nova/api/openstack/compute/server_metadata.py over
// compute.API.update_instance_metadata / delete_instance_metadata): only a server at rest and not
// locked (for its owner) changes, within the metadata_items quota, in one transaction.
import type { Kysely } from 'kysely';
import { withTransaction } from '../../common/db/index.js';
import type { Config } from '../../common/config.js';
import type { ComputeDB } from '../db/schema.js';
import { InstanceInvalidState, MetadataItemNotFound } from '../exceptions.js';
import { getInstance, now, updateInstance, VmState, type Instance } from './instance.js';
import { checkLocked, type Caller } from './instance_lifecycle.js';
import { checkMetadataQuota } from './instance_quota.js';

type Db = Kysely<ComputeDB>;

const AT_REST: string[] = [VmState.ACTIVE, VmState.PAUSED, VmState.SUSPENDED, VmState.STOPPED];

function checkChangeable(instance: Instance, caller: Caller, action: string): void {
  checkLocked(instance, caller);
  if (!AT_REST.includes(instance.vm_state ?? '')) {
    throw new InstanceInvalidState(action, instance.uuid, 'vm_state', instance.vm_state);
  }
  if (instance.task_state !== null) {
    throw new InstanceInvalidState(action, instance.uuid, 'task_state', instance.task_state);
  }
}

async function write(trx: Db, uuid: string, metadata: Record<string, string>): Promise<void> {
  await trx.deleteFrom('instance_metadata').where('instance_uuid', '=', uuid).execute();
  const ts = now();
  for (const [key, value] of Object.entries(metadata)) {
    await trx
      .insertInto('instance_metadata')
      .values({ instance_uuid: uuid, key, value, created_at: ts, updated_at: null, deleted_at: null })
      .execute();
  }
  // The server changed (changes-since sees it).
  await updateInstance(trx, uuid, {});
}

/** Merges `changes` into the server's metadata, or replaces it with them; returns the result. */
export function updateMetadata(
  db: Db,
  config: Config,
  instance: Instance,
  caller: Caller,
  changes: Record<string, string>,
  replace: boolean,
): Promise<Record<string, string>> {
  return withTransaction(db, async (trx) => {
    const current = await getInstance(trx, instance.uuid, { projectId: null });
    checkChangeable(current, caller, 'update metadata');
    const metadata = replace ? { ...changes } : { ...current.metadata, ...changes };
    await checkMetadataQuota(trx, config, current.project_id, metadata);
    await write(trx, instance.uuid, metadata);
    return metadata;
  });
}

export function deleteMetadataItem(db: Db, instance: Instance, caller: Caller, key: string): Promise<void> {
  return withTransaction(db, async (trx) => {
    const current = await getInstance(trx, instance.uuid, { projectId: null });
    if (!Object.hasOwn(current.metadata, key)) throw new MetadataItemNotFound();
    checkChangeable(current, caller, 'delete metadata');
    const { [key]: _gone, ...rest } = current.metadata;
    await write(trx, instance.uuid, rest);
  });
}
