// The hw: extra specs (nova/api/validation/extra_specs/hw.py): guest CPU policy and topology,
// NUMA, memory pages, devices.
import type { ExtraSpecDefinition } from './validator.js';

const CPU_MAP = '\\^?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*';
const int = (min?: number): ExtraSpecDefinition['value'] =>
  min === undefined ? { type: 'int' } : { type: 'int', min };
const oneOf = (...values: string[]): ExtraSpecDefinition['value'] => ({ type: 'str', enum: values });
const bool: ExtraSpecDefinition['value'] = { type: 'bool' };

export const HW_SPECS: readonly ExtraSpecDefinition[] = [
  { name: 'hw:cpu_realtime', value: bool },
  { name: 'hw:cpu_realtime_mask', value: { type: 'str', pattern: '(\\^)?\\d+((-\\d+)?(,\\^?\\d+(-\\d+)?)?)*' } },
  { name: 'hw:hide_hypervisor_id', value: bool },
  { name: 'hw:cpu_policy', value: oneOf('dedicated', 'shared', 'mixed') },
  { name: 'hw:cpu_thread_policy', value: oneOf('prefer', 'isolate', 'require') },
  { name: 'hw:emulator_threads_policy', value: oneOf('isolate', 'share') },
  { name: 'hw:cpu_dedicated_mask', value: { type: 'str', pattern: CPU_MAP } },
  { name: 'hw:mem_page_size', value: { type: 'str', pattern: '(large|small|any|\\d+([kKMGT]i?)?(b|bit|B)?)' } },
  { name: 'hw:locked_memory', value: bool },
  { name: 'hw:numa_nodes', value: int(1) },
  { name: 'hw:numa_cpus.{num}', parameters: { num: '\\d+' }, value: { type: 'str', pattern: CPU_MAP } },
  { name: 'hw:numa_mem.{num}', parameters: { num: '\\d+' }, value: int(1) },
  { name: 'hw:pci_numa_affinity_policy', value: oneOf('required', 'preferred', 'legacy', 'socket') },
  { name: 'hw:cpu_sockets', value: int(1) },
  { name: 'hw:cpu_cores', value: int(1) },
  { name: 'hw:cpu_threads', value: int(1) },
  { name: 'hw:max_cpu_sockets', value: int(1) },
  { name: 'hw:max_cpu_cores', value: int(1) },
  { name: 'hw:max_cpu_threads', value: int(1) },
  { name: 'hw:boot_menu', value: bool },
  { name: 'hw:vif_multiqueue_enabled', value: bool },
  { name: 'hw:mem_encryption', value: bool },
  { name: 'hw:pmem', value: { type: 'str', pattern: '([a-zA-Z0-9_]+(,)?)+' } },
  { name: 'hw:pmu', value: bool },
  { name: 'hw:serial_port_count', value: int(0) },
  { name: 'hw:tpm_model', value: oneOf('tpm-tis', 'tpm-crb') },
  { name: 'hw:tpm_version', value: oneOf('1.2', '2.0') },
  { name: 'hw:watchdog_action', value: oneOf('none', 'pause', 'poweroff', 'reset', 'disabled') },
  { name: 'hw:viommu_model', value: oneOf('intel', 'smmuv3', 'virtio', 'auto') },
  { name: 'hw:ephemeral_encryption', value: bool },
  { name: 'hw:ephemeral_encryption_format', value: oneOf('plain', 'luks', 'luksv2') },
];
