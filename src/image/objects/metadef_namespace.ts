// Metadata definition namespaces as records: who sees which (Glance's database-layer visibility:
// administrators all, others public ones and their project's), the paged list, creation with the
// content a request may carry, renaming, and deletion of the namespace or of one kind of content.
import { sql, type Expression, type Kysely, type Selectable } from 'kysely';
import { withTransaction } from '../../common/db/index.js';
import type { ImageDB, MetadefNamespacesTable } from '../db/schema.js';
import { Forbidden } from '../exceptions.js';
import { now } from '../../common/time.js';
import { unique, type MetadefDB } from './metadef.js';
import { insertObject, type ObjectInput } from './metadef_object.js';
import { insertProperty, type PropertyDefinition } from './metadef_property.js';
import { insertTags } from './metadef_tag.js';
import { addAssociation, type AssociationInput } from './metadef_resource_type.js';

export type NamespaceRecord = Omit<Selectable<MetadefNamespacesTable>, 'protected'> & { protected: boolean };

export interface Viewer {
  project: string | null;
  isAdmin: boolean;
}

/** What a client sets on a namespace. */
export type NamespaceInput = Pick<
  NamespaceRecord,
  'namespace' | 'display_name' | 'description' | 'visibility' | 'protected' | 'owner'
>;

export interface NamespaceContent {
  associations: AssociationInput[];
  objects: ObjectInput[];
  properties: [string, PropertyDefinition][];
  tags: string[];
}

/** The keys a namespace list may be sorted by. */
export const NAMESPACE_SORT_KEYS = [
  'namespace',
  'display_name',
  'visibility',
  'protected',
  'owner',
  'created_at',
  'updated_at',
];

function fromRow(row: Selectable<MetadefNamespacesTable>): NamespaceRecord {
  return { ...row, protected: Boolean(row.protected) };
}

export function isNamespaceVisible(viewer: Viewer, ns: NamespaceRecord): boolean {
  return viewer.isAdmin || ns.visibility === 'public' || (viewer.project !== null && ns.owner === viewer.project);
}

export async function findNamespace(db: MetadefDB, name: string): Promise<NamespaceRecord | undefined> {
  const row = await db.selectFrom('metadef_namespaces').selectAll().where('namespace', '=', name).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export interface NamespaceListQuery {
  limit: number;
  marker?: NamespaceRecord;
  sortKey: string;
  sortDir: 'asc' | 'desc';
  visibility?: string;
  /** Only namespaces associated with one of these resource types. */
  resourceTypes?: string[];
}

/** The value a key sorts by, the same in ORDER BY as against the marker (NULL as ''). */
function sortValue(key: string): Expression<unknown> {
  return key === 'display_name' ? sql`coalesce(ns.display_name, '')` : sql.ref(`ns.${key}`);
}

function markerValue(key: string, marker: NamespaceRecord): string | number {
  if (key === 'protected') return marker.protected ? 1 : 0;
  return (marker[key as keyof NamespaceRecord] as string | number | null) ?? '';
}

export async function listNamespaces(db: MetadefDB, viewer: Viewer, q: NamespaceListQuery): Promise<NamespaceRecord[]> {
  let query = db.selectFrom('metadef_namespaces as ns').selectAll('ns');
  if (!viewer.isAdmin) {
    const project = viewer.project;
    query = query.where((eb) =>
      project === null
        ? eb('ns.visibility', '=', 'public')
        : eb.or([eb('ns.owner', '=', project), eb('ns.visibility', '=', 'public')]),
    );
  }
  if (q.visibility !== undefined) query = query.where('ns.visibility', '=', q.visibility);
  if (q.resourceTypes) {
    const types = q.resourceTypes;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('metadef_namespace_resource_types as a')
          .innerJoin('metadef_resource_types as rt', 'rt.id', 'a.resource_type_id')
          .select('a.namespace_id')
          .whereRef('a.namespace_id', '=', 'ns.id')
          .where('rt.name', 'in', types),
      ),
    );
  }
  const keys = [...new Set([q.sortKey, 'created_at', 'id'])];
  const marker = q.marker;
  if (marker) {
    const op = q.sortDir === 'asc' ? '>' : '<';
    query = query.where((eb) =>
      eb.or(
        keys.map((key, i) =>
          eb.and([
            ...keys.slice(0, i).map((k) => eb(sortValue(k), '=', markerValue(k, marker))),
            eb(sortValue(key), op, markerValue(key, marker)),
          ]),
        ),
      ),
    );
  }
  for (const key of keys) query = query.orderBy(sortValue(key), q.sortDir);
  return (await query.limit(q.limit).execute()).map(fromRow);
}

/** Creates a namespace with its content, all or nothing. */
export async function createNamespace(
  db: Kysely<ImageDB>,
  input: NamespaceInput,
  content: NamespaceContent,
): Promise<NamespaceRecord> {
  return withTransaction(db, async (trx) => {
    const ts = now();
    const row = { ...input, protected: input.protected ? 1 : 0, created_at: ts, updated_at: ts };
    const { id } = await unique(
      trx.insertInto('metadef_namespaces').values(row).returning('id').executeTakeFirstOrThrow(),
      `The metadata definition namespace=${input.namespace} already exists.`,
    );
    const ns = fromRow({ ...row, id });
    for (const a of content.associations) await addAssociation(trx, ns, a);
    for (const o of content.objects) await insertObject(trx, ns, o);
    await insertTags(trx, ns, content.tags);
    for (const [name, definition] of content.properties) await insertProperty(trx, ns, name, definition);
    return ns;
  });
}

/** Saves a namespace's new attributes (and name); 409 when the name is taken. */
export async function updateNamespace(
  db: MetadefDB,
  before: NamespaceRecord,
  input: NamespaceInput,
): Promise<NamespaceRecord> {
  const updated_at = now();
  await unique(
    db
      .updateTable('metadef_namespaces')
      .set({ ...input, protected: input.protected ? 1 : 0, updated_at })
      .where('id', '=', before.id)
      .execute(),
    `Invalid update. It would result in a duplicate metadata definition namespace with the same name of ${input.namespace}`,
  );
  return { ...before, ...input, updated_at };
}

/** Refuses to delete (any of) a protected namespace. */
export function checkNamespaceDeletable(ns: NamespaceRecord): void {
  if (ns.protected)
    throw new Forbidden(`Metadata definition namespace ${ns.namespace} is protected and cannot be deleted.`);
}

export type ContentKind = 'objects' | 'properties' | 'tags';
const CONTENT_TABLES = { objects: 'metadef_objects', properties: 'metadef_properties', tags: 'metadef_tags' } as const;

export async function deleteNamespaceContent(db: MetadefDB, ns: NamespaceRecord, kind: ContentKind): Promise<void> {
  await db.deleteFrom(CONTENT_TABLES[kind]).where('namespace_id', '=', ns.id).execute();
}

/** Deletes a namespace and everything in it. */
export async function deleteNamespace(db: Kysely<ImageDB>, ns: NamespaceRecord): Promise<void> {
  await withTransaction(db, async (trx) => {
    for (const kind of Object.keys(CONTENT_TABLES) as ContentKind[]) await deleteNamespaceContent(trx, ns, kind);
    await trx.deleteFrom('metadef_namespace_resource_types').where('namespace_id', '=', ns.id).execute();
    await trx.deleteFrom('metadef_namespaces').where('id', '=', ns.id).execute();
  });
}
