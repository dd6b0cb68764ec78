// Namespace properties: named property definitions (each a small JSON schema: type, title,
// enum, bounds ...) stored as JSON, unique by name in their namespace.
import type { Selectable } from 'kysely';
import type { MetadefPropertiesTable } from '../db/schema.js';
import { Forbidden } from '../exceptions.js';
import { PROPERTY_DEFINITION_KEYS } from '../schemas/metadefs.js';
import { now } from '../../common/time.js';
import { unique, type MetadefDB } from './metadef.js';
import type { NamespaceRecord } from './metadef_namespace.js';

export type PropertyDefinition = Record<string, unknown>;

export interface PropertyRecord {
  id: number;
  name: string;
  definition: PropertyDefinition;
}

/** The attributes of a property definition (already validated), without anything else. */
export function propertyDefinition(input: Record<string, unknown>): PropertyDefinition {
  const out: PropertyDefinition = {};
  for (const key of PROPERTY_DEFINITION_KEYS) {
    if (input[key] === undefined) continue;
    const v = input[key];
    if (key === 'items' && v !== null && typeof v === 'object') {
      const { type, enum: values } = v as Record<string, unknown>;
      out.items = { ...(type !== undefined ? { type } : {}), ...(values !== undefined ? { enum: values } : {}) };
    } else {
      out[key] = v;
    }
  }
  return out;
}

function fromRow(row: Selectable<MetadefPropertiesTable>): PropertyRecord {
  return { id: row.id, name: row.name, definition: JSON.parse(row.json_schema) as PropertyDefinition };
}

const duplicate = (name: string, ns: NamespaceRecord) =>
  `A metadata definition property with name=${name} already exists in namespace=${ns.namespace}.`;

export async function listProperties(db: MetadefDB, ns: NamespaceRecord): Promise<PropertyRecord[]> {
  return (
    await db.selectFrom('metadef_properties').selectAll().where('namespace_id', '=', ns.id).orderBy('id').execute()
  ).map(fromRow);
}

export async function findProperty(
  db: MetadefDB,
  ns: NamespaceRecord,
  name: string,
): Promise<PropertyRecord | undefined> {
  const row = await db
    .selectFrom('metadef_properties')
    .selectAll()
    .where('namespace_id', '=', ns.id)
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function insertProperty(
  db: MetadefDB,
  ns: NamespaceRecord,
  name: string,
  definition: PropertyDefinition,
): Promise<PropertyRecord> {
  const ts = now();
  const { id } = await unique(
    db
      .insertInto('metadef_properties')
      .values({ namespace_id: ns.id, name, json_schema: JSON.stringify(definition), created_at: ts, updated_at: ts })
      .returning('id')
      .executeTakeFirstOrThrow(),
    duplicate(name, ns),
  );
  return { id, name, definition };
}

/** Replaces a property (its name included). */
export async function updateProperty(
  db: MetadefDB,
  ns: NamespaceRecord,
  before: PropertyRecord,
  name: string,
  definition: PropertyDefinition,
): Promise<PropertyRecord> {
  await unique(
    db
      .updateTable('metadef_properties')
      .set({ name, json_schema: JSON.stringify(definition), updated_at: now() })
      .where('id', '=', before.id)
      .execute(),
    `Invalid update. It would result in a duplicate metadata definition property with the same name=${name} in ` +
      `namespace=${ns.namespace}.`,
  );
  return { id: before.id, name, definition };
}

export async function deleteProperty(db: MetadefDB, ns: NamespaceRecord, p: PropertyRecord): Promise<void> {
  if (ns.protected) throw new Forbidden(`Metadata definition property ${p.name} is protected and cannot be deleted.`);
  await db.deleteFrom('metadef_properties').where('id', '=', p.id).execute();
}
