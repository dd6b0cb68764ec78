// The scheduler's host filters (nova/scheduler/filters/): each says why it rejects a host, so
// that a NoValidHost can tell which hosts each filter removed and why.
import type { Config } from '../../common/config.js';
import type { RequestSpec } from '../objects/request_spec.js';
import type { HostState } from './host_state.js';

/** The server group of the instance being placed, with where its other members are. */
export interface GroupInfo {
  uuid: string;
  policy: string;
  maxServerPerHost: number;
  /** Members' hosts (other than the instance being placed), with how many each holds. */
  hosts: Map<string, number>;
}

/** The servers a `same_host` or `different_host` hint names, and the hosts they run on. */
export interface HintedServers {
  uuids: string[];
  /** Host → the named servers it runs (Nova's host_state.instances, looked up for these alone). */
  hosts: Map<string, string[]>;
}

export interface FilterContext {
  spec: RequestSpec;
  group: GroupInfo | null;
  /** Null when the request has no such hint, or an empty one (which Nova ignores). */
  sameHost: HintedServers | null;
  differentHost: HintedServers | null;
  config: Config;
}

export interface HostFilter {
  name: string;
  /** Run for a rebuild on the instance's own host too (Nova's RUN_ON_REBUILD). */
  runOnRebuild?: boolean;
  /** Why `host` cannot take the instance, or null when it can. */
  reject(host: HostState, ctx: FilterContext): string | null;
}

const computeFilter: HostFilter = {
  name: 'ComputeFilter',
  reject: (h) => {
    if (h.serviceDisabled) return `service disabled${h.serviceDisabledReason ? ` (${h.serviceDisabledReason})` : ''}`;
    if (!h.serviceUp) return 'service down';
    return null;
  },
};

const availabilityZoneFilter: HostFilter = {
  name: 'AvailabilityZoneFilter',
  reject: (h, { spec }) => {
    const az = spec.availability_zone;
    if (az === null || h.availabilityZone.split(',').includes(az)) return null;
    return `in availability zone ${h.availabilityZone}, not ${az}`;
  },
};

/** Image properties against what the node supports (hw_architecture, img_hv_type, hw_vm_mode). */
const imagePropertiesFilter: HostFilter = {
  name: 'ImagePropertiesFilter',
  runOnRebuild: true,
  reject: (h, { spec }) => {
    const p = spec.image.properties;
    const arch = p.hw_architecture ?? p.architecture;
    const hvType = p.img_hv_type ?? p.hypervisor_type;
    const vmMode = p.hw_vm_mode ?? p.vm_mode;
    if (arch === undefined && hvType === undefined && vmMode === undefined) return null;
    const wanted = `architecture ${arch ?? 'any'}, hypervisor ${hvType ?? 'any'}, vm mode ${vmMode ?? 'any'}`;
    if (!h.supportedInstances.length) return `supports no instance types, the image wants ${wanted}`;
    const fits = h.supportedInstances.some(
      ([a, t, m]) =>
        (arch === undefined || a === arch) &&
        (hvType === undefined || t === hvType) &&
        (vmMode === undefined || m === vmMode),
    );
    return fits ? null : `supports ${JSON.stringify(h.supportedInstances)}, the image wants ${wanted}`;
  },
};

const affinityFilter: HostFilter = {
  name: 'ServerGroupAffinityFilter',
  reject: (h, { group }) => {
    if (!group || group.policy !== 'affinity' || !group.hosts.size || group.hosts.has(h.host)) return null;
    return `server group ${group.uuid} (affinity) is on ${[...group.hosts.keys()].join(', ')}`;
  },
};

const antiAffinityFilter: HostFilter = {
  name: 'ServerGroupAntiAffinityFilter',
  reject: (h, { group }) => {
    if (!group || group.policy !== 'anti-affinity') return null;
    const n = group.hosts.get(h.host) ?? 0;
    return n < group.maxServerPerHost
      ? null
      : `server group ${group.uuid} (anti-affinity) has ${n} of at most ${group.maxServerPerHost} servers here`;
  },
};

/** Nova's SameHostFilter: only a host that runs one of the servers `same_host` names. Not on a
 * rebuild, as in Nova: the server stays where it is. */
const sameHostFilter: HostFilter = {
  name: 'SameHostFilter',
  reject: (h, { sameHost }) => {
    if (!sameHost || sameHost.hosts.has(h.host)) return null;
    const where = [...sameHost.hosts.keys()].sort();
    return (
      `runs none of the servers same_host names (${sameHost.uuids.join(', ')}); ` +
      (where.length ? `they run on ${where.join(', ')}` : 'none of them runs on a host')
    );
  },
};

/** Nova's DifferentHostFilter: no host that runs one of the servers `different_host` names. */
const differentHostFilter: HostFilter = {
  name: 'DifferentHostFilter',
  reject: (h, { differentHost }) => {
    const here = differentHost?.hosts.get(h.host);
    return here ? `runs ${here.join(', ')}, which different_host names` : null;
  },
};

/** One extra spec value against an aggregate metadata value (nova.scheduler.filters.extra_specs_ops). */
export function specMatches(value: string, req: string): boolean {
  const words = req.trim().split(/\s+/);
  const [op, ...rest] = words;
  const arg = rest.join(' ');
  const num = (s: string) => Number(s);
  switch (op) {
    case '=':
      return num(value) >= num(arg);
    case '<in>':
      return value.includes(arg);
    case '<all-in>':
      return rest.every((w) => value.split(/\s*,\s*|\s+/).includes(w));
    case '==':
      return num(value) === num(arg);
    case '!=':
      return num(value) !== num(arg);
    case '>=':
      return num(value) >= num(arg);
    case '<=':
      return num(value) <= num(arg);
    case 's==':
      return value === arg;
    case 's!=':
      return value !== arg;
    case 's<':
      return value < arg;
    case 's<=':
      return value <= arg;
    case 's>':
      return value > arg;
    case 's>=':
      return value >= arg;
    case '<or>':
      return words.filter((w, i) => i % 2 === 1).includes(value);
    default:
      return value === req;
  }
}

/** Flavor extra specs (unscoped, or aggregate_instance_extra_specs:) against the metadata of the
 * host's aggregates. */
const aggregateExtraSpecsFilter: HostFilter = {
  name: 'AggregateInstanceExtraSpecsFilter',
  reject: (h, { spec }) => {
    for (const [raw, req] of Object.entries(spec.flavor.extra_specs)) {
      const scoped = raw.split(':');
      if (scoped.length > 1 && scoped[0] !== 'aggregate_instance_extra_specs') continue;
      const key = scoped.length > 1 ? scoped.slice(1).join(':') : raw;
      const values = h.aggregates.map((a) => a.metadata[key]).filter((v): v is string => v !== undefined);
      if (!values.length) return `no aggregate of the host has ${key} (the flavor wants ${req})`;
      const ok = values.some((v) => v.split(',').some((one) => specMatches(one.trim(), req)));
      if (!ok) return `aggregate ${key}=${values.join(',')} does not match the flavor's ${req}`;
    }
    return null;
  },
};

export const FILTERS: Record<string, HostFilter> = Object.fromEntries(
  [
    computeFilter,
    availabilityZoneFilter,
    imagePropertiesFilter,
    antiAffinityFilter,
    affinityFilter,
    aggregateExtraSpecsFilter,
    sameHostFilter,
    differentHostFilter,
  ].map((f) => [f.name, f]),
);

/** The filters [filter_scheduler] enabled_filters names, in its order; unknown names fail. */
export function enabledFilters(config: Config): HostFilter[] {
  return config.schedulerEnabledFilters.map((name) => {
    const f = FILTERS[name];
    if (!f) throw new Error(`[filter_scheduler] enabled_filters: unknown filter ${name}`);
    return f;
  });
}
