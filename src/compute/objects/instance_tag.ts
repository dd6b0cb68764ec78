// Server tags (2.26; Nova's objects/tag.py): at most MAX_TAG_COUNT per server, each a non-empty
// string without '/' or ',' (the schemas check the form). Only a server at rest may change them.
import type { Kysely } from 'kysely';
import { withTransaction } from '../../common/db/index.js';
import type { ComputeDB } from '../db/schema.js';
import { InstanceInvalidState, Invalid, NotFound } from '../exceptions.js';
import { VmState, type Instance } from './instance.js';

export const MAX_TAG_COUNT = 50;
export const MAX_TAG_LENGTH = 60;

type Db = Kysely<ComputeDB>;

/** Nova's _check_instance_in_valid_state: tags change on servers active, paused, suspended or
 * stopped. */
export function checkTaggable(instance: Instance, action: string): void {
  const states: string[] = [VmState.ACTIVE, VmState.PAUSED, VmState.SUSPENDED, VmState.STOPPED];
  if (!states.includes(instance.vm_state ?? '')) {
    throw new InstanceInvalidState(action, instance.uuid, 'vm_state', instance.vm_state);
  }
}

export async function listTags(db: Db, uuid: string): Promise<string[]> {
  const rows = await db.selectFrom('tags').select('tag').where('resource_id', '=', uuid).orderBy('tag').execute();
  return rows.map((r) => r.tag);
}

/** Adds a tag; false when the server had it already. */
export function addTag(db: Db, uuid: string, tag: string): Promise<boolean> {
  return withTransaction(db, async (trx) => {
    const tags = await listTags(trx, uuid);
    if (tags.includes(tag)) return false;
    if (tags.length >= MAX_TAG_COUNT) {
      throw new Invalid(`The number of tags exceeded the per-server limit ${MAX_TAG_COUNT}`);
    }
    await trx.insertInto('tags').values({ resource_id: uuid, tag }).execute();
    return true;
  });
}

/** Replaces every tag of a server. */
export function setTags(db: Db, uuid: string, tags: string[]): Promise<string[]> {
  return withTransaction(db, async (trx) => {
    await trx.deleteFrom('tags').where('resource_id', '=', uuid).execute();
    for (const tag of new Set(tags)) await trx.insertInto('tags').values({ resource_id: uuid, tag }).execute();
    return listTags(trx, uuid);
  });
}

export async function removeTag(db: Db, uuid: string, tag: string): Promise<void> {
  const r = await db.deleteFrom('tags').where('resource_id', '=', uuid).where('tag', '=', tag).executeTakeFirst();
  if (!r.numDeletedRows) throw new NotFound(`Instance ${uuid} has no tag '${tag}'`);
}

export async function removeAllTags(db: Db, uuid: string): Promise<void> {
  await db.deleteFrom('tags').where('resource_id', '=', uuid).execute();
}
