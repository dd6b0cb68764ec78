// Resource classes: the standard ones (os-resource-classes, seeded at startup) and CUSTOM_* ones.
import { sql, type Kysely } from 'kysely';
import { foreignKeyViolation, uniqueViolation, withTransaction, type Engine } from '../../common/db/index.js';
import {
  ResourceClassCannotDeleteStandard,
  ResourceClassExists,
  ResourceClassInUse,
  ResourceClassNotFound,
} from '../exceptions.js';
import type { PlacementDB } from '../db/schema.js';
import STANDARD from '../data/standard-resource-classes.json' with { type: 'json' };
import { now } from '../../common/time.js';
import type { Db } from './resource_provider.js';

export const STANDARD_RESOURCE_CLASSES: readonly string[] = STANDARD;
const STANDARD_SET = new Set(STANDARD_RESOURCE_CLASSES);
/** Custom classes get ids from here on, so standard ids stay stable as the standard list grows. */
export const MIN_CUSTOM_ID = 10000;

export interface ResourceClass {
  id: number;
  name: string;
  created_at: string;
  updated_at: string | null;
}

/** Inserts missing standard classes with their os-resource-classes index as id. */
export async function syncStandardClasses(db: Kysely<PlacementDB>): Promise<void> {
  const have = new Set((await db.selectFrom('resource_classes').select('name').execute()).map((r) => r.name));
  const missing = STANDARD_RESOURCE_CLASSES.map((name, id) => ({ id, name })).filter((r) => !have.has(r.name));
  if (missing.length) {
    const ts = now();
    await db
      .insertInto('resource_classes')
      .values(missing.map((r) => ({ ...r, created_at: ts, updated_at: null })))
      .execute();
  }
}

export async function listResourceClasses(db: Kysely<PlacementDB>): Promise<ResourceClass[]> {
  return db.selectFrom('resource_classes').selectAll().orderBy('id').execute();
}

export async function getResourceClass(db: Kysely<PlacementDB>, name: string): Promise<ResourceClass> {
  const rc = await db.selectFrom('resource_classes').selectAll().where('name', '=', name).executeTakeFirst();
  if (!rc) throw new ResourceClassNotFound(name);
  return rc;
}

export async function findResourceClass(db: Db, name: string): Promise<ResourceClass | undefined> {
  return db.selectFrom('resource_classes').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Creates a custom class with the next custom id (the highest + 1, from MIN_CUSTOM_ID, as
 * upstream). Creators are serialised, so that two never take the same id: on PostgreSQL by a
 * table lock that lets readers through, on SQLite by its single writer (a creator whose
 * snapshot went stale is retried by withTransaction). */
export async function createResourceClass(
  db: Kysely<PlacementDB>,
  engine: Engine,
  name: string,
): Promise<ResourceClass> {
  const exists = () => new ResourceClassExists(name);
  try {
    return await withTransaction(db, async (trx) => {
      if (engine === 'postgres') await sql`LOCK TABLE resource_classes IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
      if (await findResourceClass(trx, name)) throw exists();
      const max = await trx
        .selectFrom('resource_classes')
        .select((eb) => eb.fn.max('id').as('m'))
        .where('id', '>=', MIN_CUSTOM_ID)
        .executeTakeFirst();
      const id = Math.max(MIN_CUSTOM_ID, Number(max?.m ?? MIN_CUSTOM_ID - 1) + 1);
      const row = { id, name, created_at: now(), updated_at: null };
      await trx.insertInto('resource_classes').values(row).execute();
      return row;
    });
  } catch (e) {
    if (uniqueViolation(e)?.includes('name')) throw exists();
    throw e;
  }
}

export async function deleteResourceClass(db: Kysely<PlacementDB>, name: string): Promise<void> {
  const rc = await getResourceClass(db, name);
  if (STANDARD_SET.has(name)) throw new ResourceClassCannotDeleteStandard(name);
  const inUse = () => new ResourceClassInUse(name);
  try {
    await withTransaction(db, async (trx) => {
      const inv = await trx
        .selectFrom('inventories')
        .select('id')
        .where('resource_class_id', '=', rc.id)
        .limit(1)
        .executeTakeFirst();
      if (inv) throw inUse();
      await trx.deleteFrom('resource_classes').where('id', '=', rc.id).execute();
    });
  } catch (e) {
    // An inventory of the class was added after our look.
    if (foreignKeyViolation(e)) throw inUse();
    throw e;
  }
}

export function isStandardClass(name: string): boolean {
  return STANDARD_SET.has(name);
}

const STANDARD_IDS = new Map(STANDARD_RESOURCE_CLASSES.map((name, id) => [name, id]));

/** A standard class's id (its os-resource-classes index, as syncStandardClasses seeds it). */
export function standardClassId(name: string): number | undefined {
  return STANDARD_IDS.get(name);
}

/** Renames a custom class; null when the new name is taken. */
export async function renameResourceClass(
  db: Kysely<PlacementDB>,
  rc: ResourceClass,
  name: string,
): Promise<ResourceClass | null> {
  if (await findResourceClass(db, name)) return null;
  const updated_at = now();
  try {
    await withTransaction(db, async (trx) => {
      await trx.updateTable('resource_classes').set({ name, updated_at }).where('id', '=', rc.id).execute();
    });
  } catch (e) {
    // Another class took the name after our look.
    if (uniqueViolation(e)) return null;
    throw e;
  }
  return { ...rc, name, updated_at };
}
