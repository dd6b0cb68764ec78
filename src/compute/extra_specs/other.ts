// The other namespaces Nova validates: hw_rng:, hw_video:, os:, accel:, pci_passthrough:, quota:
// (libvirt and VMware tuning), and the scheduler filters' aggregate_instance_extra_specs: and
// capabilities: (nova/api/validation/extra_specs/*.py).
import type { ExtraSpecDefinition } from './validator.js';

const nonNegative: ExtraSpecDefinition['value'] = { type: 'int', min: 0 };
const anyString: ExtraSpecDefinition['value'] = { type: 'str' };

const QUOTA_SPECS: ExtraSpecDefinition[] = [
  ...['cpu', 'memory', 'disk_io', 'vif'].flatMap((key): ExtraSpecDefinition[] => [
    { name: `quota:${key}_limit`, value: nonNegative },
    { name: `quota:${key}_reservation`, value: { type: 'int' } },
    { name: `quota:${key}_shares_level`, value: { type: 'str', enum: ['custom', 'high', 'normal', 'low'] } },
    { name: `quota:${key}_shares_share`, value: nonNegative },
  ]),
  { name: 'quota:cpu_shares', value: nonNegative },
  { name: 'quota:cpu_period', value: nonNegative },
  { name: 'quota:cpu_quota', value: { type: 'int' } },
  ...['read', 'write', 'total'].flatMap((stat) =>
    ['bytes', 'iops'].map((metric): ExtraSpecDefinition => ({
      name: `quota:disk_${stat}_${metric}_sec`,
      value: nonNegative,
    })),
  ),
  ...['inbound', 'outbound'].flatMap((stat) =>
    ['average', 'peak', 'burst'].map((metric): ExtraSpecDefinition => ({
      name: `quota:vif_${stat}_${metric}`,
      value: nonNegative,
    })),
  ),
];

/** Host capabilities the ComputeCapabilitiesFilter compares with; the second list takes a
 * nested key (capabilities:stats:foo). */
const CAPABILITIES = [
  'id',
  'uuid',
  'service_id',
  'host',
  'vcpus',
  'memory_mb',
  'local_gb',
  'vcpus_used',
  'memory_mb_used',
  'local_gb_used',
  'hypervisor_type',
  'hypervisor_version',
  'hypervisor_hostname',
  'free_ram_mb',
  'free_disk_gb',
  'current_workload',
  'running_vms',
  'disk_available_least',
  'host_ip',
  'mapped',
  'cpu_allocation_ratio',
  'ram_allocation_ratio',
  'disk_allocation_ratio',
  'total_usable_ram_mb',
  'total_usable_disk_gb',
  'disk_mb_used',
  'free_disk_mb',
  'vcpus_total',
  'num_instances',
  'num_io_ops',
  'failed_builds',
  'aggregates',
  'cell_uuid',
  'updated',
];
const NESTED_CAPABILITIES = [
  'cpu_info',
  'metrics',
  'stats',
  'numa_topology',
  'supported_hv_specs',
  'pci_device_pools',
  'nodename',
  'pci_stats',
  'supported_instances',
  'limits',
  'instances',
];

export const OTHER_SPECS: readonly ExtraSpecDefinition[] = [
  { name: 'hide_hypervisor_id', value: { type: 'bool' } },
  { name: 'hw_rng:allowed', value: { type: 'bool' } },
  { name: 'hw_rng:rate_bytes', value: nonNegative },
  { name: 'hw_rng:rate_period', value: nonNegative },
  { name: 'hw_video:ram_max_mb', value: nonNegative },
  { name: 'os:secure_boot', value: { type: 'str', enum: ['disabled', 'required'] } },
  {
    name: 'os:resolution',
    value: { type: 'str', enum: ['1024x768', '1280x1024', '1600x1200', '1920x1200', '2560x1600', '3840x2160'] },
  },
  { name: 'os:monitors', value: { type: 'int', min: 1, max: 8 } },
  { name: 'os:vram', value: { type: 'str', enum: ['64', '128', '256', '512', '1024'] } },
  { name: 'accel:device_profile', value: anyString },
  { name: 'pci_passthrough:alias', value: { type: 'str', pattern: '[^:]+:\\d+(?:\\s*,\\s*[^:]+:\\d+)*' } },
  ...QUOTA_SPECS,
  { name: 'aggregate_instance_extra_specs:{key}', parameters: { key: '.+' }, value: anyString },
  ...CAPABILITIES.map((c): ExtraSpecDefinition => ({ name: `capabilities:${c}`, value: anyString })),
  ...NESTED_CAPABILITIES.map((c): ExtraSpecDefinition => ({
    name: `capabilities:${c}{filter}`,
    parameters: { filter: '(:\\w+)*' },
    value: anyString,
  })),
];
