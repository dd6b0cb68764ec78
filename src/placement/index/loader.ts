// Reads providers from the database into the shape the provider index keeps: one query per
// table, for all providers (start-up) or for the ones the change log names.
import type { Kysely } from 'kysely';
import { inChunks } from '../../common/db/index.js';
import type { PlacementDB } from '../db/schema.js';
import type { Catalog, InventoryRecord, ProviderNode } from './model.js';

const CHUNK = 500;

/** The providers with these ids (all of them when `ids` is null). Missing ids are simply absent. */
export async function loadProviders(db: Kysely<PlacementDB>, ids: number[] | null): Promise<ProviderNode[]> {
  const scoped = <T>(fn: (chunk: number[] | null) => Promise<T[]>) =>
    ids === null ? fn(null) : inChunks(ids, CHUNK, fn);
  const providers = await scoped((chunk) => {
    let q = db.selectFrom('resource_providers').selectAll();
    if (chunk) q = q.where('id', 'in', chunk);
    return q.execute();
  });
  if (!providers.length) return [];
  const nodes = new Map<number, ProviderNode>();
  for (const p of providers) {
    nodes.set(p.id, {
      id: p.id, uuid: p.uuid, name: p.name, generation: p.generation,
      parentId: p.parent_provider_id, rootId: p.root_provider_id ?? p.id,
      createdAt: p.created_at, updatedAt: p.updated_at,
      inventories: new Map(), usages: new Map(), traits: new Set(), aggregates: new Set(),
    });
  }
  const inventories = await scoped((chunk) => {
    let q = db.selectFrom('inventories').selectAll();
    if (chunk) q = q.where('resource_provider_id', 'in', chunk);
    return q.execute();
  });
  for (const i of inventories) {
    const inv: InventoryRecord = {
      total: i.total, reserved: i.reserved, min_unit: i.min_unit, max_unit: i.max_unit,
      step_size: i.step_size, allocation_ratio: Number(i.allocation_ratio),
    };
    nodes.get(i.resource_provider_id)?.inventories.set(i.resource_class_id, inv);
  }
  const usages = await scoped((chunk) => {
    let q = db.selectFrom('allocations')
      .select(['resource_provider_id', 'resource_class_id', (eb) => eb.fn.sum<number>('used').as('used')])
      .groupBy(['resource_provider_id', 'resource_class_id']);
    if (chunk) q = q.where('resource_provider_id', 'in', chunk);
    return q.execute();
  });
  for (const u of usages) nodes.get(u.resource_provider_id)?.usages.set(u.resource_class_id, Number(u.used));
  const traits = await scoped((chunk) => {
    let q = db.selectFrom('resource_provider_traits as rpt').innerJoin('traits as t', 't.id', 'rpt.trait_id')
      .select(['rpt.resource_provider_id', 't.name']);
    if (chunk) q = q.where('rpt.resource_provider_id', 'in', chunk);
    return q.execute();
  });
  for (const t of traits) nodes.get(t.resource_provider_id)?.traits.add(t.name);
  const aggregates = await scoped((chunk) => {
    let q = db.selectFrom('resource_provider_aggregates as rpa')
      .innerJoin('placement_aggregates as a', 'a.id', 'rpa.aggregate_id')
      .select(['rpa.resource_provider_id', 'a.uuid']);
    if (chunk) q = q.where('rpa.resource_provider_id', 'in', chunk);
    return q.execute();
  });
  for (const a of aggregates) nodes.get(a.resource_provider_id)?.aggregates.add(a.uuid);
  return [...nodes.values()];
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
