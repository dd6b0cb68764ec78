// Host states (Nova's scheduler.host_manager.HostState): for each compute node Placement offered,
// what the filters and weighers look at — its service, availability zone, aggregates, supported
// instances, the servers on it, its free resources (from Placement's provider summaries) and the
// allocation requests that would claim it.
import type { Kysely } from 'kysely';
import type { Config } from '../../common/config.js';
import type { AllocationCandidates, AllocationRequest } from '../../common/clients/placement/index.js';
import type { ComputeDB } from '../db/schema.js';

export interface Aggregate {
  uuid: string;
  name: string;
  metadata: Record<string, string>;
}

export interface HostState {
  host: string;
  node: string;
  /** The compute node's uuid, its resource provider's. */
  uuid: string;
  hypervisorType: string;
  hypervisorVersion: number;
  /** [[arch, hypervisor type, vm mode], ...]. */
  supportedInstances: [string, string, string][];
  serviceDisabled: boolean;
  serviceDisabledReason: string | null;
  serviceUp: boolean;
  availabilityZone: string;
  aggregates: Aggregate[];
  /** Live instances on the host (server group policies count them). */
  instances: Set<string>;
  /** Free amount per resource class on the node's tree (capacity less used). */
  free: Record<string, number>;
  /** The candidates' allocation requests that put the root of the claim on this node. */
  allocationRequests: AllocationRequest[];
}

/** Whether a service that last reported at `lastSeen` counts as up (Nova's DB servicegroup driver). */
export function isUp(lastSeen: string | null, forcedDown: boolean, downTimeSeconds: number, now = Date.now()): boolean {
  if (forcedDown || lastSeen === null) return false;
  return now - Date.parse(lastSeen) <= downTimeSeconds * 1000;
}

/** The availability zone of `host` (its aggregates' availability_zone, else the default). */
export function hostAvailabilityZone(aggregates: Aggregate[], config: Config): string {
  const zones = aggregates.map((a) => a.metadata.availability_zone).filter((z): z is string => z !== undefined);
  return zones.length ? [...new Set(zones)].sort().join(',') : config.defaultAvailabilityZone;
}

export async function aggregatesOfHosts(db: Kysely<ComputeDB>, hosts: string[]): Promise<Map<string, Aggregate[]>> {
  const out = new Map<string, Aggregate[]>(hosts.map((h) => [h, []]));
  if (!hosts.length) return out;
  const rows = await db
    .selectFrom('aggregate_hosts')
    .innerJoin('aggregates', 'aggregates.id', 'aggregate_hosts.aggregate_id')
    .select(['aggregate_hosts.host', 'aggregates.id', 'aggregates.uuid', 'aggregates.name'])
    .where('aggregate_hosts.host', 'in', hosts)
    .execute();
  const ids = [...new Set(rows.map((r) => r.id))];
  const meta = ids.length
    ? await db
        .selectFrom('aggregate_metadata')
        .select(['aggregate_id', 'key', 'value'])
        .where('aggregate_id', 'in', ids)
        .execute()
    : [];
  const byId = new Map<number, Record<string, string>>(ids.map((id) => [id, {}]));
  for (const m of meta) byId.get(m.aggregate_id)![m.key] = m.value;
  for (const r of rows) out.get(r.host)!.push({ uuid: r.uuid, name: r.name, metadata: byId.get(r.id)! });
  return out;
}

/** The host states of the compute nodes among `candidates`, and the providers that are no
 * compute node this service knows (reported, not scheduled to). */
export async function hostStates(
  db: Kysely<ComputeDB>,
  config: Config,
  candidates: AllocationCandidates,
): Promise<{ hosts: HostState[]; unknown: string[] }> {
  const summaries = candidates.provider_summaries;
  const rootOf = (rp: string) => summaries[rp]?.root_provider_uuid ?? rp;
  const byRoot = new Map<string, AllocationRequest[]>();
  for (const ar of candidates.allocation_requests) {
    const roots = new Set(Object.keys(ar.allocations).map(rootOf));
    for (const root of roots) byRoot.set(root, [...(byRoot.get(root) ?? []), ar]);
  }
  const roots = [...byRoot.keys()];
  const nodes = roots.length
    ? await db.selectFrom('compute_nodes').selectAll().where('uuid', 'in', roots).where('deleted', '=', 0).execute()
    : [];
  const hostNames = [...new Set(nodes.map((n) => n.host))];
  const services = hostNames.length
    ? await db
        .selectFrom('services')
        .selectAll()
        .where('host', 'in', hostNames)
        .where('binary', '=', 'nova-compute')
        .where('deleted', '=', 0)
        .execute()
    : [];
  const instances = hostNames.length
    ? await db
        .selectFrom('instances')
        .select(['uuid', 'host'])
        .where('host', 'in', hostNames)
        .where('deleted', '=', 0)
        .execute()
    : [];
  const aggregates = await aggregatesOfHosts(db, hostNames);
  const hosts = nodes.map((n): HostState => {
    const service = services.find((s) => s.host === n.host);
    const free: Record<string, number> = {};
    for (const [rp, summary] of Object.entries(summaries)) {
      if (rootOf(rp) !== n.uuid) continue;
      for (const [rc, r] of Object.entries(summary.resources)) free[rc] = (free[rc] ?? 0) + r.capacity - r.used;
    }
    const aggs = aggregates.get(n.host) ?? [];
    return {
      host: n.host,
      node: n.hypervisor_hostname,
      uuid: n.uuid,
      hypervisorType: n.hypervisor_type,
      hypervisorVersion: n.hypervisor_version,
      supportedInstances: JSON.parse(n.supported_instances ?? '[]') as [string, string, string][],
      serviceDisabled: service ? service.disabled === 1 : true,
      serviceDisabledReason: service ? service.disabled_reason : 'no nova-compute service on the host',
      serviceUp: service
        ? isUp(service.last_seen_up ?? service.created_at, service.forced_down === 1, config.serviceDownTime)
        : false,
      availabilityZone: hostAvailabilityZone(aggs, config),
      aggregates: aggs,
      instances: new Set(instances.filter((i) => i.host === n.host).map((i) => i.uuid)),
      free,
      allocationRequests: byRoot.get(n.uuid)!,
    };
  });
  const known = new Set(nodes.map((n) => n.uuid));
  return { hosts, unknown: roots.filter((r) => !known.has(r)) };
}
