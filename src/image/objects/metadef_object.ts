// Namespace objects: named groups of property definitions (with the names of those required),
// unique by name in their namespace.
import type { Selectable } from 'kysely';
import type { MetadefObjectsTable } from '../db/schema.js';
import { Forbidden } from '../exceptions.js';
import { now } from '../../common/time.js';
import { unique, type MetadefDB } from './metadef.js';
import type { NamespaceRecord } from './metadef_namespace.js';
import type { PropertyDefinition } from './metadef_property.js';

export interface ObjectInput {
  name: string;
  description: string | null;
  required: string[];
  properties: Record<string, PropertyDefinition>;
}

export interface ObjectRecord extends ObjectInput {
  id: number;
  created_at: string;
  updated_at: string;
}

function fromRow(row: Selectable<MetadefObjectsTable>): ObjectRecord {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    required: JSON.parse(row.required) as string[],
    properties: JSON.parse(row.json_schema) as Record<string, PropertyDefinition>,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function columns(o: ObjectInput) {
  return {
    name: o.name,
    description: o.description,
    required: JSON.stringify(o.required),
    json_schema: JSON.stringify(o.properties),
  };
}

export async function listObjects(db: MetadefDB, ns: NamespaceRecord): Promise<ObjectRecord[]> {
  return (
    await db.selectFrom('metadef_objects').selectAll().where('namespace_id', '=', ns.id).orderBy('id').execute()
  ).map(fromRow);
}

export async function findObject(db: MetadefDB, ns: NamespaceRecord, name: string): Promise<ObjectRecord | undefined> {
  const row = await db
    .selectFrom('metadef_objects')
    .selectAll()
    .where('namespace_id', '=', ns.id)
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function insertObject(db: MetadefDB, ns: NamespaceRecord, o: ObjectInput): Promise<ObjectRecord> {
  const ts = now();
  const { id } = await unique(
    db
      .insertInto('metadef_objects')
      .values({ ...columns(o), namespace_id: ns.id, created_at: ts, updated_at: ts })
      .returning('id')
      .executeTakeFirstOrThrow(),
    `A metadata definition object with name=${o.name} already exists in namespace=${ns.namespace}.`,
  );
  return { ...o, id, created_at: ts, updated_at: ts };
}

/** Replaces an object (its name included). */
export async function updateObject(
  db: MetadefDB,
  ns: NamespaceRecord,
  before: ObjectRecord,
  o: ObjectInput,
): Promise<ObjectRecord> {
  const updated_at = now();
  await unique(
    db
      .updateTable('metadef_objects')
      .set({ ...columns(o), updated_at })
      .where('id', '=', before.id)
      .execute(),
    `Invalid update. It would result in a duplicate metadata definition object with the same name=${o.name} in ` +
      `namespace=${ns.namespace}.`,
  );
  return { ...before, ...o, updated_at };
}

export async function deleteObject(db: MetadefDB, ns: NamespaceRecord, o: ObjectRecord): Promise<void> {
  if (ns.protected) throw new Forbidden(`Metadata definition object ${o.name} is protected and cannot be deleted.`);
  await db.deleteFrom('metadef_objects').where('id', '=', o.id).execute();
}
