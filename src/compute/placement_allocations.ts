// An instance's allocations changed in part, as Nova's report client changes them for a move that
// keeps the instance as the only consumer (an evacuation): a destination's claim added to what
// the instance holds on its source (claim_resources doubling a move's allocations), and a host's
// providers taken out again (remove_provider_tree_from_instance_allocation: the source once its
// host is back, a destination the evacuation failed on; an audit's orphan too). Each write is
// made against the consumer's generation as read; another writer meanwhile (Placement's
// placement.concurrent_update) makes it read again and retry.
import { asService, ClientError, type PlacementClient, type RequestIds } from '../common/clients/index.js';
import type { ConsumerAllocations } from '../common/clients/placement/index.js';

const ATTEMPTS = 4;

type Resources = Record<string, { resources: Record<string, number> }>;

const isGenerationConflict = (e: unknown) =>
  e instanceof ClientError && e.status === 409 && e.code === 'placement.concurrent_update';

/** The allocations without their providers' generations, as a write takes them. */
export const flatAllocations = (held: ConsumerAllocations['allocations']): Resources =>
  Object.fromEntries(Object.entries(held).map(([rp, a]) => [rp, { resources: a.resources }]));

/** The providers of the tree whose root is `root` (a compute node's, nested ones included); empty
 * when Placement has no such provider. */
export async function providerTree(placement: PlacementClient, root: string): Promise<Set<string>> {
  return new Set((await placement.resourceProviders.list(asService(), { in_tree: root })).map((rp) => rp.uuid));
}

/** Adds `extra` to what `consumer` holds (a claim Placement refuses for capacity throws its 409). */
export async function addAllocations(
  placement: PlacementClient,
  consumer: { uuid: string; projectId: string; userId: string },
  extra: Resources,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const held = await placement.allocations.get(asService(), consumer.uuid);
    try {
      await placement.allocations.put(asService(), consumer.uuid, {
        allocations: { ...flatAllocations(held.allocations), ...extra },
        project_id: consumer.projectId,
        user_id: consumer.userId,
        consumer_generation: held.consumer_generation ?? null,
        consumer_type: 'INSTANCE',
      });
      return;
    } catch (e) {
      if (!isGenerationConflict(e) || attempt >= ATTEMPTS) throw e;
    }
  }
}

/** Takes the providers `drop` picks out of `consumer`'s allocations (all of them: the consumer's
 * allocations deleted); nothing to do when it holds none there. */
export async function removeAllocations(
  placement: PlacementClient,
  consumer: string,
  drop: (provider: string) => boolean,
  ids?: RequestIds,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = await placement.allocations.get(asService(ids), consumer);
    const held = flatAllocations(current.allocations);
    const rest = Object.fromEntries(Object.entries(held).filter(([rp]) => !drop(rp)));
    if (Object.keys(rest).length === Object.keys(held).length) return;
    try {
      if (!Object.keys(rest).length) await placement.allocations.delete(asService(ids), consumer);
      else {
        await placement.allocations.put(asService(ids), consumer, {
          allocations: rest,
          project_id: current.project_id!,
          user_id: current.user_id!,
          consumer_generation: current.consumer_generation ?? null,
          consumer_type: current.consumer_type ?? 'INSTANCE',
        });
      }
      return;
    } catch (e) {
      // Gone meanwhile (its server deleted): nothing left to take out.
      if (e instanceof ClientError && e.status === 404) return;
      if (!(e instanceof ClientError && e.status === 409) || attempt >= ATTEMPTS) throw e;
    }
  }
}
