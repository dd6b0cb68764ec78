// What the provider index holds about each provider: everything allocation candidates and
// provider listings look at, nothing else.

import type { InventoryFields } from '../objects/inventory.js';

export type InventoryRecord = InventoryFields;

export interface ProviderNode {
  id: number;
  uuid: string;
  name: string;
  generation: number;
  parentId: number | null;
  rootId: number;
  createdAt: string;
  updatedAt: string | null;
  /** By resource class id. */
  inventories: Map<number, InventoryRecord>;
  /** Sum of allocations, by resource class id. */
  usages: Map<number, number>;
  /** Trait names. */
  traits: Set<string>;
  /** Aggregate UUIDs. */
  aggregates: Set<string>;
  /** Rendered JSON of this provider (see candidates/response.ts), valid as long as the node:
   * the index replaces a provider's node whenever the provider changes. */
  rendered?: {
    summaryKey?: string; summary?: Buffer; requestKey?: string; request?: Buffer; providerKey?: string; provider?: Buffer;
  };
}

/** Resource classes and traits, which the index resolves query names against. */
export interface Catalog {
  rcById: Map<number, string>;
  rcByName: Map<string, number>;
  traits: Set<string>;
}

/** Units of `inv` still free given `used`: upstream's (total - reserved) * ratio - used. */
export function freeCapacity(inv: InventoryRecord, used: number): number {
  return (inv.total - inv.reserved) * inv.allocation_ratio - used;
}

/** Whether `amount` more units fit in `inv` (capacity and the unit constraints). */
export function fits(inv: InventoryRecord, used: number, amount: number): boolean {
  return amount >= inv.min_unit && amount <= inv.max_unit && amount % inv.step_size === 0
    && used + amount <= (inv.total - inv.reserved) * inv.allocation_ratio;
}
