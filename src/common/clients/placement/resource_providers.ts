// /resource_providers: the providers of inventory (compute nodes, bare-metal nodes, their
// nested providers), created and found by name, uuid and tree.
import type { Adapter } from '../adapter.js';
import type { Call } from '../call.js';
import {
  aggregateParams,
  queryString,
  resourcesParam,
  seg,
  traitParams,
  type AggregateFilter,
  type QueryParams,
  type TraitFilter,
} from './query.js';

export interface ResourceProvider {
  uuid: string;
  name: string;
  generation: number;
  parent_provider_uuid: string | null;
  root_provider_uuid: string;
  links?: { rel: string; href: string }[];
}

export interface NewResourceProvider {
  name: string;
  /** Placement makes one up when absent. */
  uuid?: string;
  parent_provider_uuid?: string | null;
}

export interface ResourceProviderQuery extends TraitFilter, AggregateFilter {
  name?: string;
  uuid?: string;
  /** Providers in the tree of this provider. */
  in_tree?: string;
  /** Providers with capacity for all of these. */
  resources?: Readonly<Record<string, number>>;
}

export class ResourceProviders {
  constructor(private readonly api: Adapter) {}

  /** POST: not retried (a retry after a lost answer would find the provider made, 409). */
  create(call: Call, rp: NewResourceProvider): Promise<ResourceProvider> {
    return this.api.json(call, 'POST', '/resource_providers', { json: rp });
  }

  show(call: Call, uuid: string): Promise<ResourceProvider> {
    return this.api.json(call, 'GET', `/resource_providers/${seg(uuid)}`);
  }

  async list(call: Call, q: ResourceProviderQuery = {}): Promise<ResourceProvider[]> {
    const params: QueryParams = [];
    for (const k of ['name', 'uuid', 'in_tree'] as const) if (q[k] !== undefined) params.push([k, q[k]]);
    if (q.resources) params.push(['resources', resourcesParam(q.resources)]);
    params.push(...traitParams('required', q), ...aggregateParams('member_of', q));
    const body = await this.api.json<{ resource_providers: ResourceProvider[] }>(
      call,
      'GET',
      `/resource_providers${queryString(params)}`,
    );
    return body.resource_providers;
  }

  /** Renames or re-parents a provider. */
  update(call: Call, uuid: string, rp: Omit<NewResourceProvider, 'uuid'>): Promise<ResourceProvider> {
    return this.api.json(call, 'PUT', `/resource_providers/${seg(uuid)}`, { json: rp });
  }

  /** Refused (409) while the provider has allocations or children. */
  async delete(call: Call, uuid: string): Promise<void> {
    await this.api.request(call, 'DELETE', `/resource_providers/${seg(uuid)}`);
  }
}
