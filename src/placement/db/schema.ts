// Placement's tables (Kysely types). Mirrors upstream's model: integer surrogate keys internally,
// UUIDs and names on the wire. Timestamps are ISO-8601 strings so both engines store them alike.
import type { Generated } from 'kysely';

export interface ResourceProviderTable {
  id: Generated<number>;
  uuid: string;
  name: string;
  generation: number;
  root_provider_id: number | null;
  parent_provider_id: number | null;
  created_at: string;
  updated_at: string | null;
}

export interface ResourceClassTable {
  id: Generated<number>;
  name: string;
  created_at: string;
  updated_at: string | null;
}

export interface TraitTable {
  id: Generated<number>;
  name: string;
  created_at: string;
  updated_at: string | null;
}

export interface InventoryTable {
  id: Generated<number>;
  resource_provider_id: number;
  resource_class_id: number;
  total: number;
  reserved: number;
  min_unit: number;
  max_unit: number;
  step_size: number;
  allocation_ratio: number;
  created_at: string;
  updated_at: string | null;
}

export interface AllocationTable {
  id: Generated<number>;
  resource_provider_id: number;
  consumer_id: string;
  resource_class_id: number;
  used: number;
  created_at: string;
  updated_at: string | null;
}

export interface ConsumerTable {
  id: Generated<number>;
  uuid: string;
  project_id: number;
  user_id: number;
  generation: number;
  consumer_type_id: number | null;
  created_at: string;
  updated_at: string | null;
}

export interface ExternalIdTable {
  id: Generated<number>;
  external_id: string;
  created_at: string;
  updated_at: string | null;
}

export interface ConsumerTypeTable {
  id: Generated<number>;
  name: string;
  created_at: string;
  updated_at: string | null;
}

export interface AggregateTable {
  id: Generated<number>;
  uuid: string;
  created_at: string;
  updated_at: string | null;
}

export interface ProviderAggregateTable {
  resource_provider_id: number;
  aggregate_id: number;
  created_at: string;
}

export interface ProviderTraitTable {
  resource_provider_id: number;
  trait_id: number;
  created_at: string;
}

/** One row per committed change that other processes' provider indexes must pick up. */
export interface ChangeTable {
  id: Generated<number>;
  /** The provider whose state (inventory, usage, traits, aggregates, tree, name) changed. */
  provider_id: number | null;
  /** 'provider', or 'catalog' when resource classes or traits were created, renamed or deleted. */
  kind: string;
  created_at: string;
}

export interface PlacementDB {
  resource_providers: ResourceProviderTable;
  resource_classes: ResourceClassTable;
  traits: TraitTable;
  inventories: InventoryTable;
  allocations: AllocationTable;
  consumers: ConsumerTable;
  projects: ExternalIdTable;
  users: ExternalIdTable;
  consumer_types: ConsumerTypeTable;
  placement_aggregates: AggregateTable;
  resource_provider_aggregates: ProviderAggregateTable;
  resource_provider_traits: ProviderTraitTable;
  placement_changes: ChangeTable;
}
