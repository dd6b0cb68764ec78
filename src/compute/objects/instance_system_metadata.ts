// An instance's system metadata (instance_system_metadata): what Nova keeps of an instance beside
// the user's metadata — the image's properties (image_*), the vm_state a resize stashes
// (old_vm_state), a lock's reason, a shelved server's image and host (shelved_*).
import { sql } from 'kysely';
import { now, type Db } from './instance.js';

export async function systemMetadata(db: Db, uuid: string, key: string): Promise<string | null> {
  const row = await db
    .selectFrom('instance_system_metadata')
    .select('value')
    .where('instance_uuid', '=', uuid)
    .where('key', '=', key)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return row?.value ?? null;
}

/** Every key of the instance's system metadata. */
export async function allSystemMetadata(db: Db, uuid: string): Promise<Record<string, string>> {
  const rows = await db
    .selectFrom('instance_system_metadata')
    .select(['key', 'value'])
    .where('instance_uuid', '=', uuid)
    .where('deleted', '=', 0)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.value ?? '']));
}

/** Sets `key` (null removes it). */
export async function setSystemMetadata(db: Db, uuid: string, key: string, value: string | null): Promise<void> {
  await db.deleteFrom('instance_system_metadata').where('instance_uuid', '=', uuid).where('key', '=', key).execute();
  if (value === null) return;
  await db
    .insertInto('instance_system_metadata')
    .values({ instance_uuid: uuid, key, value, created_at: now(), updated_at: null, deleted_at: null })
    .execute();
}

/** The image properties kept as image_* keys, replaced by those of the image the instance is
 * (re)built from (Nova's get_system_metadata_from_image; a rebuild's _reset_image_metadata). */
export async function setImageProperties(db: Db, uuid: string, properties: Record<string, string>): Promise<void> {
  await db
    .deleteFrom('instance_system_metadata')
    .where('instance_uuid', '=', uuid)
    .where(sql`substr(key, 1, 6)`, '=', 'image_')
    .execute();
  await imagePropertiesInsert(db, uuid, properties)?.execute();
}

/** The statement writing a new instance's image_* keys (none without properties): it has nothing
 * to replace. For a batch (executeTogether). */
export function imagePropertiesInsert(db: Db, uuid: string, properties: Record<string, string>) {
  const ts = now();
  const rows = Object.entries(properties).map(([key, value]) => ({
    instance_uuid: uuid,
    key: `image_${key}`,
    value,
    created_at: ts,
    updated_at: null,
    deleted_at: null,
  }));
  return rows.length ? db.insertInto('instance_system_metadata').values(rows) : null;
}
