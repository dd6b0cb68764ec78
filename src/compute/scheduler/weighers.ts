// The scheduler's weighers (nova/scheduler/weights/): free RAM, vCPUs and disk, each normalised
// over the hosts to [0, 1] and multiplied by its [filter_scheduler] *_weight_multiplier — positive
// spreads servers over hosts (the freest first), negative packs them (the fullest first); and the
// soft server group policies: the members of a soft-affinity group on a host draw the next one
// there (ServerGroupSoftAffinityWeigher), those of a soft-anti-affinity group push it away
// (ServerGroupSoftAntiAffinityWeigher).
import type { Config } from '../../common/config.js';
import type { GroupInfo } from './filters.js';
import type { HostState } from './host_state.js';

interface Weigher {
  name: string;
  multiplier(config: Config): number;
  raw(host: HostState, group: GroupInfo | null): number;
}

/** How many members of a group with `policy` the host holds. */
const members = (policy: string) => (h: HostState, g: GroupInfo | null) =>
  g?.policy === policy ? (g.hosts.get(h.host) ?? 0) : 0;

const WEIGHERS: Weigher[] = [
  { name: 'RAMWeigher', multiplier: (c) => c.schedulerRamWeightMultiplier, raw: (h) => h.free.MEMORY_MB ?? 0 },
  { name: 'CPUWeigher', multiplier: (c) => c.schedulerCpuWeightMultiplier, raw: (h) => h.free.VCPU ?? 0 },
  { name: 'DiskWeigher', multiplier: (c) => c.schedulerDiskWeightMultiplier, raw: (h) => h.free.DISK_GB ?? 0 },
  {
    name: 'ServerGroupSoftAffinityWeigher',
    multiplier: (c) => c.schedulerSoftAffinityWeightMultiplier,
    raw: members('soft-affinity'),
  },
  {
    name: 'ServerGroupSoftAntiAffinityWeigher',
    multiplier: (c) => c.schedulerSoftAntiAffinityWeightMultiplier,
    raw: (h, g) => -members('soft-anti-affinity')(h, g),
  },
];

export interface Weighed {
  host: HostState;
  weight: number;
}

/** `hosts` with their weights, heaviest first (ties in the order given). Each weigher's raw
 * values are normalised as Nova's normalize does, to [0, 1] over the hosts (a weigher that cannot
 * tell them apart weighs nothing). Run for every boot over up to [scheduler]
 * max_placement_results hosts: one pass per weigher, into arrays. */
export function weigh(hosts: HostState[], config: Config, group: GroupInfo | null = null): Weighed[] {
  const n = hosts.length;
  const weights = new Float64Array(n);
  const raw = new Float64Array(n);
  for (const w of WEIGHERS) {
    const m = w.multiplier(config);
    if (m === 0) continue;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = w.raw(hosts[i]!, group);
      raw[i] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (!(max > min)) continue;
    const span = max - min;
    for (let i = 0; i < n; i++) weights[i]! += m * ((raw[i]! - min) / span);
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => weights[b]! - weights[a]! || a - b);
  return order.map((i) => ({ host: hosts[i]!, weight: weights[i]! }));
}
