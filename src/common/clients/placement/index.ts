// Placement's API as Nova's report client and scheduler use it, one module per resource; every
// call at one microversion (1.39 unless told), so that the bodies are those of one version.
import { Adapter, type AdapterOptions } from '../adapter.js';
import type { Session } from '../session.js';
import { Aggregates } from './aggregates.js';
import { AllocationCandidatesApi } from './allocation_candidates.js';
import { Allocations } from './allocations.js';
import { Inventories } from './inventories.js';
import { ResourceClasses } from './resource_classes.js';
import { ResourceProviders } from './resource_providers.js';
import { Traits } from './traits.js';
import { Usages } from './usages.js';

export const PLACEMENT_MICROVERSION = '1.39';

export class PlacementClient {
  readonly api: Adapter;
  readonly resourceProviders: ResourceProviders;
  readonly inventories: Inventories;
  readonly traits: Traits;
  readonly aggregates: Aggregates;
  readonly allocationCandidates: AllocationCandidatesApi;
  readonly allocations: Allocations;
  readonly usages: Usages;
  readonly resourceClasses: ResourceClasses;

  constructor(session: Session, opts: Partial<AdapterOptions> = {}) {
    this.api = new Adapter(session, {
      serviceType: 'placement',
      microversion: { service: 'placement', version: PLACEMENT_MICROVERSION },
      ...opts,
    });
    this.resourceProviders = new ResourceProviders(this.api);
    this.inventories = new Inventories(this.api);
    this.traits = new Traits(this.api);
    this.aggregates = new Aggregates(this.api);
    this.allocationCandidates = new AllocationCandidatesApi(this.api);
    this.allocations = new Allocations(this.api);
    this.usages = new Usages(this.api);
    this.resourceClasses = new ResourceClasses(this.api);
  }
}

export type { ResourceProvider, NewResourceProvider, ResourceProviderQuery } from './resource_providers.js';
export type { Inventory, ProviderInventories } from './inventories.js';
export type { ProviderTraits } from './traits.js';
export type { ProviderAggregates } from './aggregates.js';
export type {
  AllocationCandidates,
  AllocationCandidatesQuery,
  AllocationRequest,
  ProviderSummary,
  RequestGroup,
} from './allocation_candidates.js';
export { allocationCandidatesQuery } from './allocation_candidates.js';
export type { AllocationWrite, ConsumerAllocations, ProviderAllocations } from './allocations.js';
export type { ProjectUsages, ProviderUsages } from './usages.js';
export type { TraitFilter, AggregateFilter } from './query.js';
