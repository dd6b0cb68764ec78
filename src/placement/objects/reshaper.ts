// POST /reshaper: move inventory and the allocations against it between providers of a tree
// atomically (e.g. VCPU from a compute node to its NUMA children), as one transaction:
// first every provider gets the union of its old and new inventory (so allocations can land
// anywhere), then the allocations are replaced, then each provider keeps only its new
// inventory - which fails if allocations still use what is removed.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { PlacementDB } from '../db/schema.js';
import { listInventories, replaceInventories, type Inventory } from './inventory.js';
import { retryingWrite, writeAllocations, type ConsumerWrite } from './allocation.js';
import type { ExternalIds } from './consumer.js';
import { incrementGeneration, type ResourceProvider } from './resource_provider.js';

export interface Reshape {
  inventories: { rp: ResourceProvider; inventories: Inventory[] }[];
  allocations: ConsumerWrite[];
}

export async function reshape(db: Kysely<PlacementDB>, log: Logger, ids: ExternalIds, r: Reshape): Promise<void> {
  // No retry: the client's generations were checked against what we read; a concurrent change
  // is a conflict for it to resolve.
  await retryingWrite(db, ids, 1, async (trx, scope) => {
    // Each attempt starts from the generations the client gave (writes below move them).
    const changes = r.inventories.map(({ rp, inventories }) => ({ rp: { ...rp }, inventories }));
    for (const { rp, inventories } of changes) {
      if (!inventories.length) continue;
      const merged = new Map((await listInventories(trx, rp)).map((i) => [i.resource_class, i]));
      for (const i of inventories) merged.set(i.resource_class, i);
      // The provider row first, then its inventory: every inventory write locks in that order.
      await incrementGeneration(trx, rp);
      await replaceInventories(trx, log, rp, [...merged.values()]);
    }
    await writeAllocations(trx, scope, r.allocations);
    for (const { rp, inventories } of changes) {
      // Re-read: the allocation write moved the generation of providers it touched.
      const fresh = await trx
        .selectFrom('resource_providers')
        .select('generation')
        .where('id', '=', rp.id)
        .executeTakeFirstOrThrow();
      rp.generation = fresh.generation;
      await replaceInventories(trx, log, rp, inventories);
      await incrementGeneration(trx, rp);
    }
  });
}
