// The JSON of GET /allocation_candidates, per microversion: allocation requests as a list
// (before 1.12) or keyed by provider (with mappings since 1.34), and provider summaries (traits
// since 1.17, every class since 1.27, tree uuids since 1.29).
import type { Version } from '../../common/http/microversion.js';
import type { ProviderIndex } from '../index/provider_index.js';
import type { CandidateResult } from './search.js';

export function renderCandidates(index: ProviderIndex, r: CandidateResult, version: Version,
  requestedClasses: Set<string>): unknown {
  const byUuid = (ids: Iterable<number>) => [...ids].map((id) => index.get(id).uuid);
  let allocationRequests: unknown[];
  if (version.gte('1.12')) {
    const withMappings = version.gte('1.34');
    allocationRequests = r.requests.map((req) => {
      const allocations: Record<string, { resources: Record<string, number> }> = {};
      for (const rr of req.resources) {
        (allocations[rr.rp.uuid] ??= { resources: {} }).resources[index.rcName(rr.rcId)] = rr.amount;
      }
      if (!withMappings) return { allocations };
      const mappings: Record<string, string[]> = {};
      for (const [suffix, ids] of req.mappings) mappings[suffix] = byUuid(ids);
      return { allocations, mappings };
    });
  } else {
    allocationRequests = r.requests.map((req) => {
      const byRp = new Map<string, Record<string, number>>();
      for (const rr of req.resources) {
        const res = byRp.get(rr.rp.uuid) ?? {};
        res[index.rcName(rr.rcId)] = rr.amount;
        byRp.set(rr.rp.uuid, res);
      }
      return { allocations: [...byRp].map(([uuid, resources]) => ({ resource_provider: { uuid }, resources })) };
    });
  }
  const allClasses = version.gte('1.27');
  const traits = version.gte('1.17');
  const tree = version.gte('1.29');
  const summaries: Record<string, unknown> = {};
  for (const n of r.summaries) {
    const resources: Record<string, { capacity: number; used: number }> = {};
    for (const [rcId, inv] of n.inventories) {
      const rc = index.rcName(rcId);
      if (!allClasses && !requestedClasses.has(rc)) continue;
      resources[rc] = {
        capacity: Math.trunc((inv.total - inv.reserved) * inv.allocation_ratio), used: n.usages.get(rcId) ?? 0,
      };
    }
    const s: Record<string, unknown> = { resources };
    if (traits) s.traits = [...n.traits].sort();
    if (tree) {
      s.parent_provider_uuid = index.parentUuid(n);
      s.root_provider_uuid = index.rootUuid(n);
    }
    summaries[n.uuid] = s;
  }
  return { allocation_requests: allocationRequests, provider_summaries: summaries };
}
