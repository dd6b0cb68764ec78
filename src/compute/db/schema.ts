// The compute service's tables, named and laid out as Nova's (API and cell databases in one, as a
// single-cell Nova): an operator's `select flavor from instance_extra` or
// `select host, hypervisor_hostname from compute_nodes` reads as it would on Nova. Legacy columns
// nothing uses are left out. Booleans are 0/1 integers, timestamps ISO-8601 strings, JSON columns
// text. Tables Nova soft-deletes keep `deleted` (0, or the row's id once deleted, so that unique
// keys over `deleted` admit a new row) and `deleted_at`.
import type { Generated } from 'kysely';

interface Timestamps {
  created_at: string;
  updated_at: string | null;
}

interface SoftDeleted extends Timestamps {
  deleted_at: string | null;
  deleted: Generated<number>;
}

/** A server. `host` is the compute service's host that runs it, `node` the hypervisor (compute
 * node's hypervisor_hostname) on that host; both null until it is scheduled. */
export interface InstancesTable extends SoftDeleted {
  id: Generated<number>;
  uuid: string;
  user_id: string;
  project_id: string;
  image_ref: string | null;
  hostname: string | null;
  display_name: string | null;
  display_description: string | null;
  launch_index: number | null;
  key_name: string | null;
  key_data: string | null;
  power_state: number | null;
  vm_state: string | null;
  task_state: string | null;
  /** The flavor's sizes as the instance was built (the flavor itself is in instance_extra). */
  memory_mb: number | null;
  vcpus: number | null;
  root_gb: number | null;
  ephemeral_gb: number | null;
  instance_type_id: number | null;
  host: string | null;
  node: string | null;
  launched_on: string | null;
  availability_zone: string | null;
  reservation_id: string | null;
  user_data: string | null;
  launched_at: string | null;
  terminated_at: string | null;
  locked: number;
  locked_by: string | null;
  os_type: string | null;
  architecture: string | null;
  root_device_name: string | null;
  config_drive: string | null;
  access_ip_v4: string | null;
  access_ip_v6: string | null;
  auto_disk_config: number | null;
  progress: number | null;
  /** Whether the compute host has cleaned up after a deleted instance. */
  cleaned: number;
  hidden: number;
}

/** What Nova keeps of an instance as serialised objects. `flavor` is
 * `{"cur": <Flavor primitive>, "old": ..., "new": ...}` (see objects/instance_flavor.ts). */
export interface InstanceExtraTable extends SoftDeleted {
  id: Generated<number>;
  instance_uuid: string;
  flavor: string | null;
  numa_topology: string | null;
  pci_requests: string | null;
  vcpu_model: string | null;
  migration_context: string | null;
  keypairs: string | null;
  device_metadata: string | null;
}

/** User metadata (`server set --property`) and system metadata (image properties ...). */
export interface InstanceMetadataTable extends SoftDeleted {
  id: Generated<number>;
  instance_uuid: string;
  key: string;
  value: string | null;
}

export interface InstanceFaultsTable extends SoftDeleted {
  id: Generated<number>;
  instance_uuid: string;
  code: number;
  message: string | null;
  details: string | null;
  host: string | null;
}

/** What was done to an instance (os-instance-actions), one row per API action ... */
export interface InstanceActionsTable extends SoftDeleted {
  id: Generated<number>;
  action: string;
  instance_uuid: string;
  request_id: string | null;
  user_id: string | null;
  project_id: string | null;
  start_time: string | null;
  finish_time: string | null;
  message: string | null;
}

/** ... and one per step a service took for it (compute__do_build_and_run_instance ...). */
export interface InstanceActionsEventsTable extends SoftDeleted {
  id: Generated<number>;
  action_id: number;
  event: string;
  start_time: string | null;
  finish_time: string | null;
  result: string | null;
  traceback: string | null;
  host: string | null;
  details: string | null;
}

/** `flavorid` is the flavor's id on the wire; `id` is internal (instances refer to it). */
export interface FlavorsTable extends Timestamps {
  id: Generated<number>;
  flavorid: string;
  name: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  rxtx_factor: number;
  vcpu_weight: number | null;
  disabled: number;
  is_public: number;
  description: string | null;
}

export interface FlavorExtraSpecsTable extends Timestamps {
  id: Generated<number>;
  flavor_id: number;
  key: string;
  value: string;
}

/** Projects that may use a private flavor. */
export interface FlavorProjectsTable extends Timestamps {
  id: Generated<number>;
  flavor_id: number;
  project_id: string;
}

/** A nova-compute (or other) service on a host, with its heartbeat. */
export interface ServicesTable extends SoftDeleted {
  id: Generated<number>;
  uuid: string;
  host: string;
  binary: string;
  topic: string | null;
  report_count: number;
  disabled: number;
  disabled_reason: string | null;
  last_seen_up: string | null;
  forced_down: number;
  version: number;
}

/** A hypervisor (or an Ironic node) managed by the compute service on `host`; its
 * `hypervisor_hostname` is the instances' `node`, its uuid the Placement provider's. */
export interface ComputeNodesTable extends SoftDeleted {
  id: Generated<number>;
  uuid: string;
  service_id: number | null;
  host: string;
  hypervisor_hostname: string;
  hypervisor_type: string;
  hypervisor_version: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  vcpus_used: number;
  memory_mb_used: number;
  local_gb_used: number;
  free_ram_mb: number | null;
  free_disk_gb: number | null;
  current_workload: number | null;
  running_vms: number | null;
  disk_available_least: number | null;
  host_ip: string | null;
  cpu_info: string;
  /** JSON: [[arch, hypervisor type, vm mode], ...]. */
  supported_instances: string | null;
  /** JSON: the driver's extra statistics. */
  stats: string | null;
  cpu_allocation_ratio: number | null;
  ram_allocation_ratio: number | null;
  disk_allocation_ratio: number | null;
}

export interface AggregatesTable extends Timestamps {
  id: Generated<number>;
  uuid: string;
  name: string;
}

export interface AggregateHostsTable extends Timestamps {
  id: Generated<number>;
  aggregate_id: number;
  host: string;
}

/** An aggregate's metadata; `availability_zone` makes its hosts an availability zone. */
export interface AggregateMetadataTable extends Timestamps {
  id: Generated<number>;
  aggregate_id: number;
  key: string;
  value: string;
}

export interface KeyPairsTable extends Timestamps {
  id: Generated<number>;
  user_id: string;
  name: string;
  fingerprint: string;
  public_key: string;
  /** ssh or x509. */
  type: string;
}

/** Server groups. */
export interface InstanceGroupsTable extends Timestamps {
  id: Generated<number>;
  uuid: string;
  name: string | null;
  user_id: string;
  project_id: string;
}

export interface InstanceGroupPolicyTable extends Timestamps {
  id: Generated<number>;
  group_id: number;
  policy: string;
  /** JSON: the policy's rules (max_server_per_host). */
  rules: string | null;
}

export interface InstanceGroupMemberTable extends Timestamps {
  id: Generated<number>;
  group_id: number;
  instance_uuid: string;
}

/** A project's quota limits (os-quota-sets), one row per resource set. */
export interface QuotasTable extends Timestamps {
  id: Generated<number>;
  project_id: string;
  resource: string;
  hard_limit: number;
}

/** A user's limits within a project (os-quota-sets?user_id=...). */
export interface ProjectUserQuotasTable extends Timestamps {
  id: Generated<number>;
  project_id: string;
  user_id: string;
  resource: string;
  hard_limit: number;
}

/** Limits of a quota class; the class `default` holds the defaults every project starts from. */
export interface QuotaClassesTable extends Timestamps {
  id: Generated<number>;
  class_name: string;
  resource: string;
  hard_limit: number;
}

/** What a server asked of the scheduler (flavor, image, hints, ...), as a serialised
 * RequestSpec, kept for reschedules, resizes and migrations. */
/** A server's tags (2.26): Nova's `tags` table, keyed by the instance's uuid. */
export interface TagsTable {
  resource_id: string;
  tag: string;
}

export interface RequestSpecsTable extends Timestamps {
  id: Generated<number>;
  instance_uuid: string;
  spec: string;
}

/** A move of an instance (Nova's Migration): `uuid` is the Placement consumer that holds the
 * source host's allocations while the instance runs on the destination with the new flavor.
 * status: pre-migrating, migrating, post-migrating, finished, confirming, confirmed, reverting,
 * reverted, error. */
export interface MigrationsTable extends SoftDeleted {
  id: Generated<number>;
  uuid: string;
  source_compute: string | null;
  dest_compute: string | null;
  source_node: string | null;
  dest_node: string | null;
  dest_host: string | null;
  old_instance_type_id: number | null;
  new_instance_type_id: number | null;
  instance_uuid: string;
  status: string;
  /** resize (migration, live-migration, evacuation are Nova's others). */
  migration_type: string;
  hidden: number;
  cross_cell_move: number;
  user_id: string | null;
  project_id: string | null;
}

export interface ComputeDB {
  instances: InstancesTable;
  instance_extra: InstanceExtraTable;
  instance_metadata: InstanceMetadataTable;
  instance_system_metadata: InstanceMetadataTable;
  instance_faults: InstanceFaultsTable;
  instance_actions: InstanceActionsTable;
  instance_actions_events: InstanceActionsEventsTable;
  flavors: FlavorsTable;
  flavor_extra_specs: FlavorExtraSpecsTable;
  flavor_projects: FlavorProjectsTable;
  services: ServicesTable;
  compute_nodes: ComputeNodesTable;
  aggregates: AggregatesTable;
  aggregate_hosts: AggregateHostsTable;
  aggregate_metadata: AggregateMetadataTable;
  key_pairs: KeyPairsTable;
  instance_groups: InstanceGroupsTable;
  instance_group_policy: InstanceGroupPolicyTable;
  instance_group_member: InstanceGroupMemberTable;
  quotas: QuotasTable;
  project_user_quotas: ProjectUserQuotasTable;
  quota_classes: QuotaClassesTable;
  request_specs: RequestSpecsTable;
  migrations: MigrationsTable;
  tags: TagsTable;
}
