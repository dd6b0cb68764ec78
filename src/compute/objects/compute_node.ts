// Compute nodes: the hypervisors (os-hypervisors) that compute services manage, one row per node a
// virt driver reports, written by the agent's resource tracker and read by the API. A node's uuid
// is its Placement resource provider's; its hypervisor_hostname is the instances' `node`.
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { engineOf, inTexts } from '../../common/db/index.js';
import type { ComputeDB, ComputeNodesTable } from '../db/schema.js';
import { now } from './flavor.js';

type Db = Kysely<ComputeDB>;

export type ComputeNode = Selectable<ComputeNodesTable>;

const live = (db: Db) => db.selectFrom('compute_nodes').selectAll().where('deleted', '=', 0);

/** The fields the resource tracker sets: what the driver reports, with usage and ratios. */
export type ComputeNodeValues = Pick<
  ComputeNode,
  | 'hypervisor_hostname'
  | 'hypervisor_type'
  | 'hypervisor_version'
  | 'vcpus'
  | 'memory_mb'
  | 'local_gb'
  | 'vcpus_used'
  | 'memory_mb_used'
  | 'local_gb_used'
  | 'free_ram_mb'
  | 'free_disk_gb'
  | 'current_workload'
  | 'running_vms'
  | 'disk_available_least'
  | 'host_ip'
  | 'cpu_info'
  | 'supported_instances'
  | 'cpu_allocation_ratio'
  | 'ram_allocation_ratio'
  | 'disk_allocation_ratio'
>;

export async function computeNodesOfHosts(db: Db, hosts: string[]): Promise<ComputeNode[]> {
  return computeNodesOfHostsQuery(db, hosts).execute();
}

/** computeNodesOfHosts's statement, for a batch: the hosts are one bound value, however many. */
export function computeNodesOfHostsQuery(db: Db, hosts: string[]) {
  return live(db)
    .where(inTexts(engineOf(db), 'host', hosts))
    .orderBy('id');
}

/** A new node's row (a fresh uuid, which becomes its provider's). */
export async function createComputeNode(
  db: Db,
  host: string,
  serviceId: number,
  values: ComputeNodeValues,
): Promise<ComputeNode> {
  return db
    .insertInto('compute_nodes')
    .values({
      ...values,
      uuid: randomUUID(),
      host,
      service_id: serviceId,
      stats: '{}',
      created_at: now(),
      updated_at: null,
      deleted_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A node's update, for a batch. */
export function computeNodeUpdate(db: Db, id: number, values: Partial<ComputeNodeValues & { service_id: number }>) {
  return db
    .updateTable('compute_nodes')
    .set({ ...values, updated_at: now() })
    .where('id', '=', id);
}

/** Soft-deletes nodes (their `deleted` becomes their id, so that a node of the same name may come back). */
export async function deleteComputeNodes(db: Db, ids: number[]): Promise<void> {
  if (!ids.length) return;
  const t = now();
  await db
    .updateTable('compute_nodes')
    .set((eb) => ({ deleted: eb.ref('id'), deleted_at: t, updated_at: t }))
    .where('id', 'in', ids)
    .execute();
}

/** What the instances placed on each node of `hosts` use (Nova's _update_usage_from_instances):
 * every instance not deleted and not shelved offloaded, whatever its power state. Keyed by
 * `host\0node`. */
export interface NodeUsage {
  vcpus: number;
  memoryMb: number;
  localGb: number;
  instances: number;
  workload: number;
}

/** Task states that count as work in progress on a host (nova.compute.stats' io_workload). */
const BUSY_TASK_STATES = [
  'resize_migrating',
  'rebuilding',
  'resize_prep',
  'image_snapshot',
  'image_backup',
  'rescuing',
  'unshelving',
  'shelving',
];

/** A compute node's resource figures: what os-hypervisors/statistics sums over the nodes, and what
 * the detailed view carries until 2.88 took them out. */
export const HYPERVISOR_STATISTICS = [
  'vcpus',
  'memory_mb',
  'local_gb',
  'vcpus_used',
  'memory_mb_used',
  'local_gb_used',
  'free_ram_mb',
  'free_disk_gb',
  'current_workload',
  'running_vms',
  'disk_available_least',
] as const;

export const usageKey = (host: string, node: string) => `${host}\0${node}`;

export async function instanceUsageByNode(db: Db, hosts: string[]): Promise<Map<string, NodeUsage>> {
  return nodeUsage(await instanceUsageQuery(db, hosts).execute());
}

/** instanceUsageByNode's statement, for a batch (then nodeUsage with its rows). */
export function instanceUsageQuery(db: Db, hosts: string[]) {
  return db
    .selectFrom('instances')
    .select(['host', 'node', 'vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb', 'task_state'])
    .where('deleted', '=', 0)
    .where(inTexts(engineOf(db), 'host', hosts))
    .where((eb) => eb.or([eb('vm_state', 'is', null), eb('vm_state', 'not in', ['deleted', 'shelved_offloaded'])]));
}

/** The usage by node of instanceUsageQuery's rows. */
export function nodeUsage(rows: Awaited<ReturnType<ReturnType<typeof instanceUsageQuery>['execute']>>) {
  const out = new Map<string, NodeUsage>();
  for (const r of rows) {
    if (r.host === null || r.node === null) continue;
    const key = usageKey(r.host, r.node);
    const u = out.get(key) ?? { vcpus: 0, memoryMb: 0, localGb: 0, instances: 0, workload: 0 };
    u.vcpus += r.vcpus ?? 0;
    u.memoryMb += r.memory_mb ?? 0;
    u.localGb += (r.root_gb ?? 0) + (r.ephemeral_gb ?? 0);
    u.instances += 1;
    if (r.task_state !== null && BUSY_TASK_STATES.includes(r.task_state)) u.workload += 1;
    out.set(key, u);
  }
  return out;
}

// The API's reads.

/** One page of nodes in id order, after the node `marker` names (its uuid from 2.53, its id
 * before); null when the marker names no node. */
export async function listComputeNodes(
  db: Db,
  page: { limit?: number; marker?: { uuid: string } | { id: number } },
): Promise<ComputeNode[] | null> {
  let q = live(db).orderBy('id');
  if (page.marker) {
    const m =
      'uuid' in page.marker
        ? await live(db).where('uuid', '=', page.marker.uuid).executeTakeFirst()
        : await live(db).where('id', '=', page.marker.id).executeTakeFirst();
    if (!m) return null;
    q = q.where('id', '>', m.id);
  }
  if (page.limit !== undefined) q = q.limit(page.limit);
  return q.execute();
}

export async function findComputeNode(db: Db, id: { uuid: string } | { id: number }): Promise<ComputeNode | undefined> {
  return 'uuid' in id
    ? live(db).where('uuid', '=', id.uuid).executeTakeFirst()
    : live(db).where('id', '=', id.id).executeTakeFirst();
}

/** Nodes whose hypervisor_hostname contains `pattern` (SQL LIKE '%pattern%', as Nova matches it). */
export async function searchComputeNodes(db: Db, pattern: string): Promise<ComputeNode[]> {
  return live(db).where('hypervisor_hostname', 'like', `%${pattern}%`).orderBy('id').execute();
}

export async function computeNodesOfHost(db: Db, host: string): Promise<ComputeNode[]> {
  return live(db).where('host', '=', host).orderBy('id').execute();
}

export interface HypervisorStatistics {
  count: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  vcpus_used: number;
  memory_mb_used: number;
  local_gb_used: number;
  free_ram_mb: number;
  free_disk_gb: number;
  current_workload: number;
  running_vms: number;
  disk_available_least: number;
}

/** Sums over the nodes of enabled compute services (Nova's compute_node_statistics). */
export async function computeNodeStatistics(db: Db): Promise<HypervisorStatistics> {
  const row = await db
    .selectFrom('compute_nodes as cn')
    .innerJoin('services as s', (j) =>
      j
        .onRef('s.host', '=', 'cn.host')
        .on('s.disabled', '=', 0)
        .on('s.binary', '=', 'nova-compute')
        .on('s.deleted', '=', 0),
    )
    .where('cn.deleted', '=', 0)
    .select((eb) => [
      eb.fn.countAll<number>().as('count'),
      ...HYPERVISOR_STATISTICS.map((c) => eb.fn.sum<number | null>(`cn.${c}`).as(c)),
    ])
    .executeTakeFirstOrThrow();
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, Math.trunc(Number(v ?? 0))]),
  ) as unknown as HypervisorStatistics;
}

/** The servers on `host` (os-hypervisors with_servers): Nova names them by its instance_name_template. */
export async function serversOnHost(db: Db, host: string): Promise<{ name: string; uuid: string }[]> {
  const rows = await db
    .selectFrom('instances')
    .select(['id', 'uuid'])
    .where('deleted', '=', 0)
    .where('host', '=', host)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ name: `instance-${r.id.toString(16).padStart(8, '0')}`, uuid: r.uuid }));
}

/** How many instances (not deleted) a host holds. */
export async function countInstancesOnHost(db: Db, host: string): Promise<number> {
  const r = await db
    .selectFrom('instances')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('deleted', '=', 0)
    .where('host', '=', host)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
