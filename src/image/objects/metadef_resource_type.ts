// Resource types (OS::Glance::Image, OS::Nova::Flavor ...) and their associations with
// namespaces: associating a namespace with a type that does not exist yet creates the type.
import type { Selectable } from 'kysely';
import type { MetadefResourceTypesTable } from '../db/schema.js';
import { Forbidden } from '../exceptions.js';
import { now } from '../../common/time.js';
import { unique, type MetadefDB } from './metadef.js';
import type { NamespaceRecord } from './metadef_namespace.js';

export type ResourceTypeRecord = Selectable<MetadefResourceTypesTable>;

export interface AssociationInput {
  name: string;
  prefix: string | null;
  properties_target: string | null;
}

export interface AssociationRecord extends AssociationInput {
  namespace_id: number;
  resource_type_id: number;
  created_at: string;
  updated_at: string;
}

export async function listResourceTypes(db: MetadefDB): Promise<ResourceTypeRecord[]> {
  return db.selectFrom('metadef_resource_types').selectAll().orderBy('id').execute();
}

export async function findResourceType(db: MetadefDB, name: string): Promise<ResourceTypeRecord | undefined> {
  return db.selectFrom('metadef_resource_types').selectAll().where('name', '=', name).executeTakeFirst();
}

/** The associations of these namespaces, in the order they were made. */
export async function associationsOf(db: MetadefDB, namespaceIds: number[]): Promise<AssociationRecord[]> {
  if (!namespaceIds.length) return [];
  return db
    .selectFrom('metadef_namespace_resource_types as a')
    .innerJoin('metadef_resource_types as rt', 'rt.id', 'a.resource_type_id')
    .select([
      'rt.name',
      'a.prefix',
      'a.properties_target',
      'a.namespace_id',
      'a.resource_type_id',
      'a.created_at',
      'a.updated_at',
    ])
    .where('a.namespace_id', 'in', namespaceIds)
    .orderBy('a.created_at')
    .orderBy('rt.id')
    .execute();
}

export async function addAssociation(
  db: MetadefDB,
  ns: NamespaceRecord,
  a: AssociationInput,
): Promise<AssociationRecord> {
  const ts = now();
  // Two requests may create the same new type at once: whichever inserts it, both use it.
  await db
    .insertInto('metadef_resource_types')
    .values({ name: a.name, protected: 0, created_at: ts, updated_at: ts })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const type = (await findResourceType(db, a.name))!;
  const row = {
    namespace_id: ns.id,
    resource_type_id: type.id,
    prefix: a.prefix,
    properties_target: a.properties_target,
    created_at: ts,
    updated_at: ts,
  };
  await unique(
    db.insertInto('metadef_namespace_resource_types').values(row).execute(),
    `The metadata definition resource-type association of resource-type=${a.name} to namespace=${ns.namespace} ` +
      'already exists.',
  );
  return { ...row, name: a.name };
}

export async function removeAssociation(db: MetadefDB, ns: NamespaceRecord, a: AssociationRecord): Promise<void> {
  if (ns.protected) {
    throw new Forbidden(`Metadata definition resource-type-association ${a.name} is protected and cannot be deleted.`);
  }
  await db
    .deleteFrom('metadef_namespace_resource_types')
    .where('namespace_id', '=', a.namespace_id)
    .where('resource_type_id', '=', a.resource_type_id)
    .execute();
}
