// Host aggregates mirrored into Placement, as Nova's API mirrors them (the report client's
// aggregate_add_host / aggregate_remove_host): the resource providers of a host's compute nodes
// join and leave the Placement aggregate of the same uuid, so that member_of queries (and
// Placement-side filters) see what Nova's aggregates say. A provider's aggregates are replaced
// whole under its generation; a concurrent change is read again and retried.
import { asService, ClientError, type RequestIds } from '../common/clients/index.js';
import type { Compute } from './context.js';
import { conflict } from './errors.js';

const ATTEMPTS = 4;

/** The uuids of `host`'s compute nodes: its resource providers. */
export async function providersOf(compute: Compute, host: string): Promise<string[]> {
  return (
    await compute.db
      .selectFrom('compute_nodes')
      .select('uuid')
      .where('host', '=', host)
      .where('deleted', '=', 0)
      .orderBy('id')
      .execute()
  ).map((r) => r.uuid);
}

/** Puts `provider` in (or out of) `aggregate`; false when Placement has no such provider. */
export async function setProviderMembership(
  compute: Compute,
  ids: RequestIds,
  provider: string,
  aggregate: string,
  join: boolean,
): Promise<boolean> {
  const placement = compute.clients!.placement;
  for (let attempt = 1; ; attempt++) {
    try {
      const current = await placement.aggregates.get(asService(ids), provider);
      const member = current.aggregates.includes(aggregate);
      if (member === join) return true;
      const next = join ? [...current.aggregates, aggregate] : current.aggregates.filter((a) => a !== aggregate);
      await placement.aggregates.put(asService(ids), provider, current.resource_provider_generation, next);
      return true;
    } catch (e) {
      if (e instanceof ClientError && e.status === 404) return false;
      if (e instanceof ClientError && e.status === 409 && attempt < ATTEMPTS) continue;
      throw e;
    }
  }
}

/** After `host` joined the aggregate: its providers join too. Placement failing does not undo
 * the join (Nova only warns: a later sync puts it right). */
export async function mirrorHostAdded(
  compute: Compute,
  ids: RequestIds,
  aggregateUuid: string,
  host: string,
): Promise<void> {
  if (!compute.clients) return;
  for (const provider of await providersOf(compute, host)) {
    try {
      if (!(await setProviderMembership(compute, ids, provider, aggregateUuid, true))) {
        compute.log.warn({ host, provider }, 'no resource provider in placement to associate with the aggregate');
      }
    } catch (e) {
      compute.log.warn(
        { host, provider, err: e instanceof ClientError ? `${e.status} ${e.detail}` : String(e) },
        "Failed to associate the host's resource provider with a placement aggregate",
      );
    }
  }
}

/** Before `host` leaves the aggregate: its providers leave first, so that a failure here leaves
 * nothing changed and the removal can be tried again. A provider Placement does not have is out
 * already; one that keeps changing under us is a 409. */
export async function mirrorHostRemoved(
  compute: Compute,
  ids: RequestIds,
  aggregateUuid: string,
  host: string,
  conflictMessage: string,
): Promise<void> {
  if (!compute.clients) return;
  for (const provider of await providersOf(compute, host)) {
    try {
      if (!(await setProviderMembership(compute, ids, provider, aggregateUuid, false))) {
        compute.log.warn({ host, provider }, 'no resource provider in placement to remove from the aggregate');
      }
    } catch (e) {
      if (e instanceof ClientError && e.status === 409) throw conflict(conflictMessage);
      throw e;
    }
  }
}
