// /resource_providers/{uuid}/inventories: what a provider has, written against its generation so
// that a concurrent writer's change is never overwritten (a 409 placement.concurrent_update).
import type { Adapter } from '../adapter.js';
import type { Call } from '../call.js';
import { seg } from './query.js';

export interface Inventory {
  total: number;
  reserved?: number;
  min_unit?: number;
  max_unit?: number;
  step_size?: number;
  allocation_ratio?: number;
}

export interface ProviderInventories {
  resource_provider_generation: number;
  inventories: Record<string, Required<Inventory>>;
}

export class Inventories {
  constructor(private readonly api: Adapter) {}

  get(call: Call, uuid: string): Promise<ProviderInventories> {
    return this.api.json(call, 'GET', `/resource_providers/${seg(uuid)}/inventories`);
  }

  /** Replaces every inventory of the provider; `generation` is the one it was read at. */
  put(
    call: Call,
    uuid: string,
    generation: number,
    inventories: Readonly<Record<string, Inventory>>,
  ): Promise<ProviderInventories> {
    return this.api.json(call, 'PUT', `/resource_providers/${seg(uuid)}/inventories`, {
      json: { resource_provider_generation: generation, inventories },
    });
  }

  /** Removes every inventory (refused, 409, while any is allocated). */
  async delete(call: Call, uuid: string): Promise<void> {
    await this.api.request(call, 'DELETE', `/resource_providers/${seg(uuid)}/inventories`);
  }
}
