// Allocations: what a consumer (an instance, a migration) holds on which providers, written
// against the consumer's generation so that two writers never both win (1.28).
import type { Adapter } from '../adapter.js';
import type { Call } from '../call.js';
import { seg } from './query.js';

export interface ConsumerAllocations {
  allocations: Record<string, { generation?: number; resources: Record<string, number> }>;
  /** Absent for a consumer Placement does not know. */
  consumer_generation?: number | null;
  project_id?: string;
  user_id?: string;
  consumer_type?: string;
}

/** What PUT /allocations/{consumer} and POST /allocations write for one consumer. */
export interface AllocationWrite {
  /** Empty: the consumer's allocations are removed. */
  allocations: Readonly<Record<string, { resources: Readonly<Record<string, number>> }>>;
  project_id: string;
  user_id: string;
  /** The generation the consumer was read at; null for a new consumer. */
  consumer_generation: number | null;
  /** INSTANCE, MIGRATION ... (1.38). */
  consumer_type: string;
}

export interface ProviderAllocations {
  resource_provider_generation: number;
  allocations: Record<string, { resources: Record<string, number>; consumer_generation?: number | null }>;
}

export class Allocations {
  constructor(private readonly api: Adapter) {}

  get(call: Call, consumer: string): Promise<ConsumerAllocations> {
    return this.api.json(call, 'GET', `/allocations/${seg(consumer)}`);
  }

  async put(call: Call, consumer: string, write: AllocationWrite): Promise<void> {
    await this.api.request(call, 'PUT', `/allocations/${seg(consumer)}`, { json: write });
  }

  async delete(call: Call, consumer: string): Promise<void> {
    await this.api.request(call, 'DELETE', `/allocations/${seg(consumer)}`);
  }

  /** Several consumers' allocations in one transaction (a move: the instance's and the
   * migration's). POST, so not retried: each consumer's generation guards a replay anyway. */
  async postMany(call: Call, writes: Readonly<Record<string, AllocationWrite>>): Promise<void> {
    await this.api.request(call, 'POST', '/allocations', { json: writes });
  }

  /** Everything allocated from one provider, by consumer. */
  ofProvider(call: Call, uuid: string): Promise<ProviderAllocations> {
    return this.api.json(call, 'GET', `/resource_providers/${seg(uuid)}/allocations`);
  }
}
