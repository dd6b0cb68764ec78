// The allocation candidate search, over the provider index. It follows upstream placement's
// algorithm (objects/allocation_candidate.py and research_context.py) step by step, because
// clients depend on its exact results, quirks included: per request group, the providers (or,
// for the unsuffixed group when trees or sharing providers exist, the combinations of providers
// of one tree plus sharing providers) that can satisfy it; then the product of the groups'
// results per anchor tree, filtered by group_policy, same_subtree and capacity.
import { TraitNotFound } from '../exceptions.js';
import { inventoryOf, type ProviderNode } from '../provider_index/model.js';
import type { ProviderIndex } from '../provider_index/provider_index.js';
import { matchesAggregates, matchesTraits } from '../provider_index/provider_filter.js';
import type { RequestGroup, RequestWide } from './request.js';
import { SingleProviderRequest, type AllocationRequest, type GroupShape } from './allocation_request.js';

export type { AllocationRequest } from './allocation_request.js';

const SHARING_TRAIT = 'MISC_SHARES_VIA_AGGREGATE';
import {
  NoCandidates,
  consolidate,
  dedupe,
  excludeNested,
  groupByAnchor,
  limitResults,
  product,
  traitsSatisfied,
  uniqueRequests,
  type Candidate,
  type CandidateResult,
} from './combine.js';
import { GroupContext } from './group_context.js';
import { intersect } from '../../common/sets.js';

export type { CandidateResult } from './combine.js';

export class Search {
  readonly hasTrees: boolean;
  /** Roots allowed by root_required (null: any). */
  anchorRoots: Set<number> | null = null;
  /** Providers sharing via aggregate. Shared by every group and narrowed in place by a group's
   * member_of, exactly as upstream's set is (its `&=` on the shared set). */
  readonly sharing: Set<number>;
  /** Whether sharing providers existed when the search began (before any narrowing). */
  readonly hadSharing: boolean;
  /** Trees whose providers belong in the provider summaries. */
  readonly touchedTrees = new Set<number>();

  /** When set, the single-provider search may stop after this many results (see findCandidates). */
  stopAfter: number | null = null;

  constructor(
    readonly index: ProviderIndex,
    readonly wide: RequestWide,
    readonly nestedAware: boolean,
  ) {
    this.hasTrees = index.hasTrees;
    if (wide.anchorRequired?.size || wide.anchorForbidden?.size) {
      if (wide.anchorRequired?.size) this.checkTraits(wide.anchorRequired);
      if (wide.anchorForbidden?.size) this.checkTraits(wide.anchorForbidden);
      this.anchorRoots = new Set();
      for (const n of index.nodes.values()) {
        if (n.parentId !== null) continue;
        if (
          [...(wide.anchorRequired ?? [])].every((t) => n.traits.has(t)) &&
          ![...(wide.anchorForbidden ?? [])].some((t) => n.traits.has(t))
        )
          this.anchorRoots.add(n.id);
      }
      if (!this.anchorRoots.size) throw new NoCandidates();
    }
    this.sharing = new Set(index.withTrait(SHARING_TRAIT));
    this.hadSharing = this.sharing.size > 0;
  }

  checkTraits(names: Iterable<string>): void {
    for (const t of names) if (!this.index.catalog.traits.has(t)) throw new TraitNotFound([t]);
  }

  inAnchors(root: number): boolean {
    return this.anchorRoots === null || this.anchorRoots.has(root);
  }

  run(groups: Map<string, RequestGroup>): CandidateResult {
    const bySuffix = new Map<string, AllocationRequest[]>();
    for (const [suffix, group] of groups) {
      const ctx = new GroupContext(this, group);
      const reqs =
        !group.useSameProvider && (this.sharing.size > 0 || this.hasTrees)
          ? this.multipleProviders(ctx)
          : this.singleProvider(ctx);
      if (!reqs.length) return { requests: [], summaries: [] };
      for (const r of reqs) r.useSameProvider = group.useSameProvider;
      bySuffix.set(suffix, reqs);
    }
    let result = this.merge(bySuffix);
    if (!this.nestedAware && this.hasTrees) result = excludeNested(result);
    return result;
  }

  /** Each provider that alone satisfies the group (upstream's get_provider_ids_matching):
   * walks the smallest of the index's sets the group constrains (a class, a trait set, an
   * aggregate set) and tests each provider against the whole group. */
  private singleProvider(ctx: GroupContext): AllocationRequest[] {
    const g = ctx.group;
    // A group without resources is only ever matched through its traits or aggregates.
    if (!ctx.resources.size && !g.requiredTraits.length && !g.memberOf.length) return [];
    const sources: ReadonlySet<number>[] = [
      ...[...ctx.resources.keys()].map((rc) => this.index.withResourceClass(rc)),
      ...this.index.traitSources(g.requiredTraits),
      ...this.index.aggregateSources(g.memberOf),
    ];
    const smallest = sources.reduce((a, b) => (b.size < a.size ? b : a));
    const shape: GroupShape = { suffix: g.suffix, amounts: [...ctx.resources] };
    const checkTraits = g.requiredTraits.length > 0 || g.forbiddenTraits.size > 0;
    const traits = { required: g.requiredTraits, forbidden: g.forbiddenTraits };
    const checkAggs = g.memberOf.length > 0 || g.forbiddenAggs.size > 0;
    const aggs = { required: g.memberOf, forbidden: g.forbiddenAggs };
    const out: AllocationRequest[] = [];
    for (const id of smallest) {
      if (this.stopAfter !== null && out.length >= this.stopAfter) break;
      const n = this.index.get(id);
      if (!this.hasRoomForAll(ctx, n, shape.amounts)) continue;
      if (checkTraits && !matchesTraits(n.traits, traits)) continue;
      if (checkAggs && !matchesAggregates(n.aggregates, aggs)) continue;
      this.touchedTrees.add(n.rootId);
      const req = new SingleProviderRequest(n, shape, n.rootId);
      if (this.inAnchors(n.rootId)) out.push(req);
      if (n.traits.has(SHARING_TRAIT)) {
        for (const anchor of this.index.anchorsOf(id)) {
          if (anchor === n.rootId || !this.inAnchors(anchor)) continue;
          out.push(req.withAnchor(anchor));
        }
      }
    }
    return out;
  }

  private hasRoomForAll(ctx: GroupContext, n: ProviderNode, amounts: [number, number][]): boolean {
    for (let i = 0; i < amounts.length; i++) if (!ctx.hasRoom(n, amounts[i]![0], amounts[i]![1])) return false;
    return true;
  }

  /** Providers of `rc` as (provider, anchor root) pairs: in-tree ones, plus sharing providers
   * anchored to every tree they share with, then narrowed by root_required and aggregates
   * (upstream's get_trees_matching_all, one class at a time). */
  private candidatesFor(ctx: GroupContext, rc: number, forbiddenAggs: Set<number> | null): Candidate[] {
    const withRes = ctx.providersWithResource(rc);
    let list: Candidate[] = [...withRes].map((id) => ({ id, root: this.index.get(id).rootId, rc }));
    if (ctx.inAggs) for (const id of [...this.sharing]) if (!ctx.inAggs.has(id)) this.sharing.delete(id);
    if (ctx.treeRoot === null) {
      for (const sp of this.sharing) {
        if (!withRes.has(sp)) continue;
        for (const anchor of this.index.anchorsOf(sp)) list.push({ id: sp, root: anchor, rc });
      }
    }
    if (this.anchorRoots) list = list.filter((c) => this.anchorRoots!.has(c.root));
    if (ctx.inAggs) list = list.filter((c) => ctx.inAggs!.has(c.id) || ctx.inAggs!.has(c.root));
    if (forbiddenAggs) list = list.filter((c) => !forbiddenAggs.has(c.id) && !forbiddenAggs.has(c.root));
    return dedupe(list);
  }

  /** Combinations of providers in one tree (plus sharing providers) that together satisfy the
   * unsuffixed group. */
  private multipleProviders(ctx: GroupContext): AllocationRequest[] {
    const g = ctx.group;
    if (g.requiredTraits.length) {
      const anyProvider = g.requiredTraits.some((any) => [...any].some((t) => this.index.withTrait(t).size > 0));
      if (!anyProvider) return [];
    }
    const forbiddenAggs = g.forbiddenAggs.size ? this.index.providersInAny(g.forbiddenAggs) : null;
    let all: Candidate[] = [];
    for (const rc of ctx.resources.keys()) {
      const list = this.candidatesFor(ctx, rc, forbiddenAggs);
      if (!list.length) return [];
      if (!all.length) all = list;
      else {
        const trees = intersect(new Set(all.map((c) => c.root)), new Set(list.map((c) => c.root)));
        all = dedupe([...all, ...list]).filter((c) => trees.has(c.root));
      }
      if (!all.length) return [];
    }
    if ((g.requiredTraits.length || g.forbiddenTraits.size) && !this.sharing.size) all = this.treesWithTraits(all, g);
    for (const c of all) {
      this.touchedTrees.add(c.root);
      if (this.index.get(c.id).parentId === null) this.touchedTrees.add(c.id);
    }
    const byTree = new Map<number, Map<number, ProviderNode[]>>();
    for (const c of all) {
      let rcs = byTree.get(c.root);
      if (!rcs) byTree.set(c.root, (rcs = new Map<number, ProviderNode[]>()));
      const list = rcs.get(c.rc) ?? [];
      list.push(this.index.get(c.id));
      rcs.set(c.rc, list);
    }
    // Combinations differ in at least one provider, so they are distinct within a tree; the
    // same resources reached through several anchors are collapsed by merge().
    const out: AllocationRequest[] = [];
    for (const [root, rcs] of byTree) {
      const classes = [...rcs.keys()].sort((a, b) => a - b);
      for (const combo of product(classes.map((rc) => rcs.get(rc)!))) {
        if (!traitsSatisfied(combo, g)) continue;
        const resources = combo.map((rp, i) => ({ rp, rcId: classes[i]!, amount: ctx.resources.get(classes[i]!)! }));
        const req: AllocationRequest = {
          anchor: root,
          useSameProvider: false,
          resources,
          mappings: new Map([[g.suffix, new Set(combo.map((n) => n.id))]]),
        };
        out.push(req);
      }
    }
    return out;
  }

  /** Upstream's _get_trees_with_traits: trees whose candidates free of forbidden traits
   * together have the required ones. */
  private treesWithTraits(all: Candidate[], g: RequestGroup): Candidate[] {
    const good = all.filter((c) => ![...g.forbiddenTraits].some((t) => this.index.get(c.id).traits.has(t)));
    if (!g.requiredTraits.length) {
      const roots = new Set(good.map((c) => this.index.get(c.id).rootId));
      return all.filter((c) => roots.has(this.index.get(c.id).rootId));
    }
    const traitsByRoot = new Map<number, Set<string>>();
    for (const c of good) {
      const n = this.index.get(c.id);
      const set = traitsByRoot.get(n.rootId) ?? new Set<string>();
      for (const t of n.traits) set.add(t);
      traitsByRoot.set(n.rootId, set);
    }
    const roots = new Set(
      [...traitsByRoot]
        .filter(([, traits]) => matchesTraits(traits, { required: g.requiredTraits, forbidden: new Set() }))
        .map(([r]) => r),
    );
    return all.filter((c) => roots.has(this.index.get(c.id).rootId));
  }

  /** Upstream's _merge_candidates: per anchor tree, one request of each group combined. */
  private merge(bySuffix: Map<string, AllocationRequest[]>): CandidateResult {
    let requests: AllocationRequest[];
    if (bySuffix.size === 1 && !this.hasTrees && !this.hadSharing) {
      // Flat providers, one group, no sharing (the common compute query): each request is one
      // provider that is its own tree, already tested for room, and its summary is its own.
      requests = [...bySuffix.values()][0]!;
      return { requests, summaries: requests.map((r) => (r as SingleProviderRequest).rp) };
    }
    if (bySuffix.size === 1) {
      // One group: every request is its own combination. A single provider's request already
      // passed the same capacity test when it was found.
      requests = [...bySuffix.values()][0]!.filter(
        (r) => r instanceof SingleProviderRequest || !this.exceedsCapacity(r),
      );
    } else {
      requests = [];
      const granular = [...bySuffix.keys()].filter((s) => s !== '').length;
      for (const [anchor, m] of groupByAnchor(bySuffix)) {
        if (m.size !== bySuffix.size) continue;
        for (const combo of product([...bySuffix.keys()].map((s) => m.get(s)!))) {
          if (!this.groupPolicyHolds(combo, granular) || !this.sameSubtreeHolds(combo)) continue;
          const req = consolidate(anchor, combo);
          if (!this.exceedsCapacity(req)) requests.push(req);
        }
      }
    }
    // The same resources can be reached from several anchors (sharing providers) or through
    // several combinations; upstream keeps one of each (its result is a set).
    if (this.hadSharing || bySuffix.size > 1) requests = uniqueRequests(requests);
    if (!requests.length) return { requests, summaries: [] };
    const trees = new Set<number>();
    for (const r of requests) {
      if (r instanceof SingleProviderRequest) trees.add(r.rp.rootId);
      else for (const rr of r.resources) trees.add(rr.rp.rootId);
    }
    const summaries: ProviderNode[] = [];
    for (const root of trees) {
      if (!this.touchedTrees.has(root)) continue;
      for (const id of this.index.tree(root)) summaries.push(this.index.get(id));
    }
    return { requests, summaries };
  }

  private groupPolicyHolds(combo: AllocationRequest[], granular: number): boolean {
    if (this.wide.groupPolicy !== 'isolate') return true;
    const providers = new Set<number>();
    for (const r of combo) if (r.useSameProvider) for (const id of [...r.mappings.values()][0]!) providers.add(id);
    return providers.size === granular;
  }

  private sameSubtreeHolds(combo: AllocationRequest[]): boolean {
    for (const suffixes of this.wide.sameSubtrees) {
      const ids = new Set<number>();
      for (const r of combo) for (const s of suffixes) for (const id of r.mappings.get(s) ?? []) ids.add(id);
      if (ids.size <= 1) continue;
      let common: Set<number> | null = null;
      for (const id of ids) {
        const ancestors = new Set<number>();
        for (
          let n: ProviderNode | undefined = this.index.get(id);
          n;
          n = n.parentId === null ? undefined : this.index.nodes.get(n.parentId)
        ) {
          ancestors.add(n.id);
        }
        common = common === null ? ancestors : intersect(common, ancestors);
      }
      if (![...common!].some((id) => ids.has(id))) return false;
    }
    return true;
  }

  private exceedsCapacity(r: AllocationRequest): boolean {
    for (const rr of r.resources) {
      const inv = inventoryOf(rr.rp, rr.rcId);
      if (!inv) return true;
      const capacity = Math.trunc((inv.total - inv.reserved) * inv.allocation_ratio);
      if (inv.used + rr.amount > capacity || rr.amount > inv.max_unit) return true;
    }
    return false;
  }
}

export interface SearchOptions {
  nestedAware: boolean;
  randomize: boolean;
}

/** All allocation candidates for the request (empty when nothing fits). Raises
 * ResourceClassNotFound / TraitNotFound for unknown names, as upstream does. */
export function findCandidates(
  index: ProviderIndex,
  groups: Map<string, RequestGroup>,
  wide: RequestWide,
  opts: SearchOptions,
): CandidateResult {
  try {
    const search = new Search(index, wide, opts.nestedAware);
    // With one group and no sharing providers each matching provider is exactly one request,
    // in a fixed order, and nothing after the search removes any: the first `limit` found are
    // the first `limit` of the whole answer. Randomised results need every candidate.
    if (wide.limit && !opts.randomize && groups.size === 1 && !search.hadSharing) search.stopAfter = wide.limit;
    const result = search.run(groups);
    return limitResults(result, wide.limit, opts.randomize);
  } catch (e) {
    if (e instanceof NoCandidates) return { requests: [], summaries: [] };
    throw e;
  }
}
