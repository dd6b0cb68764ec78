// Allocations: what each consumer holds of each provider's inventory. Every write replaces the
// complete allocations of the consumers it names, in one transaction, after checking capacity;
// provider generations make concurrent writers to the same provider retry instead of
// overcommitting (upstream's replace_all with allocation_conflict_retry_count).
import type { Compilable, Kysely, Transaction } from 'kysely';
import { engineOf, executeGroups, inTexts, withTransaction } from '../../common/db/index.js';
import type { PlacementDB } from '../db/schema.js';
import {
  InvalidAllocationCapacityExceeded,
  InvalidAllocationConstraintsViolated,
  InvalidInventory,
  ResourceProviderConcurrentUpdateDetected,
  ResourceClassNotFound,
} from '../exceptions.js';
import { now } from '../../common/time.js';
import {
  consumerBumped,
  consumerFirstWritten,
  consumersWithoutAllocationsDelete,
  deleteConsumersWithoutAllocations,
  ensureOwners,
  planConsumer,
  selectConsumers,
  type Consumer,
  type ConsumerRequest,
  type ExternalIdScope,
  type ExternalIds,
} from './consumer.js';
import { generationIncremented, generationUpdate, type Db } from './resource_provider.js';
import { standardClassId } from './resource_class.js';
import { INVENTORY_AMOUNTS } from './inventory.js';

export interface ConsumerAllocation {
  id: number;
  resource_provider_id: number;
  resource_provider_uuid: string;
  resource_provider_generation: number;
  resource_class: string;
  used: number;
  created_at: string;
  updated_at: string | null;
}

export async function listForConsumer(db: Db, consumerUuid: string): Promise<ConsumerAllocation[]> {
  return db
    .selectFrom('allocations as a')
    .innerJoin('resource_providers as rp', 'rp.id', 'a.resource_provider_id')
    .innerJoin('resource_classes as rc', 'rc.id', 'a.resource_class_id')
    .select([
      'a.id',
      'a.resource_provider_id',
      'rp.uuid as resource_provider_uuid',
      'rp.generation as resource_provider_generation',
      'rc.name as resource_class',
      'a.used',
      'a.created_at',
      'a.updated_at',
    ])
    .where('a.consumer_id', '=', consumerUuid)
    .orderBy('a.id')
    .execute();
}

export interface ProviderAllocation {
  consumer_uuid: string;
  consumer_generation: number | null;
  resource_class: string;
  used: number;
  created_at: string;
  updated_at: string | null;
}

export async function listForProvider(db: Db, rp: { id: number }): Promise<ProviderAllocation[]> {
  return db
    .selectFrom('allocations as a')
    .innerJoin('resource_classes as rc', 'rc.id', 'a.resource_class_id')
    .leftJoin('consumers as c', 'c.uuid', 'a.consumer_id')
    .select([
      'a.consumer_id as consumer_uuid',
      'c.generation as consumer_generation',
      'rc.name as resource_class',
      'a.used',
      'a.created_at',
      'a.updated_at',
    ])
    .where('a.resource_provider_id', '=', rp.id)
    .orderBy('a.id')
    .execute();
}

/** One consumer's part of a write: its identity and its complete new allocations
 * (provider uuid → class → amount); an empty map removes all its allocations. */
export interface ConsumerWrite extends ConsumerRequest {
  allocations: Map<string, Map<string, number>>;
}

/** A provider named by an allocation that does not exist (a 400 for the handlers). */
export class AllocationProviderNotFound extends Error {
  constructor(readonly uuid: string) {
    super(`Allocation for resource provider '${uuid}' that does not exist.`);
  }
}

interface Row {
  rpId: number;
  rpUuid: string;
  rcId: number;
  rc: string;
  used: number;
  consumer: string;
}

/** The providers named by a write with each of their inventories (a row of nulls for a provider
 * without any) and what consumers other than the write's hold of each: the capacity left to the
 * write once its consumers' old allocations are gone. */
function providerInventories(trx: Db, rpUuids: string[], writers: string[]) {
  const engine = engineOf<PlacementDB>(trx);
  return trx
    .selectFrom('resource_providers as rp')
    .leftJoin('inventories as i', 'i.resource_provider_id', 'rp.id')
    .select((eb) => [
      'rp.id',
      'rp.uuid',
      'rp.generation',
      'i.resource_class_id',
      ...INVENTORY_AMOUNTS,
      eb
        .selectFrom('allocations as a')
        .select((s) => s.fn.sum<number | null>('a.used').as('used'))
        .whereRef('a.resource_provider_id', '=', 'i.resource_provider_id')
        .whereRef('a.resource_class_id', '=', 'i.resource_class_id')
        .where((w) => w.not(inTexts(engine, 'a.consumer_id', writers)))
        .as('used'),
    ])
    .where(inTexts(engine, 'rp.uuid', rpUuids));
}

type ProviderInventory = Awaited<ReturnType<ReturnType<typeof providerInventories>['execute']>>[number];

/** Standard classes keep their ids (their os-resource-classes index) and cannot be deleted:
 * only custom classes are looked up. */
function classIds(names: string[], custom: { id: number; name: string }[]): Map<string, number> {
  const ids = new Map<string, number>(custom.map((r) => [r.name, r.id]));
  for (const n of names) {
    const id = standardClassId(n);
    if (id !== undefined) ids.set(n, id);
    else if (!ids.has(n)) throw new ResourceClassNotFound(n);
  }
  return ids;
}

/** Upstream's _check_capacity_exceeded, against the usage left once the consumers' old
 * allocations are gone. */
function checkCapacity(inventories: ProviderInventory[], rows: Row[]): void {
  const key = (rp: number, rc: number) => `${rp}:${rc}`;
  const rcIds = new Set(rows.map((r) => r.rcId));
  const inv = new Map<string, ProviderInventory>();
  const withInventory = new Set<number>();
  for (const i of inventories) {
    if (i.resource_class_id === null || !rcIds.has(i.resource_class_id)) continue;
    inv.set(key(i.id, i.resource_class_id), i);
    withInventory.add(i.id);
  }
  const missing = rows.filter((r) => !withInventory.has(r.rpId));
  if (missing.length) {
    const classes = [...new Set(rows.map((r) => r.rc))].join(', ');
    throw new InvalidInventory(
      `Inventory for '${classes}' on resource provider '${[...new Set(missing.map((r) => r.rpUuid))].join(', ')}' invalid.`,
    );
  }
  const requested = new Map<string, number>();
  for (const r of rows) {
    const k = key(r.rpId, r.rcId);
    requested.set(k, (requested.get(k) ?? 0) + r.used);
    if (r.used === 0) continue;
    const i = inv.get(k);
    if (!i) throw new InvalidInventory(`Inventory for '${r.rc}' on resource provider '${r.rpUuid}' invalid.`);
    if (r.used < i.min_unit! || r.used > i.max_unit! || r.used % i.step_size! !== 0) {
      throw new InvalidAllocationConstraintsViolated(r.rc, r.rpUuid);
    }
    const cap = (i.total! - i.reserved!) * Number(i.allocation_ratio);
    const u = Number(i.used ?? 0);
    if (cap < u + r.used || cap < u + requested.get(k)!) throw new InvalidAllocationCapacityExceeded(r.rc, r.rpUuid);
  }
}

const byUuid = (a: { uuid: string }, b: { uuid: string }) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);

/** Replaces the consumers' allocations inside the caller's transaction (no retry), in two batches
 * (executeTogether: one round trip each on PostgreSQL): what the write needs to know (its
 * consumers, its providers with their inventories and usage, custom classes), then, once every
 * check has passed, all its writes. Provider and consumer generations, bumped only if unchanged
 * since read, catch whoever wrote between the two.
 * Rows are locked in one order whatever the order of the request — owners, then consumers by
 * uuid, then providers by id — so that two writes naming the same consumers or providers wait
 * for each other instead of deadlocking. */
export async function writeAllocations(
  trx: Transaction<PlacementDB>,
  ids: ExternalIdScope,
  unordered: ConsumerWrite[],
): Promise<void> {
  // Nothing to write (a reshape of inventories only).
  if (!unordered.length) return;
  const writes = [...unordered].sort(byUuid);
  await ensureOwners(trx, ids, writes);
  const writers = writes.map((w) => w.uuid);
  const rpUuids = [...new Set(writes.flatMap((w) => [...w.allocations.keys()]))];
  const classes = [...new Set(writes.flatMap((w) => [...w.allocations.values()].flatMap((m) => [...m.keys()])))];
  const custom = classes.filter((n) => standardClassId(n) === undefined);
  // A consumer whose write is empty gives up what it holds, and the providers it leaves move
  // generation too (upstream writes zero-amount allocations for them). Providers that only
  // lose allocations to a consumer moving elsewhere keep theirs, as upstream.
  const emptyConsumers = writes.filter((w) => !w.allocations.size).map((w) => w.uuid);
  const [[consumersRead], [inventoriesRead], customRead, emptiedRead] = await executeGroups(trx, [
    [selectConsumers(trx, writers)],
    [providerInventories(trx, rpUuids, writers)],
    custom.length ? [trx.selectFrom('resource_classes').select(['id', 'name']).where('name', 'in', custom)] : [],
    emptyConsumers.length
      ? [
          trx
            .selectFrom('allocations as a')
            .innerJoin('resource_providers as rp', 'rp.id', 'a.resource_provider_id')
            .select(['rp.id', 'rp.generation'])
            .distinct()
            .where('a.consumer_id', 'in', emptyConsumers),
        ]
      : [],
  ]);
  const found = new Map((consumersRead!.rows as Consumer[]).map((c) => [c.uuid, c]));
  const inventories = inventoriesRead!.rows as ProviderInventory[];
  const customIds = (customRead[0]?.rows ?? []) as { id: number; name: string }[];
  const emptied = (emptiedRead[0]?.rows ?? []) as { id: number; generation: number }[];

  const plans = writes.map((w) => planConsumer(trx, ids, w, found.get(w.uuid)));
  const providers = new Map(inventories.map((i) => [i.uuid, { id: i.id, generation: i.generation }]));
  for (const u of rpUuids) if (!providers.has(u)) throw new AllocationProviderNotFound(u);
  const rcs = classIds(classes, customIds);
  const rows: Row[] = [];
  for (const w of writes) {
    for (const [rpUuid, resources] of w.allocations) {
      const rp = providers.get(rpUuid)!;
      for (const [rc, used] of resources) {
        rows.push({ rpId: rp.id, rpUuid, rcId: rcs.get(rc)!, rc, used, consumer: w.uuid });
      }
    }
  }
  checkCapacity(inventories, rows);

  const ts = now();
  const inserts = rows
    .filter((r) => r.used > 0)
    .map((r) => ({
      resource_provider_id: r.rpId,
      consumer_id: r.consumer,
      resource_class_id: r.rcId,
      used: r.used,
      created_at: ts,
      updated_at: null,
    }));
  const touched = new Map([...providers.values(), ...emptied].map((rp) => [rp.id, rp]));
  const bumped = [...touched.values()].sort((a, b) => a.id - b.id);
  const holding = new Set(inserts.map((r) => r.consumer_id));
  const released = writers.filter((u) => !holding.has(u));
  // A consumer this write created holds nothing yet.
  const existing = plans.filter((p) => !p.created).map((p) => p.uuid);
  const firsts = plans.filter((p) => p.first);
  const bumps = plans.filter((p) => p.bump);
  const chunks: Compilable<unknown>[] = [];
  for (let i = 0; i < inserts.length; i += 500)
    chunks.push(trx.insertInto('allocations').values(inserts.slice(i, i + 500)));
  const [created, , , generations, consumerGenerations] = await executeGroups(trx, [
    firsts.map((p) => p.first!),
    existing.length ? [trx.deleteFrom('allocations').where('consumer_id', 'in', existing)] : [],
    chunks,
    bumped.map((rp) => generationUpdate(trx, rp)),
    bumps.map((p) => p.bump!),
    released.length ? [consumersWithoutAllocationsDelete(trx, released)] : [],
  ]);
  // In the order the statements took their locks: a provider's conflict is the one retried.
  firsts.forEach((p, i) => consumerFirstWritten(p, created[i]!));
  bumped.forEach((rp, i) => generationIncremented(rp, generations[i]!.numAffectedRows));
  consumerGenerations.forEach(consumerBumped);
}

/** Runs `write` in a transaction, retrying up to `retries` times when a provider's generation
 * moved under us (upstream's replace_all); a deadlock or serialization failure is retried
 * too (withTransaction). Each attempt starts afresh: what a rolled-back one learnt is forgotten. */
export async function retryingWrite(
  db: Kysely<PlacementDB>,
  ids: ExternalIds,
  retries: number,
  write: (trx: Transaction<PlacementDB>, scope: ExternalIdScope) => Promise<void>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const scope = await withTransaction(db, async (trx) => {
        const scope = ids.begin();
        await write(trx, scope);
        return scope;
      });
      scope.commit();
      return;
    } catch (e) {
      if (!(e instanceof ResourceProviderConcurrentUpdateDetected) || attempt >= retries) throw e;
    }
  }
}

/** Replaces the allocations of every consumer in `writes` at once. */
export async function replaceAllocations(
  db: Kysely<PlacementDB>,
  ids: ExternalIds,
  writes: ConsumerWrite[],
  retries: number,
): Promise<void> {
  await retryingWrite(db, ids, retries, (trx, scope) => writeAllocations(trx, scope, writes));
}

/** DELETE /allocations/{consumer}: false when the consumer holds nothing. */
export async function deleteConsumerAllocations(db: Kysely<PlacementDB>, consumerUuid: string): Promise<boolean> {
  return withTransaction(db, async (trx) => {
    const held = await trx
      .selectFrom('allocations')
      .select('id')
      .where('consumer_id', '=', consumerUuid)
      .limit(1)
      .execute();
    if (!held.length) return false;
    await trx.deleteFrom('allocations').where('consumer_id', '=', consumerUuid).execute();
    await deleteConsumersWithoutAllocations(trx, [consumerUuid]);
    return true;
  });
}
