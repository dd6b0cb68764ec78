// Usages: what is allocated from a provider, or to a project's consumers (Nova's quota counting).
import type { Adapter } from '../adapter.js';
import type { Call } from '../call.js';
import { queryString, seg } from './query.js';

export interface ProviderUsages {
  resource_provider_generation: number;
  usages: Record<string, number>;
}

/** Per consumer type (1.38): {INSTANCE: {consumer_count: 2, VCPU: 4, ...}, ...}. */
export type ProjectUsages = Record<string, Record<string, number> & { consumer_count: number }>;

export class Usages {
  constructor(private readonly api: Adapter) {}

  ofProvider(call: Call, uuid: string): Promise<ProviderUsages> {
    return this.api.json(call, 'GET', `/resource_providers/${seg(uuid)}/usages`);
  }

  async ofProject(
    call: Call,
    q: { project_id: string; user_id?: string; consumer_type?: string },
  ): Promise<ProjectUsages> {
    const params = Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined);
    return (await this.api.json<{ usages: ProjectUsages }>(call, 'GET', `/usages${queryString(params)}`)).usages;
  }
}
