// Server lists (Nova's instance_get_all_by_filters_sort): exact and tag filters in SQL, the name
// regex, statuses and time windows on the rows found, sorted by the sort keys then id, paged after
// a marker.
import { sql, type ExpressionBuilder } from 'kysely';
import type { ComputeDB } from '../db/schema.js';
import { MarkerNotFound } from '../exceptions.js';
import { loadInstances, statusOf, type Db, type Instance, type InstanceRow } from './instance.js';

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

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : 1;
}

function nameMatcher(pattern: string): (s: string) => boolean {
  try {
    const re = new RegExp(pattern);
    return (s) => re.test(s);
  } catch {
    return (s) => s.includes(pattern);
  }
}

export async function listInstances(db: Db, f: InstanceFilters, page: InstancePage): Promise<Instance[]> {
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
  let rows = await q.execute();
  if (f.changesSince !== undefined) {
    const since = f.changesSince;
    rows = rows.filter((r) => (r.updated_at ?? r.created_at) >= since || (r.deleted_at ?? '') >= since);
  }
  if (f.changesBefore !== undefined) {
    const before = f.changesBefore;
    rows = rows.filter((r) => (r.updated_at ?? r.created_at) <= before);
  }
  if (f.name !== undefined) {
    const matches = nameMatcher(f.name);
    rows = rows.filter((r) => matches(r.display_name ?? ''));
  }
  if (f.statuses) {
    const wanted = new Set(f.statuses.map((s) => s.toUpperCase()));
    rows = rows.filter((r) => wanted.has(statusOf(r.vm_state, r.task_state)));
  }
  const order = (a: InstanceRow, b: InstanceRow) => {
    for (const { key, dir } of page.sort) {
      const c = compare(a[key as keyof InstanceRow], b[key as keyof InstanceRow]);
      if (c) return dir === 'desc' ? -c : c;
    }
    const lastDir = page.sort[page.sort.length - 1]?.dir ?? 'desc';
    return (lastDir === 'desc' ? -1 : 1) * compare(a.id, b.id);
  };
  rows.sort(order);
  if (page.marker !== undefined) {
    const marker = await db.selectFrom('instances').selectAll().where('uuid', '=', page.marker).executeTakeFirst();
    if (!marker || (f.projectId !== null && marker.project_id !== f.projectId)) throw new MarkerNotFound(page.marker);
    rows = rows.filter((r) => order(r, marker) > 0);
  }
  return loadInstances(db, rows.slice(0, page.limit));
}
