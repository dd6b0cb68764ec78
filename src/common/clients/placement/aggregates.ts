// /resource_providers/{uuid}/aggregates: the aggregates (uuids) a provider is a member of.
import type { Adapter } from '../adapter.js';
import type { Call } from '../call.js';
import { seg } from './query.js';

export interface ProviderAggregates {
  resource_provider_generation: number;
  aggregates: string[];
}

export class Aggregates {
  constructor(private readonly api: Adapter) {}

  get(call: Call, uuid: string): Promise<ProviderAggregates> {
    return this.api.json(call, 'GET', `/resource_providers/${seg(uuid)}/aggregates`);
  }

  put(call: Call, uuid: string, generation: number, aggregates: readonly string[]): Promise<ProviderAggregates> {
    return this.api.json(call, 'PUT', `/resource_providers/${seg(uuid)}/aggregates`, {
      json: { resource_provider_generation: generation, aggregates },
    });
  }
}
