// Server lists (Nova's instance_get_all_by_filters_sort): every filter, the order (the sort keys
// then id) and the page after a marker in SQL.
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Engine } from '../../common/db/index.js';
import type { ComputeDB } from '../db/schema.js';
import { MarkerNotFound } from '../exceptions.js';
import { loadInstances, STATE_MAP, type Db, type Instance, type InstanceRow } from './instance.js';

/** What a list may be sorted by (Nova's server sort keys). */
export const SORT_KEYS = new Set([
  'access_ip_v4',
  'access_ip_v6',
  'auto_disk_config',
  'availability_zone',
  'config_drive',
  'created_at',
  'display_description',
  'display_name',
  'host',
  'hostname',
  'image_ref',
  'instance_type_id',
  'key_name',
  'launch_index',
  'launched_at',
  'locked',
  'locked_by',
  'node',
  'power_state',
  'progress',
  'project_id',
  'root_device_name',
  'task_state',
  'terminated_at',
  'updated_at',
  'user_id',
  'uuid',
  'vm_state',
]);

export interface InstanceFilters {
  /** Null: every project (all_tenants). */
  projectId: string | null;
  /** Exact column matches (user_id, reservation_id, host, node, image_ref, key_name ...). */
  exact: Partial<Record<keyof InstanceRow, string[]>>;
  /** A regex searched in display_name (Python's re.search), as Nova's name filter. */
  name?: string;
  statuses?: string[];
  /** Instances changed at or after (changes-since) and at or before (changes-before); they
   * include deleted ones, as Nova's do. */
  changesSince?: string;
  changesBefore?: string;
  /** Deleted ones only (true), live ones only (false, the default without a time window). */
  deleted?: boolean;
  flavorIds?: number[];
  /** The tag filters of 2.26, each a list of tags: servers with every one (`all`), with at least
   * one (`any`), without some of them (`notAll`), with none of them (`notAny`). */
  tags?: TagFilters;
}

export interface TagFilters {
  all?: string[];
  any?: string[];
  notAll?: string[];
  notAny?: string[];
}

type InstancesRef = ExpressionBuilder<ComputeDB, 'instances'>;

/** The uuids of the servers that have every one of `tags` (Nova's ladder of joins, one per tag). */
function taggedWithAll(eb: InstancesRef, tags: string[]) {
  const wanted = [...new Set(tags)];
  return eb
    .selectFrom('tags')
    .select('tags.resource_id')
    .where('tags.tag', 'in', wanted)
    .groupBy('tags.resource_id')
    .having((h) => h.fn.count('tags.tag').distinct(), '=', wanted.length);
}

/** The uuids of the servers that have at least one of `tags`. */
function taggedWithAny(eb: InstancesRef, tags: string[]) {
  return eb.selectFrom('tags').select('tags.resource_id').where('tags.tag', 'in', tags);
}

export interface InstancePage {
  sort: { key: string; dir: 'asc' | 'desc' }[];
  limit: number;
  marker?: string;
}

/** Sort keys whose column is NOT NULL: ordered and compared without the NULL rules. */
const NOT_NULL_KEYS = new Set(['created_at', 'uuid', 'user_id', 'project_id', 'locked']);

type SortKey = InstancePage['sort'][number];
type Condition = Expression<SqlBool>;

/** The rows that status `status` shows (the inverse of statusOf): a vm_state's own status unless
 * one of its task states shows another, and the task states that show it. */
function showsStatus(eb: InstancesRef, status: string): Condition {
  const terms: Condition[] = [];
  for (const [vmState, entry] of Object.entries(STATE_MAP)) {
    const tasks = Object.entries(entry.tasks ?? {});
    const showing = tasks.filter(([, s]) => s === status).map(([t]) => t);
    if (showing.length) terms.push(eb.and([eb('vm_state', '=', vmState), eb('task_state', 'in', showing)]));
    if (entry.status !== status) continue;
    const others = tasks.filter(([, s]) => s !== status).map(([t]) => t);
    terms.push(
      others.length
        ? eb.and([
            eb('vm_state', '=', vmState),
            eb.or([eb('task_state', 'is', null), eb('task_state', 'not in', others)]),
          ])
        : eb('vm_state', '=', vmState),
    );
  }
  if (status === 'UNKNOWN')
    terms.push(eb.or([eb('vm_state', 'is', null), eb('vm_state', 'not in', Object.keys(STATE_MAP))]));
  return eb.or(terms);
}

/** Nova's name filter, a regex searched in display_name. SQLite calls the REGEXP function every
 * connection has (common/db/index.ts: JavaScript's RegExp, close to Python's re which Nova's SQLite
 * uses); PostgreSQL its own `~`, as Nova's PostgreSQL does. A pattern that is no regex is looked
 * for as plain text. */
function nameFilter(eb: InstancesRef, engine: Engine, pattern: string, literal: boolean): Condition {
  if (literal) {
    const find = engine === 'postgres' ? 'strpos' : 'instr';
    return sql<SqlBool>`${eb.fn(find, [eb.ref('display_name'), eb.val(pattern)])} > 0`;
  }
  return engine === 'postgres' ? eb('display_name', '~', pattern) : eb('display_name', 'regexp', pattern);
}

/** Rows after `marker` in the order of `keys`: NULL sorts first ascending and last descending,
 * as a page is ordered. */
function afterMarker(eb: InstancesRef, keys: SortKey[], marker: InstanceRow): Condition {
  const value = (k: SortKey) => marker[k.key as keyof InstanceRow];
  const ref = (k: SortKey) => eb.ref(k.key as keyof InstanceRow);
  // One direction over NOT NULL columns (the default, created_at then id): a row-value
  // comparison, which both engines answer by seeking in the index.
  if (keys.every((k) => k.dir === keys[0]!.dir && (k.key === 'id' || NOT_NULL_KEYS.has(k.key)))) {
    return sql<SqlBool>`(${sql.join(keys.map(ref))}) ${sql.raw(keys[0]!.dir === 'asc' ? '>' : '<')} (${sql.join(keys.map((k) => value(k)))})`;
  }
  const tie = (k: SortKey) => (value(k) === null ? eb(ref(k), 'is', null) : eb(ref(k), '=', value(k)));
  const after = (k: SortKey): Condition => {
    const m = value(k);
    if (k.dir === 'asc') return m === null ? eb(ref(k), 'is not', null) : eb(ref(k), '>', m);
    return m === null ? eb.lit(false) : eb.or([eb(ref(k), '<', m), eb(ref(k), 'is', null)]);
  };
  return eb.or(keys.map((k, i) => eb.and([...keys.slice(0, i).map(tie), after(k)])));
}

/** A page of servers (Nova's instance_get_all_by_filters_sort): filtered, ordered by the sort keys
 * then id, after the marker and limited, all in SQL, so that a page costs its own rows rather
 * than every server of the project. */
export async function listInstances(
  db: Db,
  engine: Engine,
  f: InstanceFilters,
  page: InstancePage,
): Promise<Instance[]> {
  let marker: InstanceRow | undefined;
  if (page.marker !== undefined) {
    marker = await db.selectFrom('instances').selectAll().where('uuid', '=', page.marker).executeTakeFirst();
    if (!marker || (f.projectId !== null && marker.project_id !== f.projectId)) throw new MarkerNotFound(page.marker);
  }
  const lastDir = page.sort[page.sort.length - 1]?.dir ?? 'desc';
  const keys: SortKey[] = [...page.sort, { key: 'id', dir: lastDir }];
  const query = (literalName: boolean) => {
    let q = db.selectFrom('instances').selectAll();
    if (f.projectId !== null) q = q.where('project_id', '=', f.projectId);
    for (const [column, values] of Object.entries(f.exact) as [keyof InstanceRow, string[]][]) {
      q = q.where(sql.ref(column), 'in', values);
    }
    if (f.flavorIds) q = q.where('instance_type_id', 'in', f.flavorIds.length ? f.flavorIds : [-1]);
    const { all, any, notAll, notAny } = f.tags ?? {};
    if (all?.length) q = q.where('uuid', 'in', (eb) => taggedWithAll(eb, all));
    if (any?.length) q = q.where('uuid', 'in', (eb) => taggedWithAny(eb, any));
    if (notAll?.length) q = q.where('uuid', 'not in', (eb) => taggedWithAll(eb, notAll));
    if (notAny?.length) q = q.where('uuid', 'not in', (eb) => taggedWithAny(eb, notAny));
    const window = f.changesSince !== undefined || f.changesBefore !== undefined;
    if (f.deleted === true) q = q.where('deleted', '!=', 0);
    else if (f.deleted === false || !window) q = q.where('deleted', '=', 0);
    const { changesSince: since, changesBefore: before, name, statuses } = f;
    const changed = sql<string>`coalesce(updated_at, created_at)`;
    if (since !== undefined) q = q.where((eb) => eb.or([eb(changed, '>=', since), eb('deleted_at', '>=', since)]));
    if (before !== undefined) q = q.where(changed, '<=', before);
    if (name !== undefined) q = q.where((eb) => nameFilter(eb, engine, name, literalName));
    if (statuses)
      q = q.where((eb) => eb.or([...new Set(statuses.map((s) => s.toUpperCase()))].map((s) => showsStatus(eb, s))));
    if (marker) q = q.where((eb) => afterMarker(eb, keys, marker));
    for (const k of keys) {
      const nullable = k.key !== 'id' && !NOT_NULL_KEYS.has(k.key);
      q = q.orderBy(sql.ref(k.key), (ob) => {
        const o = k.dir === 'asc' ? ob.asc() : ob.desc();
        if (!nullable) return o;
        return k.dir === 'asc' ? o.nullsFirst() : o.nullsLast();
      });
    }
    return q.limit(page.limit).execute();
  };
  let rows: InstanceRow[];
  if (f.name !== undefined && !isRegExp(f.name)) rows = await query(true);
  else {
    try {
      rows = await query(false);
    } catch (e) {
      // PostgreSQL's regexes are not JavaScript's: one it refuses is looked for as text.
      if ((e as { code?: string }).code !== INVALID_REGULAR_EXPRESSION) throw e;
      rows = await query(true);
    }
  }
  return loadInstances(db, rows);
}

const INVALID_REGULAR_EXPRESSION = '2201B';

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}
