// The JSON of GET /allocation_candidates, per microversion: allocation requests as a list
// (before 1.12) or keyed by provider (with mappings since 1.34), and provider summaries (traits
// since 1.17, every class since 1.27, tree uuids since 1.29).
//
// Written as text rather than built as objects for JSON.stringify: a full answer for 20,000
// providers is 10 MB, and building it object by object costs more than the search itself. A
// provider's summary only changes when the provider does (or a resource class is renamed), and
// the index replaces a provider's node whenever it changes (and drops the text on a rename), so
// each node's summary (and single-provider request) text is cached on the node itself (a plain
// property: WeakMaps of this size burden the GC).
import type { Version } from '../../common/http/microversion.js';
import type { ProviderNode } from '../provider_index/model.js';
import type { ProviderIndex } from '../provider_index/provider_index.js';
import type { CandidateResult } from './search.js';
import { concatBodies, jsonList, ownBuffer, type JsonBody } from '../json_chunks.js';
import { SingleProviderRequest, type AllocationRequest, type GroupShape } from './allocation_request.js';
import { shuffleFirst } from './combine.js';

const q = JSON.stringify;

interface SummaryShape {
  /** null: every class (1.27+); else only these. */
  classes: Set<string> | null;
  traits: boolean;
  tree: boolean;
  key: string;
}

function summaryJson(index: ProviderIndex, n: ProviderNode, shape: SummaryShape): Buffer {
  const cache = (n.rendered ??= {});
  if (cache.summaryKey === shape.key) return cache.summary!;
  const resources: string[] = [];
  for (const inv of n.inventories) {
    const rc = index.rcName(inv.rcId);
    if (shape.classes && !shape.classes.has(rc)) continue;
    const capacity = Math.trunc((inv.total - inv.reserved) * inv.allocation_ratio);
    resources.push(`${q(rc)}:{"capacity":${capacity},"used":${inv.used}}`);
  }
  let json = `${q(n.uuid)}:{"resources":{${resources.join(',')}}`;
  if (shape.traits) json += `,"traits":${q([...n.traits].sort())}`;
  if (shape.tree)
    json += `,"parent_provider_uuid":${q(index.parentUuid(n))},"root_provider_uuid":${q(index.rootUuid(n))}`;
  json += '}';
  cache.summaryKey = shape.key;
  return (cache.summary = ownBuffer(json));
}

function resourcesJson(index: ProviderIndex, rrs: { rcId: number; amount: number }[]): string {
  return `{${rrs.map((rr) => `${q(index.rcName(rr.rcId))}:${rr.amount}`).join(',')}}`;
}

/** The resources of a request grouped by provider uuid, in first-seen order. */
function byProvider(req: AllocationRequest): Map<ProviderNode, { rcId: number; amount: number }[]> {
  const out = new Map<ProviderNode, { rcId: number; amount: number }[]>();
  for (const rr of req.resources) {
    const list = out.get(rr.rp);
    if (list) list.push(rr);
    else out.set(rr.rp, [rr]);
  }
  return out;
}

/** Renders requests, reusing each provider's cached text for single-provider requests (the
 * text depends only on the node, the group's amounts and the microversion). */
class RequestRenderer {
  private readonly keys = new Map<GroupShape, string>();
  constructor(
    private readonly index: ProviderIndex,
    private readonly version: Version,
  ) {}

  render(req: AllocationRequest): Buffer {
    if (!(req instanceof SingleProviderRequest)) return Buffer.from(generalJson(this.index, req, this.version));
    let key = this.keys.get(req.shape);
    if (key === undefined) {
      key = `${this.version}|${req.shape.suffix}|${req.shape.amounts.join(';')}`;
      this.keys.set(req.shape, key);
    }
    const cache = (req.rp.rendered ??= {});
    if (cache.requestKey === key) return cache.request!;
    cache.requestKey = key;
    return (cache.request = ownBuffer(generalJson(this.index, req, this.version)));
  }
}

function generalJson(index: ProviderIndex, req: AllocationRequest, version: Version): string {
  const groups = byProvider(req);
  if (version.lt('1.12')) {
    const allocs = [...groups].map(
      ([rp, rrs]) => `{"resource_provider":{"uuid":${q(rp.uuid)}},"resources":${resourcesJson(index, rrs)}}`,
    );
    return `{"allocations":[${allocs.join(',')}]}`;
  }
  const allocs = [...groups].map(([rp, rrs]) => `${q(rp.uuid)}:{"resources":${resourcesJson(index, rrs)}}`);
  let json = `{"allocations":{${allocs.join(',')}}`;
  if (version.gte('1.34')) {
    const maps = [...req.mappings].map(
      ([suffix, ids]) => `${q(suffix)}:${q([...ids].map((id) => index.get(id).uuid))}`,
    );
    json += `,"mappings":{${maps.join(',')}}`;
  }
  return `${json}}`;
}

export function renderCandidates(
  index: ProviderIndex,
  r: CandidateResult,
  version: Version,
  requestedClasses: Set<string>,
): JsonBody {
  const allClasses = version.gte('1.27');
  const shape: SummaryShape = {
    classes: allClasses ? null : requestedClasses,
    traits: version.gte('1.17'),
    tree: version.gte('1.29'),
    key: `${allClasses ? '*' : [...requestedClasses].sort().join(',')}|${version.gte('1.17')}|${version.gte('1.29')}`,
  };
  const renderer = new RequestRenderer(index, version);
  const requests = r.requests.map((req) => renderer.render(req));
  if (r.shuffle) shuffleFirst(requests);
  return concatBodies(
    jsonList(requests, '{"allocation_requests":[', '],'),
    jsonList(
      r.summaries.map((n) => summaryJson(index, n, shape)),
      '"provider_summaries":{',
      '}}',
    ),
  );
}
