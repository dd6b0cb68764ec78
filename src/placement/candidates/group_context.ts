// One request group resolved against the provider index, for the search (./search.ts).
import { ResourceClassNotFound } from '../exceptions.js';
import { fits, inventoryOf, type ProviderNode } from '../provider_index/model.js';
import { matchesAggregates } from '../provider_index/provider_filter.js';
import { NoCandidates } from './combine.js';
import type { RequestGroup } from './request.js';
import type { Search } from './search.js';

/** Everything a search needs about one request group, resolved against the index. Sets are
 * built lazily: the common single-provider search never needs them, only tests per provider. */
export class GroupContext {
  readonly resources = new Map<number, number>();
  readonly treeRoot: number | null = null;
  private aggMembers: Set<number> | null = null;
  private readonly withResource = new Map<number, Set<number>>();

  constructor(
    private readonly search: Search,
    readonly group: RequestGroup,
  ) {
    const index = search.index;
    for (const [name, amount] of group.resources) {
      const id = index.catalog.rcByName.get(name);
      if (id === undefined) throw new ResourceClassNotFound(name);
      this.resources.set(id, amount);
    }
    if (
      group.memberOf.length &&
      !search.index.someProvider(search.index.aggregateSources(group.memberOf), (n) =>
        matchesAggregates(n.aggregates, { required: group.memberOf, forbidden: new Set() }),
      )
    ) {
      throw new NoCandidates();
    }
    for (const any of group.requiredTraits) search.checkTraits(any);
    if (group.forbiddenTraits.size) search.checkTraits(group.forbiddenTraits);
    if (group.inTree !== null) {
      const n = index.byUuid.get(group.inTree);
      if (!n) throw new NoCandidates();
      this.treeRoot = n.rootId;
    }
    // Upstream finds the providers with room for every class before choosing how to search.
    for (const [rc, amount] of this.resources) {
      if (!search.index.someProvider([index.withResourceClass(rc)], (n) => this.hasRoom(n, rc, amount)))
        throw new NoCandidates();
    }
  }

  /** Providers in every member_of set (null: no member_of). */
  get inAggs(): Set<number> | null {
    if (!this.group.memberOf.length) return null;
    return (this.aggMembers ??= this.search.index.providersInAll(this.group.memberOf));
  }

  hasRoom(n: ProviderNode, rc: number, amount: number): boolean {
    if (this.treeRoot !== null && n.rootId !== this.treeRoot) return false;
    const inv = inventoryOf(n, rc);
    return inv !== undefined && fits(inv, amount);
  }

  /** Providers with room for this group's amount of `rc` (within in_tree when given). */
  providersWithResource(rc: number): Set<number> {
    let set = this.withResource.get(rc);
    if (!set) {
      const amount = this.resources.get(rc)!;
      set = new Set();
      for (const id of this.search.index.withResourceClass(rc)) {
        if (this.hasRoom(this.search.index.get(id), rc, amount)) set.add(id);
      }
      this.withResource.set(rc, set);
    }
    return set;
  }
}
