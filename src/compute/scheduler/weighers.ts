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

/** Nova's normalize: a weigher that cannot tell the hosts apart weighs nothing. */
function normalize(values: number[]): number[] {
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (min === max) return values.map(() => 0);
  return values.map((v) => (v - min) / (max - min));
}

export interface Weighed {
  host: HostState;
  weight: number;
}

/** `hosts` with their weights, heaviest first (ties in the order given). */
export function weigh(hosts: HostState[], config: Config, group: GroupInfo | null = null): Weighed[] {
  const weights = hosts.map(() => 0);
  for (const w of WEIGHERS) {
    const m = w.multiplier(config);
    if (m === 0) continue;
    normalize(hosts.map((h) => w.raw(h, group))).forEach((n, i) => {
      weights[i]! += m * n;
    });
  }
  return hosts
    .map((host, i) => ({ host, weight: weights[i]! }))
    .map((x, i) => ({ ...x, i }))
    .sort((a, b) => b.weight - a.weight || a.i - b.i)
    .map(({ host, weight }) => ({ host, weight }));
}
