// Reads providers from the database into the shape the provider index keeps: one query per
// table, for all providers (start-up) or for the ones the change log names. The index calls
// these inside one read snapshot, so the tables agree with each other.
import type { Kysely } from 'kysely';
import { inIds, type Engine } from '../../common/db/index.js';
import type { PlacementDB } from '../db/schema.js';
import { inventoryOf, type Catalog, type ProviderNode } from './model.js';

/** The providers with these ids (all of them when `ids` is null). Missing ids are simply absent. */
export async function loadProviders(
  db: Kysely<PlacementDB>,
  engine: Engine,
  sets: SetPool,
  ids: number[] | null,
): Promise<ProviderNode[]> {
  const scoped = <T>(fn: (only: ReturnType<typeof inIds> | null) => Promise<T[]>, column: string) =>
    fn(ids === null ? null : inIds(engine, column, ids));
  const providers = await scoped((only) => {
    let q = db.selectFrom('resource_providers').selectAll();
    if (only) q = q.where(only);
    return q.execute();
  }, 'id');
  if (!providers.length) return [];
  const nodes = new Map<number, ProviderNode>();
  const traitsOf = new Map<number, string[]>();
  const aggsOf = new Map<number, string[]>();
  for (const p of providers) {
    nodes.set(p.id, {
      id: p.id,
      uuid: p.uuid,
      name: p.name,
      generation: p.generation,
      parentId: p.parent_provider_id,
      rootId: p.root_provider_id ?? p.id,
      modifiedAt: p.updated_at ?? p.created_at,
      inventories: [],
      traits: EMPTY,
      aggregates: EMPTY,
    });
  }
  const inventories = await scoped((only) => {
    let q = db.selectFrom('inventories').selectAll();
    if (only) q = q.where(only);
    return q.orderBy('resource_class_id').execute();
  }, 'resource_provider_id');
  for (const i of inventories) {
    nodes.get(i.resource_provider_id)?.inventories.push({
      rcId: i.resource_class_id,
      total: i.total,
      reserved: i.reserved,
      min_unit: i.min_unit,
      max_unit: i.max_unit,
      step_size: i.step_size,
      allocation_ratio: Number(i.allocation_ratio),
      used: 0,
    });
  }
  const usages = await scoped((only) => {
    let q = db
      .selectFrom('allocations')
      .select(['resource_provider_id', 'resource_class_id', (eb) => eb.fn.sum<number>('used').as('used')])
      .groupBy(['resource_provider_id', 'resource_class_id']);
    if (only) q = q.where(only);
    return q.execute();
  }, 'resource_provider_id');
  for (const u of usages) {
    const n = nodes.get(u.resource_provider_id);
    const inv = n && inventoryOf(n, u.resource_class_id);
    if (inv) inv.used = Number(u.used);
  }
  const traits = await scoped((only) => {
    let q = db
      .selectFrom('resource_provider_traits as rpt')
      .innerJoin('traits as t', 't.id', 'rpt.trait_id')
      .select(['rpt.resource_provider_id', 't.name']);
    if (only) q = q.where(only);
    return q.execute();
  }, 'rpt.resource_provider_id');
  for (const t of traits) push(traitsOf, t.resource_provider_id, t.name);
  const aggregates = await scoped((only) => {
    let q = db
      .selectFrom('resource_provider_aggregates as rpa')
      .innerJoin('placement_aggregates as a', 'a.id', 'rpa.aggregate_id')
      .select(['rpa.resource_provider_id', 'a.uuid']);
    if (only) q = q.where(only);
    return q.execute();
  }, 'rpa.resource_provider_id');
  for (const a of aggregates) push(aggsOf, a.resource_provider_id, a.uuid);
  for (const n of nodes.values()) {
    n.traits = sets.intern(traitsOf.get(n.id));
    n.aggregates = sets.intern(aggsOf.get(n.id));
  }
  return [...nodes.values()];
}

function push(m: Map<number, string[]>, id: number, value: string) {
  const list = m.get(id);
  if (list) list.push(value);
  else m.set(id, [value]);
}

const EMPTY: ReadonlySet<string> = new Set();

/** Shares equal sets of names between providers: in a cloud most providers have the same
 * traits and aggregates as many others, and a Set per provider would cost the most memory. */
export class SetPool {
  private readonly pool = new Map<string, ReadonlySet<string>>();

  intern(names: string[] | undefined): ReadonlySet<string> {
    if (!names?.length) return EMPTY;
    const key = names.sort().join('\n');
    let set = this.pool.get(key);
    if (!set) this.pool.set(key, (set = new Set(names)));
    return set;
  }

  clear(): void {
    this.pool.clear();
  }
}

export async function loadCatalog(db: Kysely<PlacementDB>): Promise<Catalog> {
  const rcs = await db.selectFrom('resource_classes').select(['id', 'name']).execute();
  const traits = await db.selectFrom('traits').select('name').execute();
  return {
    rcById: new Map(rcs.map((r) => [r.id, r.name])),
    rcByName: new Map(rcs.map((r) => [r.name, r.id])),
    traits: new Set(traits.map((t) => t.name)),
  };
}
