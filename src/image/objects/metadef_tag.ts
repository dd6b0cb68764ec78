// Namespace tags: plain names, unique in their namespace, listed in pages.
import { sql, type Selectable } from 'kysely';
import type { MetadefTagsTable } from '../db/schema.js';
import { Forbidden } from '../exceptions.js';
import { now } from '../../common/time.js';
import { unique, type MetadefDB } from './metadef.js';
import type { NamespaceRecord } from './metadef_namespace.js';

export type TagRecord = Selectable<MetadefTagsTable>;

export const TAG_SORT_KEYS = ['name', 'created_at', 'updated_at'];

const duplicate = (name: string, ns: NamespaceRecord) =>
  `A metadata tag with name=${name} already exists in namespace=${ns.namespace}.`;

export interface TagListQuery {
  limit?: number;
  marker?: TagRecord;
  sortKey: string;
  sortDir: 'asc' | 'desc';
}

export async function listTags(db: MetadefDB, ns: NamespaceRecord, q: TagListQuery): Promise<TagRecord[]> {
  let query = db.selectFrom('metadef_tags').selectAll().where('namespace_id', '=', ns.id);
  const keys = [...new Set([q.sortKey, 'created_at', 'id'])];
  const marker = q.marker;
  if (marker) {
    const op = q.sortDir === 'asc' ? '>' : '<';
    const value = (k: string) => marker[k as keyof TagRecord];
    query = query.where((eb) =>
      eb.or(
        keys.map((key, i) =>
          eb.and([...keys.slice(0, i).map((k) => eb(sql.ref(k), '=', value(k))), eb(sql.ref(key), op, value(key))]),
        ),
      ),
    );
  }
  for (const key of keys) query = query.orderBy(sql.ref(key), q.sortDir);
  if (q.limit !== undefined) query = query.limit(q.limit);
  return query.execute();
}

export async function findTag(db: MetadefDB, ns: NamespaceRecord, name: string): Promise<TagRecord | undefined> {
  return db
    .selectFrom('metadef_tags')
    .selectAll()
    .where('namespace_id', '=', ns.id)
    .where('name', '=', name)
    .executeTakeFirst();
}

/** Adds tags (in a transaction when several); 409 for a name already there. */
export async function insertTags(db: MetadefDB, ns: NamespaceRecord, names: string[]): Promise<TagRecord[]> {
  const out: TagRecord[] = [];
  for (const name of names) {
    const ts = now();
    const row = { namespace_id: ns.id, name, created_at: ts, updated_at: ts };
    const { id } = await unique(
      db.insertInto('metadef_tags').values(row).returning('id').executeTakeFirstOrThrow(),
      duplicate(name, ns),
    );
    out.push({ ...row, id });
  }
  return out;
}

export async function renameTag(db: MetadefDB, ns: NamespaceRecord, tag: TagRecord, name: string): Promise<TagRecord> {
  const updated_at = now();
  await unique(
    db.updateTable('metadef_tags').set({ name, updated_at }).where('id', '=', tag.id).execute(),
    duplicate(name, ns),
  );
  return { ...tag, name, updated_at };
}

export async function deleteTag(db: MetadefDB, ns: NamespaceRecord, tag: TagRecord): Promise<void> {
  if (ns.protected) throw new Forbidden(`Metadata definition tag ${tag.name} is protected and cannot be deleted.`);
  await db.deleteFrom('metadef_tags').where('id', '=', tag.id).execute();
}
