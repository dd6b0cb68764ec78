// GET /allocation_candidates: where a request (a flavor's resources and traits, split into
// request groups as Nova's scheduler splits them) fits, and the allocations that would claim it.
import type { Adapter } from '../adapter.js';
import type { Call } from '../call.js';
import {
  aggregateParams,
  queryString,
  resourcesParam,
  traitParams,
  type AggregateFilter,
  type QueryParams,
  type TraitFilter,
} from './query.js';

/** One request group: resources from one provider, which must have the traits and aggregates. */
export interface RequestGroup extends TraitFilter, AggregateFilter {
  /** Absent in a group that only constrains traits or aggregates (1.35). */
  resources?: Readonly<Record<string, number>>;
  /** Only providers in this provider's tree. */
  in_tree?: string;
}

export interface AllocationCandidatesQuery {
  /** The unsuffixed group: its resources may come from several providers of one tree. */
  group?: RequestGroup;
  /** Granular groups by suffix (`1`, `_NIC` ...), each satisfied by a single provider. */
  groups?: Readonly<Record<string, RequestGroup>>;
  /** Required with more than one granular group: whether groups may share a provider. */
  group_policy?: 'none' | 'isolate';
  limit?: number;
  /** Traits the root provider must (or, with `!`, must not) have (1.35). */
  root_required?: readonly string[];
  /** Sets of group suffixes whose providers must share an ancestor (1.36). */
  same_subtree?: readonly (readonly string[])[];
}

export interface AllocationRequest {
  allocations: Record<string, { resources: Record<string, number> }>;
  /** Which providers satisfied each group suffix ('' for the unsuffixed one) (1.34). */
  mappings?: Record<string, string[]>;
}

export interface ProviderSummary {
  resources: Record<string, { capacity: number; used: number }>;
  traits?: string[];
  parent_provider_uuid?: string | null;
  root_provider_uuid?: string;
}

export interface AllocationCandidates {
  allocation_requests: AllocationRequest[];
  provider_summaries: Record<string, ProviderSummary>;
}

function groupParams(suffix: string, g: RequestGroup): QueryParams {
  const out: QueryParams = [];
  if (g.resources && Object.keys(g.resources).length) out.push([`resources${suffix}`, resourcesParam(g.resources)]);
  out.push(...traitParams(`required${suffix}`, g), ...aggregateParams(`member_of${suffix}`, g));
  if (g.in_tree !== undefined) out.push([`in_tree${suffix}`, g.in_tree]);
  return out;
}

/** The query string of a request, as Nova's ResourceRequest.to_querystring writes it. */
export function allocationCandidatesQuery(q: AllocationCandidatesQuery): string {
  const params: QueryParams = q.group ? groupParams('', q.group) : [];
  for (const [suffix, g] of Object.entries(q.groups ?? {})) params.push(...groupParams(suffix, g));
  if (q.group_policy) params.push(['group_policy', q.group_policy]);
  if (q.limit !== undefined) params.push(['limit', String(q.limit)]);
  if (q.root_required?.length) params.push(['root_required', q.root_required.join(',')]);
  for (const set of q.same_subtree ?? []) params.push(['same_subtree', set.join(',')]);
  return queryString(params);
}

export class AllocationCandidatesApi {
  constructor(private readonly api: Adapter) {}

  get(call: Call, q: AllocationCandidatesQuery): Promise<AllocationCandidates> {
    return this.api.json(call, 'GET', `/allocation_candidates${allocationCandidatesQuery(q)}`);
  }
}
