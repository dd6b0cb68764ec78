// Inventories of a provider: what it has of each resource class, and the rules for changing
// that while allocations exist (in use → 409; shrinking below usage is allowed, with a warning).
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { InventoryTable, PlacementDB } from '../db/schema.js';
import { retryTransient, uniqueViolation, withTransaction } from '../../common/db/index.js';
import {
  DuplicateEntry,
  InventoryInUse,
  InventoryWithResourceClassNotFound,
  NotFound,
  ResourceClassNotFound,
} from '../exceptions.js';
import { now } from '../../common/time.js';
import type { Engine } from '../../common/db/index.js';
import {
  claimProvider,
  incrementGeneration,
  type Db,
  type ProviderRef,
  type ResourceProvider,
} from './resource_provider.js';
import { setInventoriesAtOnce } from './single_statement.js';

export const MAX_INT = 2147483647;

export type InventoryFields = Pick<
  InventoryTable,
  'total' | 'reserved' | 'min_unit' | 'max_unit' | 'step_size' | 'allocation_ratio'
>;

export interface Inventory extends InventoryFields {
  resource_class: string;
  created_at?: string;
  updated_at?: string | null;
}

export const INVENTORY_DEFAULTS: Omit<InventoryFields, 'total'> = {
  reserved: 0,
  min_unit: 1,
  max_unit: MAX_INT,
  step_size: 1,
  allocation_ratio: 1.0,
};

/** Usable units: upstream's int((total - reserved) * allocation_ratio). */
export function capacity(inv: InventoryFields): number {
  return Math.trunc((inv.total - inv.reserved) * inv.allocation_ratio);
}

/** An inventory's amounts, as selected from `inventories as i`. */
export const INVENTORY_AMOUNTS = [
  'i.total',
  'i.reserved',
  'i.min_unit',
  'i.max_unit',
  'i.step_size',
  'i.allocation_ratio',
] as const;

export async function listInventories(db: Db, rp: { id: number }): Promise<Inventory[]> {
  const rows = await db
    .selectFrom('inventories as i')
    .innerJoin('resource_classes as rc', 'rc.id', 'i.resource_class_id')
    .select(['rc.name as resource_class', ...INVENTORY_AMOUNTS, 'i.created_at', 'i.updated_at'])
    .where('i.resource_provider_id', '=', rp.id)
    .orderBy('i.resource_class_id')
    .execute();
  return rows.map((r) => ({ ...r, allocation_ratio: Number(r.allocation_ratio) }));
}

async function classIds(db: Db, names: string[]): Promise<Map<string, number>> {
  if (!names.length) return new Map();
  const rows = await db.selectFrom('resource_classes').select(['id', 'name']).where('name', 'in', names).execute();
  const ids = new Map(rows.map((r) => [r.name, r.id]));
  for (const n of names) if (!ids.has(n)) throw new ResourceClassNotFound(n);
  return ids;
}

/** The ids of these class names and the classes the provider has inventory of, in one query
 * (a write is mostly round trips). */
async function classesAndHoldings(trx: Db, rp: ProviderRef, names: string[]) {
  const held = trx
    .selectFrom('inventories')
    .select(['resource_class_id as id', sql<string | null>`NULL`.as('name')])
    .where('resource_provider_id', '=', rp.id);
  const rows = names.length
    ? await trx
        .selectFrom('resource_classes')
        .select(['id', sql<string | null>`name`.as('name')])
        .where('name', 'in', names)
        .unionAll(held)
        .execute()
    : await held.execute();
  const ids = new Map<string, number>();
  const have = new Set<number>();
  for (const r of rows) {
    if (r.name === null) have.add(r.id);
    else ids.set(r.name, r.id);
  }
  for (const n of names) if (!ids.has(n)) throw new ResourceClassNotFound(n);
  return { ids, have };
}

async function usageByClass(db: Db, rpId: number, rcIds: number[]): Promise<Map<number, number>> {
  if (!rcIds.length) return new Map();
  const rows = await db
    .selectFrom('allocations')
    .select(['resource_class_id', (eb) => eb.fn.sum<number>('used').as('used')])
    .where('resource_provider_id', '=', rpId)
    .where('resource_class_id', 'in', rcIds)
    .groupBy('resource_class_id')
    .execute();
  return new Map(rows.map((r) => [r.resource_class_id, Number(r.used)]));
}

async function failIfInUse(db: Db, rp: ProviderRef, rcIds: number[], names: Map<number, string>) {
  const used = await usageByClass(db, rp.id, rcIds);
  if (used.size)
    throw new InventoryInUse(
      [...used.keys()].map((id) => names.get(id)!),
      rp.uuid,
    );
}

function warnOverCapacity(log: Logger, rp: { uuid: string }, inv: Inventory, used: number | undefined) {
  if (used !== undefined && used > capacity(inv)) {
    log.warn(
      { resource_provider: rp.uuid, resource_class: inv.resource_class },
      'Resource provider is now over-capacity for this resource class',
    );
  }
}

function row(rpId: number, rcId: number, inv: InventoryFields) {
  return {
    resource_provider_id: rpId,
    resource_class_id: rcId,
    total: inv.total,
    reserved: inv.reserved,
    min_unit: inv.min_unit,
    max_unit: inv.max_unit,
    step_size: inv.step_size,
    allocation_ratio: inv.allocation_ratio,
  };
}

/** Replaces the whole inventory of provider `uuid`, written against its generation `expected`
 * (PUT .../inventories and DELETE .../inventories). `validate` runs once the provider is known
 * and its generation matched, before anything is written (upstream's order of errors). */
export async function setInventories(
  db: Kysely<PlacementDB>,
  engine: Engine,
  log: Logger,
  uuid: string,
  expected: number,
  inventories: Inventory[],
  validate: (rp: { uuid: string }) => void = () => undefined,
): Promise<ProviderRef> {
  if (engine === 'postgres' && passes(validate, uuid)) {
    const done = await retryTransient(() => setInventoriesAtOnce(db, uuid, expected, inventories));
    if (done) {
      for (const inv of inventories) warnOverCapacity(log, done.rp, inv, done.used.get(inv.resource_class));
      return done.rp;
    }
  }
  return withTransaction(db, async (trx) => {
    const rp = await claimProvider(trx, uuid, expected);
    validate(rp);
    await replaceInventories(trx, log, rp, inventories);
    return rp;
  });
}

/** Whether `validate` accepts the write; if not, the general path reports it in upstream's order. */
function passes(validate: (rp: { uuid: string }) => void, uuid: string): boolean {
  try {
    validate({ uuid });
    return true;
  } catch {
    return false;
  }
}

/** The inventory part of setInventories, inside the caller's transaction and without touching
 * the generation (the reshaper composes it with allocations). */
export async function replaceInventories(
  trx: Db,
  log: Logger,
  rp: ProviderRef,
  inventories: Inventory[],
): Promise<void> {
  const { ids, have } = await classesAndHoldings(
    trx,
    rp,
    inventories.map((i) => i.resource_class),
  );
  const want = new Set(ids.values());
  const toDelete = [...have].filter((id) => !want.has(id));
  if (toDelete.length) {
    const names = new Map(
      (await trx.selectFrom('resource_classes').select(['id', 'name']).where('id', 'in', toDelete).execute()).map(
        (r) => [r.id, r.name],
      ),
    );
    await failIfInUse(trx, rp, toDelete, names);
    await trx
      .deleteFrom('inventories')
      .where('resource_provider_id', '=', rp.id)
      .where('resource_class_id', 'in', toDelete)
      .execute();
  }
  const ts = now();
  const used = await usageByClass(
    trx,
    rp.id,
    [...want].filter((id) => have.has(id)),
  );
  const added = [];
  for (const inv of inventories) {
    const rcId = ids.get(inv.resource_class)!;
    if (!have.has(rcId)) {
      added.push({ ...row(rp.id, rcId, inv), created_at: ts, updated_at: null });
      continue;
    }
    warnOverCapacity(log, rp, inv, used.get(rcId));
    await trx
      .updateTable('inventories')
      .set({ ...row(rp.id, rcId, inv), updated_at: ts })
      .where('resource_provider_id', '=', rp.id)
      .where('resource_class_id', '=', rcId)
      .execute();
  }
  if (added.length) await trx.insertInto('inventories').values(added).execute();
}

/** Runs a change of one inventory of `rp` in a transaction (retried on transient conflicts,
 * each attempt from the generation the caller read); `rp` has the new generation once done. */
async function changeInventory(
  db: Kysely<PlacementDB>,
  rp: ResourceProvider,
  change: (trx: Transaction<PlacementDB>, ref: ProviderRef) => Promise<void>,
): Promise<void> {
  const ref = await withTransaction(db, async (trx) => {
    const ref = { id: rp.id, uuid: rp.uuid, generation: rp.generation };
    await change(trx, ref);
    return ref;
  });
  rp.generation = ref.generation;
}

/** Adds one inventory the provider does not have yet (POST .../inventories). */
export async function addInventory(db: Kysely<PlacementDB>, rp: ResourceProvider, inv: Inventory): Promise<void> {
  await changeInventory(db, rp, async (trx, rp) => {
    const rcId = (await classIds(trx, [inv.resource_class])).get(inv.resource_class)!;
    // The provider row first, then its inventory: every inventory write locks in that order.
    await incrementGeneration(trx, rp);
    try {
      await trx
        .insertInto('inventories')
        .values({ ...row(rp.id, rcId, inv), created_at: now(), updated_at: null })
        .execute();
    } catch (e) {
      const cols = uniqueViolation(e);
      throw cols ? new DuplicateEntry(cols) : e;
    }
  });
}

/** Changes one existing inventory (PUT .../inventories/{rc}). */
export async function updateInventory(
  db: Kysely<PlacementDB>,
  log: Logger,
  rp: ResourceProvider,
  inv: Inventory,
): Promise<void> {
  await changeInventory(db, rp, async (trx, rp) => {
    const rcId = (await classIds(trx, [inv.resource_class])).get(inv.resource_class)!;
    warnOverCapacity(log, rp, inv, (await usageByClass(trx, rp.id, [rcId])).get(rcId));
    await incrementGeneration(trx, rp);
    const res = await trx
      .updateTable('inventories')
      .set({ ...row(rp.id, rcId, inv), updated_at: now() })
      .where('resource_provider_id', '=', rp.id)
      .where('resource_class_id', '=', rcId)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new InventoryWithResourceClassNotFound(inv.resource_class);
  });
}

/** Removes one inventory (DELETE .../inventories/{rc}); in use → InventoryInUse. */
export async function deleteInventory(db: Kysely<PlacementDB>, rp: ResourceProvider, rcName: string): Promise<void> {
  await changeInventory(db, rp, async (trx, rp) => {
    const rcId = (await classIds(trx, [rcName])).get(rcName)!;
    await failIfInUse(trx, rp, [rcId], new Map([[rcId, rcName]]));
    await incrementGeneration(trx, rp);
    const res = await trx
      .deleteFrom('inventories')
      .where('resource_provider_id', '=', rp.id)
      .where('resource_class_id', '=', rcId)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0) throw new NotFound(`No inventory of class ${rcName} found for delete`);
  });
}
