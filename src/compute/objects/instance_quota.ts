// The quota checks of a server create (Nova's compute.api._check_num_instances_quota and
// _check_metadata_properties_quota), through the quota engine of objects/quota.ts: instances,
// cores and ram for max_count servers, else as many as fit down to min_count, else
// TooManyInstances naming every resource over its limit.
import type { Config } from '../../common/config.js';
import { MetadataLimitExceeded, QuotaExceeded, TooManyInstances } from '../exceptions.js';
import type { Db } from './instance.js';
import { checkDeltas, projectLimits, storedLimits, type QuotaScope, type StoredLimits } from './quota.js';

const deltas = (n: number, per: { cores: number; ram: number }) => ({
  instances: n,
  cores: n * per.cores,
  ram: n * per.ram,
});

/** How many of min..max servers of `perInstance` the project (and user) may still have.
 * `stored`: the scope's limits, when the caller has read them (storedLimits with its user). */
export async function allowedInstances(
  db: Db,
  config: Config,
  scope: QuotaScope,
  perInstance: { cores: number; ram: number },
  min: number,
  max: number,
  stored?: StoredLimits,
): Promise<number> {
  try {
    await checkDeltas(db, config, scope, deltas(max, perInstance), stored);
    return max;
  } catch (e) {
    if (!(e instanceof QuotaExceeded)) throw e;
    const per: Record<string, number> = { instances: 1, ...perInstance };
    const fits = (k: string) => (per[k] ? Math.floor((e.quotas[k]! - (e.usages[k] ?? 0)) / per[k]) : Infinity);
    const allowed = Math.min(...e.overs.map(fits));
    if (allowed >= min) {
      await checkDeltas(db, config, scope, deltas(allowed, perInstance), stored);
      return allowed;
    }
    // Nova names every resource over its limit, each field a list in the same order.
    const list = (f: (k: string) => number | string) => e.overs.map(f).join(', ');
    throw new TooManyInstances(
      list((k) => k),
      list((k) => per[k]! * min),
      list((k) => e.usages[k] ?? 0),
      list((k) => e.quotas[k]!),
    );
  }
}

/** `stored`: the project's limits, when the caller has read them. */
export async function checkMetadataQuota(
  db: Db,
  config: Config,
  projectId: string,
  metadata: Record<string, string>,
  stored?: StoredLimits,
): Promise<void> {
  const allowed = projectLimits(config, stored ?? (await storedLimits(db, projectId))).metadata_items!.limit;
  if (allowed >= 0 && Object.keys(metadata).length > allowed) throw new MetadataLimitExceeded(allowed);
}
