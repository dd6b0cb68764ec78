// The images a caller may list, filtered, sorted and paged as Glance's image_get_all does it, in
// one query: a regular caller sees public and community images, its own project's, and shared
// images its project is a member of (in the requested member status); an administrator sees all.
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { ImageDB } from '../db/schema.js';
import type { Condition, ListQuery } from './list_query.js';
import { hydrate, type ImageRecord } from './image.js';

export interface Viewer {
  project: string | null;
  isAdmin: boolean;
}

type EB = ExpressionBuilder<ImageDB & { i: ImageDB['images'] }, 'i'>;

const TEXT_NULLABLE = new Set(['name', 'container_format', 'disk_format']);

/** The value a sort key orders by: NULL counts as '' or 0 (as Glance's paginate_query defaults
 * them), the same on both engines and in ORDER BY as in the marker comparison. */
function sortValue(key: string): Expression<unknown> {
  if (TEXT_NULLABLE.has(key)) return sql`coalesce(${sql.ref(`i.${key}`)}, '')`;
  if (key === 'size') return sql`coalesce(i.size, 0)`;
  return sql.ref(`i.${key}`);
}

function markerValue(key: string, marker: ImageRecord): string | number {
  const v = marker[key as keyof ImageRecord] as string | number | null;
  return v ?? (key === 'size' ? 0 : '');
}

function conditionSql(eb: EB, c: Condition): Expression<SqlBool> {
  switch (c.kind) {
    case 'in':
      return eb(sql.ref(`i.${c.attr}`), 'in', c.values);
    case 'compare':
      return eb(sql.ref(`i.${c.attr}`), c.op as '=', c.value);
    case 'never':
      return sql<SqlBool>`1 = 0`;
    case 'property':
      return eb.exists(
        eb
          .selectFrom('image_properties as p')
          .select('p.name')
          .whereRef('p.image_id', '=', 'i.id')
          .where('p.name', '=', c.name)
          .where('p.value', '=', c.value),
      );
  }
}

function visibleTo(eb: EB, viewer: Viewer, memberStatus: string): Expression<SqlBool> {
  const p = viewer.project;
  if (p === null) return eb('i.visibility', 'in', ['public', 'community']);
  let membership = eb
    .selectFrom('image_members as m')
    .select('m.member')
    .whereRef('m.image_id', '=', 'i.id')
    .where('m.member', '=', p);
  if (memberStatus !== 'all') membership = membership.where('m.status', '=', memberStatus);
  return eb.or([
    eb('i.visibility', 'in', ['public', 'community']),
    eb('i.owner', '=', p),
    eb.and([eb('i.visibility', '=', 'shared'), eb.exists(membership)]),
  ]);
}

/** One page of images; `marker` is the (visible) image the page starts after. */
export async function listImages(
  db: Kysely<ImageDB>,
  viewer: Viewer,
  q: ListQuery,
  marker?: ImageRecord,
): Promise<ImageRecord[]> {
  let query = db
    .selectFrom('images as i')
    .selectAll('i')
    .where('i.deleted', '=', 0)
    .where('i.os_hidden', '=', q.osHidden ? 1 : 0);
  if (!viewer.isAdmin) query = query.where((eb) => visibleTo(eb, viewer, q.memberStatus));
  if (q.visibility !== undefined) {
    if (q.visibility !== 'all') query = query.where('i.visibility', '=', q.visibility);
  } else if (viewer.project === null) {
    query = query.where('i.visibility', '!=', 'community');
  } else {
    // Community images appear in a default listing only to the project that owns them.
    const p = viewer.project;
    query = query.where((eb) => eb.or([eb('i.owner', '=', p), eb('i.visibility', '!=', 'community')]));
  }
  for (const c of q.conditions) query = query.where((eb) => conditionSql(eb, c));
  for (const tag of q.tags) {
    query = query.where((eb) =>
      eb.exists(
        eb.selectFrom('image_tags as t').select('t.id').whereRef('t.image_id', '=', 'i.id').where('t.value', '=', tag),
      ),
    );
  }
  if (marker) {
    const keys = q.sortKeys;
    query = query.where((eb) =>
      eb.or(
        keys.map((key, i) =>
          eb.and([
            ...keys.slice(0, i).map((k) => eb(sortValue(k), '=', markerValue(k, marker))),
            eb(sortValue(key), q.sortDirs[i] === 'asc' ? '>' : '<', markerValue(key, marker)),
          ]),
        ),
      ),
    );
  }
  q.sortKeys.forEach((key, i) => {
    query = query.orderBy(sortValue(key), q.sortDirs[i]);
  });
  const rows = await query.limit(q.limit).execute();
  return hydrate(db, rows);
}
