// Traits: the qualitative capabilities of providers, standard (os-traits) or CUSTOM_*.
import type { Adapter } from '../adapter.js';
import type { Call } from '../call.js';
import { queryString, seg } from './query.js';

export interface ProviderTraits {
  resource_provider_generation: number;
  traits: string[];
}

export class Traits {
  constructor(private readonly api: Adapter) {}

  get(call: Call, uuid: string): Promise<ProviderTraits> {
    return this.api.json(call, 'GET', `/resource_providers/${seg(uuid)}/traits`);
  }

  /** Replaces the provider's traits; each must exist (see ensure). */
  put(call: Call, uuid: string, generation: number, traits: readonly string[]): Promise<ProviderTraits> {
    return this.api.json(call, 'PUT', `/resource_providers/${seg(uuid)}/traits`, {
      json: { resource_provider_generation: generation, traits },
    });
  }

  /** The traits Placement knows, optionally only those named (`in:` list) or starting with a prefix. */
  async list(call: Call, q: { names?: readonly string[]; startswith?: string } = {}): Promise<string[]> {
    const params: [string, string][] = [];
    if (q.names) params.push(['name', `in:${q.names.join(',')}`]);
    else if (q.startswith !== undefined) params.push(['name', `startswith:${q.startswith}`]);
    return (await this.api.json<{ traits: string[] }>(call, 'GET', `/traits${queryString(params)}`)).traits;
  }

  /** Creates the custom trait unless it exists. */
  async ensure(call: Call, name: string): Promise<void> {
    await this.api.request(call, 'PUT', `/traits/${seg(name)}`);
  }
}
