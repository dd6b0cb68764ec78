// The scheduler (Nova's FilterScheduler.select_destinations): for the instances of one request,
// ask Placement where the request fits (or share the answer a burst of schedulings got a moment
// ago: host_state_cache.ts), turn the candidates into host states, filter and weigh
// them, and claim the best host for each instance by writing its allocations (another scheduler
// racing for the same capacity makes Placement refuse one claim: the next host is tried). The
// hosts after the chosen one are its alternates, for a reschedule. When an instance finds no
// host, the request fails as a whole (the claims made for it are released), with an explanation:
// what Placement was asked and offered, which hosts each filter removed and why, which claims
// were refused.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../../common/config.js';
import type { Engine } from '../../common/db/index.js';
import { asService, ClientError, type PlacementClient } from '../../common/clients/index.js';
import { allocationCandidatesQuery, type AllocationCandidatesQuery } from '../../common/clients/placement/index.js';
import { inTexts } from '../../common/db/index.js';
import type { ComputeDB } from '../db/schema.js';
import type { Instance } from '../objects/instance.js';
import { addAllocations, removeAllocations } from '../placement_allocations.js';
import type { RequestSpec } from '../objects/request_spec.js';
import { enabledFilters, type FilterContext, type GroupInfo, type HintedServers, type HostFilter } from './filters.js';
import { hostStateOfNode, hostStates, type HostState } from './host_state.js';
import type { HostStateCache, HostView } from './host_state_cache.js';
import { resourceRequest } from './request.js';
import { weigh } from './weighers.js';

export interface SchedulerEnv {
  db: Kysely<ComputeDB>;
  engine: Engine;
  config: Config;
  placement: PlacementClient;
  log: Logger;
  /** Placement answers shared by this process's schedulings; none: each asks Placement. */
  hostStateCache?: HostStateCache;
}

/** Where an instance goes: a host, its node, and the allocations claimed there. */
export interface Destination {
  host: string;
  node: string;
  /** The node's availability zone. */
  availabilityZone: string;
  allocation: Record<string, { resources: Record<string, number> }>;
}

export interface Selection extends Destination {
  alternates: Destination[];
}

export interface Explanation {
  instance: string;
  query: string;
  candidates: number;
  providers: number;
  /** Candidates whose provider is no compute node this service knows. */
  unknownProviders: string[];
  /** Hosts set aside before the filters: failed builds, or not the requested destination. */
  skipped: { host: string; node: string; reason: string }[];
  filters: { name: string; removed: { host: string; node: string; reason: string }[]; left: number }[];
  weighed: { host: string; node: string; weight: number }[];
  refusedClaims: { host: string; node: string; reason: string }[];
  /** Why Placement refused the query itself. */
  refusedQuery?: string;
}

export class NoValidHost extends Error {
  constructor(readonly explanation: Explanation) {
    super('No valid host was found. There are not enough hosts available.');
    this.name = 'NoValidHost';
  }
}

/** An explanation as an operator reads it (the fault's details, `concord explain server`). */
export function explain(e: Explanation): string {
  const lines = [`Instance ${e.instance}:`];
  // A rebuild on its host asks Placement nothing.
  if (e.query)
    lines.push(
      e.refusedQuery !== undefined
        ? `Placement refused GET ${e.query}: ${e.refusedQuery}`
        : `Placement returned ${e.candidates} allocation candidate(s) on ${e.providers} provider(s) for GET ${e.query}`,
    );
  if (e.unknownProviders.length) lines.push(`  not compute nodes of this cloud: ${e.unknownProviders.join(', ')}`);
  for (const s of e.skipped) lines.push(`  skipped ${s.host} (${s.node}): ${s.reason}`);
  for (const f of e.filters) {
    lines.push(`${f.name} removed ${f.removed.length} host(s), ${f.left} left`);
    for (const r of f.removed) lines.push(`  ${r.host} (${r.node}): ${r.reason}`);
  }
  if (e.weighed.length)
    lines.push(`Weighed: ${e.weighed.map((w) => `${w.host} (${w.node}) ${w.weight.toFixed(3)}`).join(', ')}`);
  for (const c of e.refusedClaims) lines.push(`Claim on ${c.host} (${c.node}) refused by Placement: ${c.reason}`);
  return lines.join('\n');
}

/** The instance's server group and where its other members run. */
async function groupOf(
  db: Kysely<ComputeDB>,
  uuid: string,
  hints: Record<string, string[]>,
): Promise<GroupInfo | null> {
  const groupUuid = hints.group?.[0];
  if (groupUuid === undefined) return null;
  const group = await db
    .selectFrom('instance_groups')
    .select(['id', 'uuid'])
    .where('uuid', '=', groupUuid)
    .executeTakeFirst();
  if (!group) return null;
  const policy = await db
    .selectFrom('instance_group_policy')
    .select(['policy', 'rules'])
    .where('group_id', '=', group.id)
    .executeTakeFirst();
  const members = await db
    .selectFrom('instance_group_member')
    .innerJoin('instances', 'instances.uuid', 'instance_group_member.instance_uuid')
    .select('instances.host')
    .where('instance_group_member.group_id', '=', group.id)
    .where('instances.deleted', '=', 0)
    .where('instances.uuid', '!=', uuid)
    .where('instances.host', 'is not', null)
    .execute();
  const hosts = new Map<string, number>();
  for (const m of members) hosts.set(m.host!, (hosts.get(m.host!) ?? 0) + 1);
  const rules = JSON.parse(policy?.rules ?? '{}') as { max_server_per_host?: number | string };
  return {
    uuid: group.uuid,
    policy: policy?.policy ?? '',
    maxServerPerHost: Number(rules.max_server_per_host ?? 1),
    hosts,
  };
}

/** The hosts of the servers hint `name` (same_host, different_host) names; null without the
 * hint or with an empty one. Looked up at each scheduling, so that a move sees where they run now. */
async function hintedServers(
  db: Kysely<ComputeDB>,
  engine: Engine,
  hints: Record<string, string[]>,
  name: 'same_host' | 'different_host',
): Promise<HintedServers | null> {
  const uuids = hints[name] ?? [];
  if (!uuids.length) return null;
  const rows = await db
    .selectFrom('instances')
    .select(['uuid', 'host'])
    .where(inTexts(engine, 'uuid', uuids))
    .where('deleted', '=', 0)
    .where('host', 'is not', null)
    .execute();
  const hosts = new Map<string, string[]>();
  for (const r of rows) hosts.set(r.host!, [...(hosts.get(r.host!) ?? []), r.uuid]);
  return { uuids, hosts };
}

/** What the filters look at beyond the host states, for one instance's request spec. */
async function filterContext(env: SchedulerEnv, inst: Placed): Promise<FilterContext> {
  const hints = inst.spec.scheduler_hints;
  return {
    spec: inst.spec,
    group: await groupOf(env.db, inst.uuid, hints),
    sameHost: await hintedServers(env.db, env.engine, hints, 'same_host'),
    differentHost: await hintedServers(env.db, env.engine, hints, 'different_host'),
    config: env.config,
  };
}

/** The aggregates making up availability zone `az` (Nova's map_az_to_placement_aggregate); null
 * for the default zone, which is every host in none. */
async function zoneAggregates(db: Kysely<ComputeDB>, config: Config, az: string | null): Promise<string[] | null> {
  if (az === null || az === config.defaultAvailabilityZone) return null;
  const rows = await db
    .selectFrom('aggregate_metadata')
    .innerJoin('aggregates', 'aggregates.id', 'aggregate_metadata.aggregate_id')
    .select('aggregates.uuid')
    .where('aggregate_metadata.key', '=', 'availability_zone')
    .where('aggregate_metadata.value', '=', az)
    .execute();
  // A zone no aggregate makes any more: the AvailabilityZoneFilter decides (and finds no host).
  return rows.length ? rows.map((r) => r.uuid) : null;
}

const destination = (h: HostState): Destination => ({
  host: h.host,
  node: h.node,
  availabilityZone: h.availabilityZone,
  allocation: h.allocationRequests[0]!.allocations,
});

export interface Placed {
  uuid: string;
  projectId: string;
  userId: string;
  spec: RequestSpec;
  /** The instance keeps what it holds, the claim added to it (an evacuation: its source's
   * allocations stay its own until the source's host is back). */
  keepsAllocations?: boolean;
}

/** One existing instance to place again (a move, an unshelve): its request spec for one instance,
 * with the move's own hosts to avoid and to force, its flavor (the new one of a resize) and its
 * retries, as Nova's conductor resets a spec for a move. */
export function placedAgain(
  i: Pick<Instance, 'uuid' | 'project_id' | 'user_id'>,
  spec: RequestSpec,
  move: {
    flavor?: RequestSpec['flavor'];
    ignoreHosts: string[];
    forceHost?: string | null;
    retry?: RequestSpec['retry'];
  },
): Placed {
  return {
    uuid: i.uuid,
    projectId: i.project_id,
    userId: i.user_id,
    spec: {
      ...spec,
      ...(move.flavor ? { flavor: move.flavor } : {}),
      num_instances: 1,
      ignore_hosts: move.ignoreHosts,
      force_hosts: move.forceHost != null ? [move.forceHost] : [],
      force_nodes: [],
      retry: move.retry ?? { num_attempts: 0, hosts: [] },
    },
  };
}

/** Releases what a scheduling claimed (a failed request, or an instance deleted meanwhile). */
export async function releaseClaim(placement: PlacementClient, uuid: string): Promise<void> {
  try {
    await placement.allocations.delete(asService(), uuid);
  } catch (e) {
    if (!(e instanceof ClientError && e.status === 404)) throw e;
  }
}

/** Writes the instance's claim on a host: its allocations, or those added to what it keeps. */
async function writeClaim(placement: PlacementClient, inst: Placed, allocation: Destination['allocation']) {
  if (inst.keepsAllocations) return addAllocations(placement, inst, allocation);
  await placement.allocations.put(asService(), inst.uuid, {
    allocations: allocation,
    project_id: inst.projectId,
    user_id: inst.userId,
    consumer_generation: null,
    consumer_type: 'INSTANCE',
  });
}

/** Takes back a claim of a request that failed as a whole. */
async function undoClaim(placement: PlacementClient, inst: Placed, sel: Destination): Promise<void> {
  if (!inst.keepsAllocations) return releaseClaim(placement, inst.uuid);
  await removeAllocations(placement, inst.uuid, (rp) => rp in sel.allocation);
}

/** The hosts every filter keeps, each filter's removals written to the explanation. */
function runFilters(hosts: HostState[], filters: HostFilter[], ctx: FilterContext, e: Explanation): HostState[] {
  let left = hosts;
  for (const f of filters) {
    const removed: Explanation['filters'][number]['removed'] = [];
    left = left.filter((h) => {
      const reason = f.reject(h, ctx);
      if (reason !== null) removed.push({ host: h.host, node: h.node, reason });
      return reason === null;
    });
    e.filters.push({ name: f.name, removed, left: left.length });
  }
  return left;
}

const emptyExplanation = (instance: string, query: string): Explanation => ({
  instance,
  query,
  candidates: 0,
  providers: 0,
  unknownProviders: [],
  skipped: [],
  filters: [],
  weighed: [],
  refusedClaims: [],
});

/** Whether an instance may be rebuilt with its request spec's (new) image where it is (Nova's
 * select_destinations for a rebuild: its host and node the requested destination, only the
 * filters that run on a rebuild, no claim since the flavor stays); NoValidHost with why not. */
export async function checkRebuildHost(env: SchedulerEnv, inst: Placed, host: string, node: string): Promise<void> {
  const e = emptyExplanation(inst.uuid, '');
  const cn = await env.db
    .selectFrom('compute_nodes')
    .select('uuid')
    .where('host', '=', host)
    .where('hypervisor_hostname', '=', node)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!cn) {
    e.skipped.push({ host, node, reason: 'no such compute node' });
    throw new NoValidHost(e);
  }
  const hosts = await hostStateOfNode(env.db, env.engine, env.config, cn.uuid);
  const filters = enabledFilters(env.config).filter((f) => f.runOnRebuild);
  if (!runFilters(hosts, filters, await filterContext(env, inst), e).length) throw new NoValidHost(e);
}

/** Placement refused the query itself (a class or trait it does not know): no host, as in Nova. */
class QueryRefused extends Error {}

/** Asks Placement `query` and builds the host states of its answer. */
async function loadHostView(env: SchedulerEnv, query: AllocationCandidatesQuery, path: string): Promise<HostView> {
  let candidates;
  try {
    candidates = await env.placement.allocationCandidates.get(asService(), query);
  } catch (err) {
    if (!(err instanceof ClientError && err.status >= 400 && err.status < 500)) throw err;
    throw new QueryRefused(`${err.status} ${(err.detail || err.message).replace(/\s+/g, ' ').trim()}`);
  }
  const { hosts, unknown } = await hostStates(env.db, env.engine, env.config, candidates);
  return {
    path,
    candidates: candidates.allocation_requests.length,
    providers: Object.keys(candidates.provider_summaries).length,
    hosts,
    unknown,
  };
}

/** Chooses and claims a host for each instance; NoValidHost when one finds none. */
export async function selectDestinations(env: SchedulerEnv, instances: Placed[]): Promise<Map<string, Selection>> {
  const first = instances[0]!;
  const aggregates = await zoneAggregates(env.db, env.config, first.spec.availability_zone);
  const { query, totals } = resourceRequest(first.spec, aggregates, env.config.schedulerMaxPlacementResults);
  const path = `/allocation_candidates${allocationCandidatesQuery(query)}`;
  const load = () => loadHostView(env, query, path);
  const cache = env.hostStateCache;
  try {
    if (cache?.enabled) {
      try {
        return await place(env, instances, await cache.get(path, load), totals, () => cache.forget(path));
      } catch (e) {
        if (!(e instanceof NoValidHost)) throw e;
        // The shared answer may be stale (capacity freed since), or hold others' claims that will
        // fail: before the request fails, Placement is asked again, for this request alone, and
        // the next scheduling gets a fresh answer too.
        cache.forget(path);
      }
    }
    return await place(env, instances, await load(), totals);
  } catch (e) {
    if (!(e instanceof QueryRefused)) throw e;
    throw new NoValidHost({ ...emptyExplanation(first.uuid, path), refusedQuery: e.message });
  }
}

/** Whether `free` still holds `totals` (another scheduling of a shared answer may have taken it).
 * A class the node's tree does not have (a sharing provider's disk, say) is Placement's to judge. */
const fits = (free: Record<string, number>, totals: Record<string, number>) =>
  Object.entries(totals).every(([rc, n]) => !(rc in free) || free[rc]! >= n);

/** Takes `totals` off `free` (sign -1), or gives them back (+1): the classes of the node's tree. */
function consume(free: Record<string, number>, totals: Record<string, number>, sign: 1 | -1): void {
  for (const [rc, n] of Object.entries(totals)) if (rc in free) free[rc]! += sign * n;
}

/** Filters, weighs and claims a host for each instance out of `view`; `stale` is told when
 * Placement refuses a claim (the view no longer says what is free). */
async function place(
  env: SchedulerEnv,
  instances: Placed[],
  view: HostView,
  totals: Record<string, number>,
  stale?: () => void,
): Promise<Map<string, Selection>> {
  const { config, placement } = env;
  const filters = enabledFilters(config);
  const chosen = new Map<string, Selection>();
  const taken: HostState[] = [];
  try {
    for (const inst of instances) {
      const e: Explanation = {
        ...emptyExplanation(inst.uuid, view.path),
        candidates: view.candidates,
        providers: view.providers,
        unknownProviders: view.unknown,
      };
      const { spec } = inst;
      const failed = new Set([...spec.retry.hosts, ...spec.ignore_hosts]);
      let left = view.hosts.filter((h) => {
        const reason = failed.has(h.host)
          ? 'a build failed there before, or it is ignored'
          : spec.force_hosts.length && !spec.force_hosts.includes(h.host)
            ? 'not the requested host'
            : spec.force_nodes.length && !spec.force_nodes.includes(h.node)
              ? 'not the requested node'
              : null;
        if (reason) e.skipped.push({ host: h.host, node: h.node, reason });
        return reason === null;
      });
      const ctx = await filterContext(env, inst);
      const { group } = ctx;
      // Members placed earlier in this very request count as the group's too.
      if (group) {
        for (const [uuid, sel] of chosen) {
          if (instances.find((i) => i.uuid === uuid)?.spec.scheduler_hints.group?.[0] === group.uuid) {
            group.hosts.set(sel.host, (group.hosts.get(sel.host) ?? 0) + 1);
          }
        }
      }
      left = runFilters(left, filters, ctx, e);
      const weighed = weigh(left, config, group);
      let selected: Selection | undefined;
      for (const [i, { host }] of weighed.entries()) {
        if (!fits(host.free, totals)) {
          e.skipped.push({ host: host.host, node: host.node, reason: 'claimed full since Placement answered' });
          continue;
        }
        // Taken before the claim is written, so that a scheduling weighing meanwhile sees it.
        consume(host.free, totals, -1);
        try {
          await writeClaim(placement, inst, host.allocationRequests[0]!.allocations);
        } catch (err) {
          consume(host.free, totals, 1);
          if (!(err instanceof ClientError && err.status === 409)) throw err;
          stale?.();
          e.refusedClaims.push({ host: host.host, node: host.node, reason: err.detail || err.message });
          continue;
        }
        taken.push(host);
        const alternates = weighed.slice(i + 1, i + config.schedulerMaxAttempts).map((w) => destination(w.host));
        selected = { ...destination(host), alternates };
        break;
      }
      if (!selected) {
        e.weighed = weighed.map((w) => ({ host: w.host.host, node: w.host.node, weight: w.weight }));
        throw new NoValidHost(e);
      }
      chosen.set(inst.uuid, selected);
    }
  } catch (err) {
    for (const [uuid, sel] of chosen)
      await undoClaim(
        placement,
        instances.find((i) => i.uuid === uuid)!,
        sel,
      );
    for (const host of taken) consume(host.free, totals, 1);
    throw err;
  }
  return chosen;
}
