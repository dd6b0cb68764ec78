// What the scheduler asks Placement for, and how it ranks hosts, without a cloud: the flavor's
// classes overridden by resources:* (0 drops a class), traits from flavor and image, granular
// groups with group_policy, zones as member_of; weighers spreading or packing by their sign.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/common/config.js';
import { allocationCandidatesQuery } from '../../src/common/clients/placement/index.js';
import { resourceRequest } from '../../src/compute/scheduler/request.js';
import { specMatches } from '../../src/compute/scheduler/filters.js';
import { weigh } from '../../src/compute/scheduler/weighers.js';
import type { HostState } from '../../src/compute/scheduler/host_state.js';
import type { RequestSpec } from '../../src/compute/objects/request_spec.js';

function spec(flavor: Partial<RequestSpec['flavor']>, imageProps: Record<string, string> = {}): RequestSpec {
  return {
    instance_uuid: 'u',
    project_id: 'p',
    user_id: 'u',
    num_instances: 1,
    availability_zone: null,
    scheduler_hints: {},
    ignore_hosts: [],
    force_hosts: [],
    force_nodes: [],
    retry: { num_attempts: 0, hosts: [] },
    image: { id: 'i', min_ram: 0, min_disk: 0, size: null, properties: imageProps },
    flavor: {
      id: 1,
      name: 'f',
      memory_mb: 1024,
      vcpus: 1,
      root_gb: 1,
      ephemeral_gb: 2,
      flavorid: 'f',
      swap: 1536,
      rxtx_factor: 1,
      vcpu_weight: null,
      disabled: false,
      is_public: true,
      extra_specs: {},
      description: null,
      created_at: '',
      updated_at: null,
      deleted_at: null,
      deleted: false,
      ...flavor,
    },
  };
}
const query = (s: RequestSpec, aggs: string[] | null = null) =>
  decodeURIComponent(allocationCandidatesQuery(resourceRequest(s, aggs, 10).query));

describe("the scheduler's Placement request", () => {
  it("takes the flavor's classes (disk: root + ephemeral + swap in GiB, rounded up)", () => {
    expect(query(spec({}))).toBe(
      '?resources=VCPU:1,MEMORY_MB:1024,DISK_GB:5&limit=10&root_required=!COMPUTE_STATUS_DISABLED',
    );
  });

  it("lets resources:* override and drop classes (the reference scenario's gold flavor)", () => {
    const gold = spec({
      vcpus: 64,
      memory_mb: 131072,
      root_gb: 371,
      ephemeral_gb: 0,
      swap: 0,
      extra_specs: {
        'resources:CUSTOM_GOLD': '1',
        'resources:VCPU': '0',
        'resources:MEMORY_MB': '0',
        'resources:DISK_GB': '0',
      },
    });
    expect(query(gold)).toBe('?resources=CUSTOM_GOLD:1&limit=10&root_required=!COMPUTE_STATUS_DISABLED');
    expect(resourceRequest(gold, null, 10).totals).toEqual({ CUSTOM_GOLD: 1 });
  });

  it("asks for traits of the flavor and the image, granular groups with their policy, and a zone's aggregates", () => {
    const s = spec(
      {
        swap: 0,
        ephemeral_gb: 0,
        extra_specs: {
          'trait:HW_CPU_X86_AVX2': 'required',
          'trait:CUSTOM_SLOW': 'forbidden',
          'resources1:SRIOV_NET_VF': '1',
          'trait1:CUSTOM_PHYSNET_A': 'required',
          'resources2:SRIOV_NET_VF': '1',
          group_policy: 'isolate',
        },
      },
      { 'trait:HW_CPU_X86_SSE42': 'required' },
    );
    expect(query(s, ['agg-1', 'agg-2'])).toBe(
      '?resources=VCPU:1,MEMORY_MB:1024,DISK_GB:1' +
        '&required=HW_CPU_X86_AVX2,HW_CPU_X86_SSE42,!CUSTOM_SLOW&member_of=in:agg-1,agg-2' +
        '&resources1=SRIOV_NET_VF:1&required1=CUSTOM_PHYSNET_A&member_of1=in:agg-1,agg-2' +
        '&resources2=SRIOV_NET_VF:1&member_of2=in:agg-1,agg-2' +
        '&group_policy=isolate&limit=10&root_required=!COMPUTE_STATUS_DISABLED',
    );
  });
});

describe('weighers', () => {
  const host = (name: string, ram: number, vcpu: number): HostState => ({
    host: name,
    node: name,
    uuid: name,
    hypervisorType: 'fake',
    hypervisorVersion: 1,
    supportedInstances: [],
    serviceDisabled: false,
    serviceDisabledReason: null,
    serviceUp: true,
    availabilityZone: 'nova',
    aggregates: [],
    free: { MEMORY_MB: ram, VCPU: vcpu, DISK_GB: 10 },
    allocationRequests: [],
  });
  const hosts = [host('small', 1024, 2), host('big', 8192, 8), host('mid', 4096, 4)];

  it('spread (positive multipliers) the freest first, pack (negative) the fullest first', () => {
    expect(weigh(hosts, loadConfig(undefined, {}, {})).map((w) => w.host.host)).toEqual(['big', 'mid', 'small']);
    const pack = loadConfig(undefined, {}, { schedulerRamWeightMultiplier: -1, schedulerCpuWeightMultiplier: -1 });
    expect(weigh(hosts, pack).map((w) => w.host.host)).toEqual(['small', 'mid', 'big']);
    // RAM counts ten times CPU: the host with more RAM wins though it has fewer vCPUs.
    const ram = loadConfig(undefined, {}, { schedulerRamWeightMultiplier: 10 });
    expect(weigh([host('ram', 8192, 1), host('cpu', 1024, 8)], ram).map((w) => w.host.host)).toEqual(['ram', 'cpu']);
  });

  it('draw a soft-affinity group together and push a soft-anti-affinity group apart, by their multipliers', () => {
    const group = (policy: string) => ({ uuid: 'g', policy, maxServerPerHost: 1, hosts: new Map([['small', 2]]) });
    const config = loadConfig(undefined, {}, { schedulerSoftAffinityWeightMultiplier: 3 });
    // Three times the members outweigh the big host's free RAM and vCPUs (1 + 1).
    expect(weigh(hosts, config, group('soft-affinity'))[0]!.host.host).toBe('small');
    expect(weigh(hosts, loadConfig(undefined, {}, {}), group('soft-affinity'))[0]!.host.host).toBe('big');
    const apart = weigh([host('a', 1024, 2), host('small', 1024, 2)], config, group('soft-anti-affinity'));
    expect(apart.map((w) => [w.host.host, w.weight])).toEqual([
      ['a', 1],
      ['small', 0],
    ]);
    // A hard policy is the filters' business: the weighers leave it alone.
    expect(weigh(hosts, config, group('affinity'))[0]!.host.host).toBe('big');
  });
});

describe('aggregate extra spec operators', () => {
  it("match as Nova's extra_specs_ops", () => {
    expect(specMatches('true', 'true')).toBe(true);
    expect(specMatches('16', '= 8')).toBe(true);
    expect(specMatches('4', '= 8')).toBe(false);
    expect(specMatches('ssd', '<or> hdd <or> ssd')).toBe(true);
    expect(specMatches('fast,ssd', '<in> ssd')).toBe(true);
    expect(specMatches('abc', 's== abc')).toBe(true);
  });
});
