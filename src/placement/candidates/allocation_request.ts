// Allocation requests as the search produces them. Most are one provider satisfying one group;
// those are by far the most numerous (one per matching provider), so they are kept compact and
// their resource list and mappings are only built if something asks for them.
import type { ProviderNode } from '../provider_index/model.js';

export interface ResourceRequest {
  rp: ProviderNode;
  rcId: number;
  amount: number;
}

export interface AllocationRequest {
  /** Root id of the tree this request is anchored to. */
  anchor: number;
  useSameProvider: boolean;
  resources: ResourceRequest[];
  /** Request group suffix → ids of the providers that satisfied it. */
  mappings: Map<string, Set<number>>;
}

/** What every single-provider request of one group shares. */
export interface GroupShape {
  suffix: string;
  /** (resource class id, amount) in request order. */
  amounts: [number, number][];
}

export class SingleProviderRequest implements AllocationRequest {
  useSameProvider = true;
  private res?: ResourceRequest[];
  private maps?: Map<string, Set<number>>;

  constructor(
    readonly rp: ProviderNode,
    readonly shape: GroupShape,
    readonly anchor: number,
  ) {}

  get resources(): ResourceRequest[] {
    return (this.res ??= this.shape.amounts.map(([rcId, amount]) => ({ rp: this.rp, rcId, amount })));
  }

  get mappings(): Map<string, Set<number>> {
    return (this.maps ??= new Map([[this.shape.suffix, new Set([this.rp.id])]]));
  }

  /** The same request anchored to another tree (a sharing provider seen from its neighbours). */
  withAnchor(anchor: number): SingleProviderRequest {
    return new SingleProviderRequest(this.rp, this.shape, anchor);
  }
}
