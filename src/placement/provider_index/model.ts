// What the provider index holds about each provider: everything allocation candidates and
// provider listings look at, nothing else, kept compact (the index holds every provider: tens
// of thousands of them in a large cloud).
import type { InventoryFields } from '../objects/inventory.js';

/** An inventory with what is allocated of it. */
export interface InventoryRecord extends InventoryFields {
  rcId: number;
  used: number;
}

export interface ProviderNode {
  id: number;
  uuid: string;
  name: string;
  generation: number;
  parentId: number | null;
  rootId: number;
  /** updated_at, else created_at: the provider's Last-Modified. */
  modifiedAt: string;
  /** A handful per provider: an array searched in place beats a Map at this size. */
  inventories: InventoryRecord[];
  /** Trait names. Providers with the same traits share one (never modified) set. */
  traits: ReadonlySet<string>;
  /** Aggregate UUIDs, shared likewise. */
  aggregates: ReadonlySet<string>;
  /** Rendered JSON of this provider (see candidates/response.ts), valid as long as the node:
   * the index replaces a provider's node whenever the provider changes, and drops this when a
   * resource class is renamed. */
  rendered?: {
    summaryKey?: string;
    summary?: Buffer;
    requestKey?: string;
    request?: Buffer;
    providerKey?: string;
    provider?: Buffer;
  };
}

/** Resource classes and traits, which the index resolves query names against. */
export interface Catalog {
  rcById: Map<number, string>;
  rcByName: Map<string, number>;
  traits: Set<string>;
}

export function inventoryOf(n: ProviderNode, rcId: number): InventoryRecord | undefined {
  for (const inv of n.inventories) if (inv.rcId === rcId) return inv;
  return undefined;
}

/** Whether `amount` more units fit in `inv` (capacity and the unit constraints), as upstream's
 * SQL compares: used + amount <= (total - reserved) * allocation_ratio. */
export function fits(inv: InventoryRecord, amount: number): boolean {
  return (
    amount >= inv.min_unit &&
    amount <= inv.max_unit &&
    amount % inv.step_size === 0 &&
    inv.used + amount <= (inv.total - inv.reserved) * inv.allocation_ratio
  );
}
