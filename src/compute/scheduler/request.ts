// What the scheduler asks Placement for (Nova's scheduler.utils.ResourceRequest and the request
// filters of scheduler/request_filter.py): the flavor's standard classes, overridden by its
// `resources[N]:<class>` extra specs (0 drops a class); `trait[N]:<trait>` required or forbidden,
// from the flavor and the image; granular groups with group_policy; the compute-disabled trait
// forbidden on the root; the availability zone as the aggregates that make it.
import type { AllocationCandidatesQuery, RequestGroup } from '../../common/clients/placement/index.js';
import type { RequestSpec } from '../objects/request_spec.js';

interface Group {
  resources: Record<string, number>;
  required: string[];
  forbidden: string[];
}

const RESOURCE = /^resources([a-zA-Z0-9_-]{0,64}):([A-Z0-9_]+)$/;
const TRAIT = /^trait([a-zA-Z0-9_-]{0,64}):([A-Z0-9_]+)$/;

/** Nova's view of a flavor's disk: root, ephemeral and swap (MiB rounded up to GiB). */
export function flavorDiskGb(flavor: RequestSpec['flavor']): number {
  return flavor.root_gb + flavor.ephemeral_gb + Math.ceil(flavor.swap / 1024);
}

export interface ResourceRequest {
  query: AllocationCandidatesQuery;
  /** The resources an instance of this request takes, all groups together (for host states). */
  totals: Record<string, number>;
}

/** The Placement query of `spec`; `aggregates` are those of its availability zone (member_of),
 * null when any host may do. */
export function resourceRequest(spec: RequestSpec, aggregates: string[] | null, limit: number): ResourceRequest {
  const groups = new Map<string, Group>();
  const group = (suffix: string) => {
    let g = groups.get(suffix);
    if (!g) groups.set(suffix, (g = { resources: {}, required: [], forbidden: [] }));
    return g;
  };
  const f = spec.flavor;
  const unnumbered = group('');
  Object.assign(unnumbered.resources, { VCPU: f.vcpus, MEMORY_MB: f.memory_mb, DISK_GB: flavorDiskGb(f) });
  const traitSpec = (key: string, value: string) => {
    const t = TRAIT.exec(key);
    if (!t) return;
    if (value === 'required') group(t[1]!).required.push(t[2]!);
    else if (value === 'forbidden') group(t[1]!).forbidden.push(t[2]!);
  };
  for (const [key, value] of Object.entries(f.extra_specs)) {
    const r = RESOURCE.exec(key);
    if (r) {
      const amount = Number(value);
      if (Number.isInteger(amount) && amount >= 0) group(r[1]!).resources[r[2]!] = amount;
    }
    traitSpec(key, value);
  }
  // Image traits (trait:HW_CPU_X86_AVX2=required) join the unnumbered group.
  for (const [key, value] of Object.entries(spec.image.properties)) if (/^trait:/.test(key)) traitSpec(key, value);

  const totals: Record<string, number> = {};
  const toQuery = (g: Group): RequestGroup => {
    const resources = Object.fromEntries(Object.entries(g.resources).filter(([, n]) => n > 0));
    for (const [rc, n] of Object.entries(resources)) totals[rc] = (totals[rc] ?? 0) + n;
    return {
      ...(Object.keys(resources).length ? { resources } : {}),
      required: [...new Set(g.required)].concat([...new Set(g.forbidden)].map((t) => `!${t}`)),
      ...(aggregates ? { memberOf: [aggregates] } : {}),
    };
  };
  const numbered = [...groups.entries()].filter(([s]) => s !== '');
  const query: AllocationCandidatesQuery = {
    group: toQuery(unnumbered),
    ...(numbered.length ? { groups: Object.fromEntries(numbered.map(([s, g]) => [s, toQuery(g)])) } : {}),
    // A disabled compute host reports COMPUTE_STATUS_DISABLED on its root provider: never a candidate.
    root_required: ['!COMPUTE_STATUS_DISABLED'],
    limit,
  };
  const policy = f.extra_specs.group_policy;
  if (numbered.length > 1) query.group_policy = policy === 'isolate' ? 'isolate' : 'none';
  return { query, totals };
}
