// Host states (Nova's scheduler.host_manager.HostState): for each compute node Placement offered,
// what the filters and weighers look at — its service, availability zone, aggregates, supported
// instances, its free resources (from Placement's provider summaries) and the allocation requests
// that would claim it. Built for every boot over up to [scheduler] max_placement_results nodes, so
// each step is one pass (maps, not searches per node).
import type { Kysely } from 'kysely';
import type { Config } from '../../common/config.js';
import type { AllocationCandidates, AllocationRequest } from '../../common/clients/placement/index.js';
import { inTexts, type Engine } from '../../common/db/index.js';
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

export async function aggregatesOfHosts(
  db: Kysely<ComputeDB>,
  engine: Engine,
  hosts: string[],
): Promise<Map<string, Aggregate[]>> {
  const out = new Map<string, Aggregate[]>(hosts.map((h) => [h, []]));
  if (!hosts.length) return out;
  const rows = await db
    .selectFrom('aggregate_hosts')
    .innerJoin('aggregates', 'aggregates.id', 'aggregate_hosts.aggregate_id')
    .select(['aggregate_hosts.host', 'aggregates.id', 'aggregates.uuid', 'aggregates.name'])
    .where(inTexts(engine, 'aggregate_hosts.host', hosts))
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

/** Above this many keys, the rows of a host-state lookup are read whole and picked in memory: a
 * thousand candidates are most of a cloud's nodes, and one scan costs less than a thousand index
 * probes (5 against 11 µs a row on SQLite). */
const SCAN_ABOVE = 200;

/** The rows among `keys`: `read(keys)`, or for many keys `read(undefined)` (every row) filtered. */
async function among<R>(
  keys: string[],
  read: (keys?: string[]) => Promise<R[]>,
  keyOf: (r: R) => string,
): Promise<R[]> {
  if (!keys.length) return [];
  if (keys.length <= SCAN_ABOVE) return read(keys);
  const wanted = new Set(keys);
  return (await read()).filter((r) => wanted.has(keyOf(r)));
}

/** supported_instances parsed once per distinct text (a fleet's nodes share one). */
const parsedSupport = new Map<string, [string, string, string][]>();
function parseOnce(text: string): [string, string, string][] {
  let v = parsedSupport.get(text);
  if (!v) {
    v = JSON.parse(text) as [string, string, string][];
    if (parsedSupport.size > 100) parsedSupport.clear();
    parsedSupport.set(text, v);
  }
  return v;
}

/** The host states of the compute nodes among `candidates`, and the providers that are no
 * compute node this service knows (reported, not scheduled to). */
export async function hostStates(
  db: Kysely<ComputeDB>,
  engine: Engine,
  config: Config,
  candidates: AllocationCandidates,
): Promise<{ hosts: HostState[]; unknown: string[] }> {
  const summaries = candidates.provider_summaries;
  const rootOf = (rp: string) => summaries[rp]?.root_provider_uuid ?? rp;
  const byRoot = new Map<string, AllocationRequest[]>();
  for (const ar of candidates.allocation_requests) {
    const roots = new Set(Object.keys(ar.allocations).map(rootOf));
    for (const root of roots) {
      const ars = byRoot.get(root);
      if (ars) ars.push(ar);
      else byRoot.set(root, [ar]);
    }
  }
  const freeByRoot = new Map<string, Record<string, number>>();
  for (const [rp, summary] of Object.entries(summaries)) {
    const root = rootOf(rp);
    let free = freeByRoot.get(root);
    if (!free) freeByRoot.set(root, (free = {}));
    for (const [rc, r] of Object.entries(summary.resources)) free[rc] = (free[rc] ?? 0) + r.capacity - r.used;
  }
  const roots = [...byRoot.keys()];
  const nodes = await among(
    roots,
    (wanted) => {
      let q = db
        .selectFrom('compute_nodes')
        .select(['uuid', 'host', 'hypervisor_hostname', 'hypervisor_type', 'hypervisor_version', 'supported_instances'])
        .where('deleted', '=', 0);
      if (wanted) q = q.where(inTexts(engine, 'uuid', wanted));
      return q.execute();
    },
    (n) => n.uuid,
  );
  const hostNames = [...new Set(nodes.map((n) => n.host))];
  const services = await among(
    hostNames,
    (wanted) => {
      let q = db
        .selectFrom('services')
        .select(['host', 'disabled', 'disabled_reason', 'last_seen_up', 'created_at', 'forced_down'])
        .where('binary', '=', 'nova-compute')
        .where('deleted', '=', 0);
      if (wanted) q = q.where(inTexts(engine, 'host', wanted));
      return q.execute();
    },
    (s) => s.host,
  );
  const serviceOf = new Map(services.map((s) => [s.host, s]));
  const aggregates = await aggregatesOfHosts(db, engine, hostNames);
  const hosts = nodes.map((n): HostState => {
    const service = serviceOf.get(n.host);
    const aggs = aggregates.get(n.host) ?? [];
    return {
      host: n.host,
      node: n.hypervisor_hostname,
      uuid: n.uuid,
      hypervisorType: n.hypervisor_type,
      hypervisorVersion: n.hypervisor_version,
      supportedInstances: parseOnce(n.supported_instances ?? '[]'),
      serviceDisabled: service ? service.disabled === 1 : true,
      serviceDisabledReason: service ? service.disabled_reason : 'no nova-compute service on the host',
      serviceUp: service
        ? isUp(service.last_seen_up ?? service.created_at, service.forced_down === 1, config.serviceDownTime)
        : false,
      availabilityZone: hostAvailabilityZone(aggs, config),
      aggregates: aggs,
      free: freeByRoot.get(n.uuid) ?? {},
      allocationRequests: byRoot.get(n.uuid)!,
    };
  });
  const known = new Set(nodes.map((n) => n.uuid));
  return { hosts, unknown: roots.filter((r) => !known.has(r)) };
}

/** The host state of one compute node, Placement not asked: a rebuild on its host claims nothing. */
export async function hostStateOfNode(
  db: Kysely<ComputeDB>,
  engine: Engine,
  config: Config,
  nodeUuid: string,
): Promise<HostState[]> {
  const onNode = { allocation_requests: [{ allocations: { [nodeUuid]: { resources: {} } } }], provider_summaries: {} };
  return (await hostStates(db, engine, config, onNode)).hosts;
}
