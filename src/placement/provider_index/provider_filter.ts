// GET /resource_providers filtering over the provider index: name, uuid, in_tree, resources
// (room for the amounts), required/forbidden traits, member_of/forbidden aggregates.
import { ResourceClassNotFound, TraitNotFound } from '../exceptions.js';
import type { AggregateQuery, TraitQuery } from '../query.js';
import { fits, inventoryOf, type ProviderNode } from './model.js';
import type { ProviderIndex } from './provider_index.js';

export interface ProviderFilters {
  name?: string;
  uuid?: string;
  inTree?: string;
  resources?: Map<string, number>;
  traits?: TraitQuery;
  memberOf?: AggregateQuery;
}

/** Trait names not known to placement, raising TraitNotFound as upstream's trait cache does. */
export function checkTraitsExist(index: ProviderIndex, names: Iterable<string>): void {
  const missing = [...names].filter((t) => !index.catalog.traits.has(t));
  if (missing.length) throw new TraitNotFound(missing);
}

/** Resource class names to ids, raising ResourceClassNotFound for the first unknown one. */
export function classIds(index: ProviderIndex, amounts: Map<string, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [name, amount] of amounts) {
    const id = index.catalog.rcByName.get(name);
    if (id === undefined) throw new ResourceClassNotFound(name);
    out.set(id, amount);
  }
  return out;
}

/** Whether `values` (a provider's traits or aggregates) hold one of each required any-of set
 * and none of the forbidden ones. */
export function matchesSets(
  values: ReadonlySet<string>,
  q: { required: Set<string>[]; forbidden: Set<string> },
): boolean {
  for (const anyOf of q.required) {
    let ok = false;
    for (const v of anyOf)
      if (values.has(v)) {
        ok = true;
        break;
      }
    if (!ok) return false;
  }
  for (const v of q.forbidden) if (values.has(v)) return false;
  return true;
}

export const matchesTraits: (traits: ReadonlySet<string>, q: TraitQuery) => boolean = matchesSets;
export const matchesAggregates: (aggs: ReadonlySet<string>, q: AggregateQuery) => boolean = matchesSets;

/** Whether the provider alone has room for every amount. */
export function hasRoom(n: ProviderNode, amounts: Map<number, number>): boolean {
  for (const [rc, amount] of amounts) {
    const inv = inventoryOf(n, rc);
    if (!inv || !fits(inv, amount)) return false;
  }
  return true;
}

export function filterProviders(index: ProviderIndex, f: ProviderFilters): ProviderNode[] {
  if (f.traits) {
    checkTraitsExist(
      index,
      f.traits.required.flatMap((s) => [...s]),
    );
    checkTraitsExist(index, f.traits.forbidden);
  }
  const amounts = f.resources ? classIds(index, f.resources) : null;
  let candidates: Iterable<ProviderNode> = index.nodes.values();
  if (f.uuid !== undefined) {
    const n = index.byUuid.get(f.uuid);
    candidates = n ? [n] : [];
  }
  let rootId: number | null = null;
  if (f.inTree !== undefined) {
    const n = index.byUuid.get(f.inTree);
    if (!n) return [];
    rootId = n.rootId;
  }
  const out: ProviderNode[] = [];
  for (const n of candidates) {
    if (f.name !== undefined && n.name !== f.name) continue;
    if (rootId !== null && n.rootId !== rootId) continue;
    if (f.traits && !matchesTraits(n.traits, f.traits)) continue;
    if (f.memberOf && !matchesAggregates(n.aggregates, f.memberOf)) continue;
    if (amounts && !hasRoom(n, amounts)) continue;
    out.push(n);
  }
  return out.sort((a, b) => a.id - b.id);
}
