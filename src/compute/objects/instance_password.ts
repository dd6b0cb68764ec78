// The password a guest leaves for its user (Nova's api/metadata/password.py): encrypted by the
// guest, kept in system metadata as password_0 .. password_3, read and cleared through
// os-server-password. Only the metadata service sets it, and concord has none yet: servers have
// an empty one until then.
import type { Kysely } from 'kysely';
import type { ComputeDB } from '../db/schema.js';

const KEY_PREFIX = 'password_';

export async function getPassword(db: Kysely<ComputeDB>, uuid: string): Promise<string> {
  const rows = await db
    .selectFrom('instance_system_metadata')
    .select(['key', 'value'])
    .where('instance_uuid', '=', uuid)
    .where('key', 'like', `${KEY_PREFIX}%`)
    .where('deleted', '=', 0)
    .orderBy('key')
    .execute();
  return rows.map((r) => r.value ?? '').join('');
}

/** Forgets the password (the guest's own is not changed). */
export async function clearPassword(db: Kysely<ComputeDB>, uuid: string): Promise<void> {
  await db
    .deleteFrom('instance_system_metadata')
    .where('instance_uuid', '=', uuid)
    .where('key', 'like', `${KEY_PREFIX}%`)
    .execute();
}
