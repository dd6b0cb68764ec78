// The allocation candidate search, over the provider index. It follows upstream placement's
// algorithm (objects/allocation_candidate.py and research_context.py) step by step, because
// clients depend on its exact results, quirks included: per request group, the providers (or,
// for the unsuffixed group when trees or sharing providers exist, the combinations of providers
// of one tree plus sharing providers) that can satisfy it; then the product of the groups'
// results per anchor tree, filtered by group_policy, same_subtree and capacity.
import { ResourceClassNotFound, TraitNotFound } from '../exceptions.js';
import { fits, inventoryOf, type ProviderNode } from '../index/model.js';
import type { ProviderIndex } from '../index/provider_index.js';
import { matchesAggregates, matchesTraits } from '../index/provider_filter.js';
import type { RequestGroup, RequestWide } from './request.js';
import {
  SingleProviderRequest, type AllocationRequest, type GroupShape, type ResourceRequest,
} from './allocation_request.js';

export type { AllocationRequest } from './allocation_request.js';

const SHARING_TRAIT = 'MISC_SHARES_VIA_AGGREGATE';

export interface CandidateResult {
  requests: AllocationRequest[];
  summaries: ProviderNode[];
}

/** Nothing can match: the answer is an empty 200 (upstream's ResourceProviderNotFound). */
class NoCandidates extends Error {}

interface Candidate { id: number; root: number; rc: number }

function intersect<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): Set<T> {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  const out = new Set<T>();
  for (const x of small) if (big.has(x)) out.add(x);
  return out;
}

/** Everything a search needs about one request group, resolved against the index. Sets are
 * built lazily: the common single-provider search never needs them, only tests per provider. */
class GroupContext {
  readonly resources = new Map<number, number>();
  readonly treeRoot: number | null = null;
  private aggMembers: Set<number> | null = null;
  private readonly withResource = new Map<number, Set<number>>();

  constructor(private readonly search: Search, readonly group: RequestGroup) {
    const index = search.index;
    for (const [name, amount] of group.resources) {
      const id = index.catalog.rcByName.get(name);
      if (id === undefined) throw new ResourceClassNotFound(name);
      this.resources.set(id, amount);
    }
    if (group.memberOf.length && !search.someProvider(search.aggregateSources(group.memberOf),
      (n) => matchesAggregates(n.aggregates, { required: group.memberOf, forbidden: new Set() }))) {
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
      if (!search.someProvider([index.withResourceClass(rc)], (n) => this.hasRoom(n, rc, amount))) throw new NoCandidates();
    }
  }

  /** Providers in every member_of set (null: no member_of). */
  get inAggs(): Set<number> | null {
    if (!this.group.memberOf.length) return null;
    return this.aggMembers ??= this.search.providersInAll(this.group.memberOf);
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

class Search {
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

  constructor(readonly index: ProviderIndex, readonly wide: RequestWide, readonly nestedAware: boolean) {
    this.hasTrees = index.hasTrees;
    if (wide.anchorRequired?.size || wide.anchorForbidden?.size) {
      if (wide.anchorRequired?.size) this.checkTraits(wide.anchorRequired);
      if (wide.anchorForbidden?.size) this.checkTraits(wide.anchorForbidden);
      this.anchorRoots = new Set();
      for (const n of index.nodes.values()) {
        if (n.parentId !== null) continue;
        if ([...wide.anchorRequired ?? []].every((t) => n.traits.has(t))
          && ![...wide.anchorForbidden ?? []].some((t) => n.traits.has(t))) this.anchorRoots.add(n.id);
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

  /** Whether some provider of the smallest of `sources` passes `test`. */
  someProvider(sources: ReadonlySet<number>[], test: (n: ProviderNode) => boolean): boolean {
    const smallest = sources.reduce((a, b) => (b.size < a.size ? b : a));
    for (const id of smallest) if (test(this.index.get(id))) return true;
    return false;
  }

  /** Per required set, the providers in any of its aggregates (as a set to walk). */
  aggregateSources(sets: Set<string>[]): ReadonlySet<number>[] {
    return sets.map((any) => (any.size === 1 ? this.index.inAggregate([...any][0]!) : this.providersInAny(any)));
  }

  /** Per required set, the providers having any of its traits. */
  traitSources(sets: Set<string>[]): ReadonlySet<number>[] {
    return sets.map((any) => (any.size === 1 ? this.index.withTrait([...any][0]!)
      : new Set([...any].flatMap((t) => [...this.index.withTrait(t)]))));
  }

  /** Providers that are in one aggregate of each set. */
  providersInAll(sets: Set<string>[]): Set<number> {
    let out: Set<number> | null = null;
    for (const any of sets) {
      const members = new Set<number>();
      for (const agg of any) for (const id of this.index.inAggregate(agg)) members.add(id);
      out = out === null ? members : intersect(out, members);
      if (!out.size) break;
    }
    return out ?? new Set();
  }

  /** Providers in any of these aggregates. */
  providersInAny(aggs: Set<string>): Set<number> {
    const out = new Set<number>();
    for (const agg of aggs) for (const id of this.index.inAggregate(agg)) out.add(id);
    return out;
  }

  /** The roots of every provider sharing an aggregate with sharing provider `sp` (its own
   * root included). */
  anchorsOf(sp: number): Set<number> {
    const out = new Set<number>();
    for (const agg of this.index.get(sp).aggregates) {
      for (const id of this.index.inAggregate(agg)) out.add(this.index.get(id).rootId);
    }
    return out;
  }

  run(groups: Map<string, RequestGroup>): CandidateResult {
    const bySuffix = new Map<string, AllocationRequest[]>();
    for (const [suffix, group] of groups) {
      const ctx = new GroupContext(this, group);
      const reqs = !group.useSameProvider && (this.sharing.size > 0 || this.hasTrees)
        ? this.multipleProviders(ctx) : this.singleProvider(ctx);
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
      ...this.traitSources(g.requiredTraits),
      ...this.aggregateSources(g.memberOf),
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
        for (const anchor of this.anchorsOf(id)) {
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
        for (const anchor of this.anchorsOf(sp)) list.push({ id: sp, root: anchor, rc });
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
    const forbiddenAggs = g.forbiddenAggs.size ? this.providersInAny(g.forbiddenAggs) : null;
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
      if (!rcs) byTree.set(c.root, rcs = new Map());
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
          anchor: root, useSameProvider: false, resources, mappings: new Map([[g.suffix, new Set(combo.map((n) => n.id))]]),
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
    const roots = new Set([...traitsByRoot].filter(([, traits]) => matchesTraits(traits, { required: g.requiredTraits, forbidden: new Set() })).map(([r]) => r));
    return all.filter((c) => roots.has(this.index.get(c.id).rootId));
  }

  /** Upstream's _merge_candidates: per anchor tree, one request of each group combined. */
  private merge(bySuffix: Map<string, AllocationRequest[]>): CandidateResult {
    let requests: AllocationRequest[];
    if (bySuffix.size === 1) {
      // One group: every request is its own combination. A single provider's request already
      // passed the same capacity test when it was found.
      requests = [...bySuffix.values()][0]!
        .filter((r) => r instanceof SingleProviderRequest || !this.exceedsCapacity(r));
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
        for (let n: ProviderNode | undefined = this.index.get(id); n; n = n.parentId === null ? undefined : this.index.nodes.get(n.parentId)) {
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

function groupByAnchor(bySuffix: Map<string, AllocationRequest[]>): Map<number, Map<string, AllocationRequest[]>> {
  const byAnchor = new Map<number, Map<string, AllocationRequest[]>>();
  for (const [suffix, reqs] of bySuffix) {
    for (const r of reqs) {
      let m = byAnchor.get(r.anchor);
      if (!m) byAnchor.set(r.anchor, m = new Map());
      const list = m.get(suffix) ?? [];
      list.push(r);
      m.set(suffix, list);
    }
  }
  return byAnchor;
}

function uniqueRequests(requests: AllocationRequest[]): AllocationRequest[] {
  const seen = new Map<string, AllocationRequest>();
  for (const r of requests) {
    const k = requestKey(r);
    if (!seen.has(k)) seen.set(k, r);
  }
  return [...seen.values()];
}

function dedupe(list: Candidate[]): Candidate[] {
  const seen = new Set<string>();
  return list.filter((c) => {
    const k = `${c.id}:${c.root}:${c.rc}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Upstream's _check_traits_for_alloc_request: no provider with a forbidden trait, and the
 * providers' traits together cover every required set. */
function traitsSatisfied(providers: ProviderNode[], g: RequestGroup): boolean {
  const all = new Set<string>();
  for (const n of providers) {
    for (const t of g.forbiddenTraits) if (n.traits.has(t)) return false;
    for (const t of n.traits) all.add(t);
  }
  return g.requiredTraits.every((any) => [...any].some((t) => all.has(t)));
}

/** Sums the groups' requests into one (amounts per provider and class, mappings merged). */
function consolidate(anchor: number, combo: AllocationRequest[]): AllocationRequest {
  const byKey = new Map<string, ResourceRequest>();
  const mappings = new Map<string, Set<number>>();
  for (const r of combo) {
    for (const rr of r.resources) {
      const k = `${rr.rp.id}:${rr.rcId}`;
      const prev = byKey.get(k);
      byKey.set(k, prev ? { ...prev, amount: prev.amount + rr.amount } : rr);
    }
    for (const [s, ids] of r.mappings) {
      const set = mappings.get(s) ?? new Set<number>();
      for (const id of ids) set.add(id);
      mappings.set(s, set);
    }
  }
  return { anchor, useSameProvider: false, resources: [...byKey.values()], mappings };
}

/** Identity of a request for de-duplication: its resources and mappings, not its anchor. */
function requestKey(r: AllocationRequest): string {
  const res = r.resources.map((x) => `${x.rp.id}:${x.rcId}:${x.amount}`).sort().join(',');
  const maps = [...r.mappings].map(([s, ids]) => `${s}=${[...ids].sort((a, b) => a - b).join('.')}`).sort().join(';');
  return `${res}|${maps}`;
}

function* product<T>(lists: T[][]): Generator<T[]> {
  if (!lists.length) return;
  const idx = lists.map(() => 0);
  if (lists.some((l) => !l.length)) return;
  for (;;) {
    yield idx.map((i, k) => lists[k]![i]!);
    let k = lists.length - 1;
    while (k >= 0 && ++idx[k]! === lists[k]!.length) idx[k--] = 0;
    if (k < 0) return;
  }
}

/** Before 1.29 a request may not use two providers of one tree; summaries keep only the
 * providers still used. */
function excludeNested(r: CandidateResult): CandidateResult {
  const used = new Set<number>();
  const requests = r.requests.filter((req) => {
    const rootByRp = new Map(req.resources.map((rr) => [rr.rp.id, rr.rp.rootId]));
    if (rootByRp.size !== new Set(rootByRp.values()).size) return false;
    for (const id of rootByRp.keys()) used.add(id);
    return true;
  });
  return { requests, summaries: r.summaries.filter((n) => used.has(n.id)) };
}

/** Applies limit (a random sample when randomising, else the first ones) and keeps the
 * summaries of the trees still used. */
function limitResults(r: CandidateResult, limit: number | null, randomize: boolean): CandidateResult {
  if (limit && limit < r.requests.length) {
    const requests = randomize ? sample(r.requests, limit) : r.requests.slice(0, limit);
    const roots = new Set<number>();
    for (const req of requests) for (const rr of req.resources) roots.add(rr.rp.rootId);
    return { requests, summaries: r.summaries.filter((n) => roots.has(n.rootId)) };
  }
  if (randomize) return { requests: sample(r.requests, r.requests.length), summaries: r.summaries };
  return r;
}

function sample<T>(items: T[], k: number): T[] {
  const a = items.slice();
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(Math.random() * (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k);
}

export interface SearchOptions {
  nestedAware: boolean;
  randomize: boolean;
}

/** All allocation candidates for the request (empty when nothing fits). Raises
 * ResourceClassNotFound / TraitNotFound for unknown names, as upstream does. */
export function findCandidates(index: ProviderIndex, groups: Map<string, RequestGroup>, wide: RequestWide,
  opts: SearchOptions): CandidateResult {
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
