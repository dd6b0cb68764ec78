// `concord manage placement sync_aggregates` (nova-manage's): puts the resource providers of every
// aggregated host into the Placement aggregate of the same uuid. The API mirrors each change as it
// happens, but only warns when Placement cannot be reached (or the host has no provider yet), so an
// operator runs this afterwards to catch up. It only adds: a provider in a Placement aggregate its
// host has left stays there, as with Nova.
import { ClientError, type RequestIds } from '../../common/clients/index.js';
import type { Compute } from '../context.js';
import { providersOf, setProviderMembership } from '../placement_aggregates.js';

/** nova-manage's return codes for this command. */
export const SYNC_AGGREGATES_CODES = {
  ok: 0,
  placementError: 2,
  updateFailed: 3,
  noComputeNode: 5,
  providerNotFound: 6,
} as const;

export interface SyncAggregatesResult {
  code: number;
  /** What was done and what could not be, one line each (the verbose lines are `progress`). */
  problems: string[];
  progress: string[];
}

export async function syncAggregates(compute: Compute, ids: RequestIds): Promise<SyncAggregatesResult> {
  const members = await compute.db
    .selectFrom('aggregate_hosts as ah')
    .innerJoin('aggregates as a', 'a.id', 'ah.aggregate_id')
    .select(['a.uuid', 'a.name', 'ah.host'])
    .orderBy('a.id')
    .orderBy('ah.host')
    .execute();
  const result: SyncAggregatesResult = { code: SYNC_AGGREGATES_CODES.ok, problems: [], progress: [] };
  // The worst problem decides the return code, as nova-manage's first failure would (it stops
  // there; this goes on with the other hosts, so one run fixes all it can).
  const fail = (code: number, message: string) => {
    result.code = Math.max(result.code, code);
    result.problems.push(message);
  };
  const hostsWithoutNodes = new Set<string>();
  for (const { uuid: aggregate, name, host } of members) {
    const providers = await providersOf(compute, host);
    if (!providers.length) hostsWithoutNodes.add(host);
    for (const provider of providers) {
      try {
        if (await setProviderMembership(compute, ids, provider, aggregate, true)) {
          result.progress.push(
            `Successfully added host (${host}) and provider (${provider}) to aggregate (${aggregate}, ${name}).`,
          );
        } else {
          fail(
            SYNC_AGGREGATES_CODES.providerNotFound,
            `Unable to find resource provider with uuid ${provider} for host ${host}.`,
          );
        }
      } catch (e) {
        // A provider that kept changing under every attempt vs. Placement failing or unreachable.
        if (e instanceof ClientError && e.status === 409) {
          fail(
            SYNC_AGGREGATES_CODES.updateFailed,
            `Failed updating provider aggregates for host (${host}), provider (${provider}) and aggregate (${aggregate}): ${e.detail}`,
          );
        } else {
          const why = e instanceof ClientError ? `${e.status} ${e.detail}` : (e as Error).message;
          fail(
            SYNC_AGGREGATES_CODES.placementError,
            `An error occurred while working with the placement API for host ${host}: ${why}`,
          );
        }
      }
    }
  }
  if (hostsWithoutNodes.size) {
    fail(
      SYNC_AGGREGATES_CODES.noComputeNode,
      'Unable to find matching compute_nodes record entries in the database for the following hosts: ' +
        [...hostsWithoutNodes].join(', '),
    );
  }
  return result;
}
