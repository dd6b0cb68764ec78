// Compute schema migrations, for SQLite and PostgreSQL alike. Every table of db/schema.ts is made
// here at once, so that the scheduler, compute agents and server API add code, not tables.
import type { CreateTableBuilder, Kysely, Migration } from 'kysely';
import { serialType, type Engine } from '../../common/db/index.js';
import {
  jobKindDueMigration,
  jobResultsMigration,
  jobSecretsMigration,
  jobsMigration,
} from '../../common/jobs/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the helpers add columns to any table
type Table = CreateTableBuilder<any, any>;

const timestamps = (t: Table) =>
  t.addColumn('created_at', 'varchar(40)', (c) => c.notNull()).addColumn('updated_at', 'varchar(40)');

const softDeleted = (t: Table) =>
  timestamps(t)
    .addColumn('deleted_at', 'varchar(40)')
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0));

function initial(engine: Engine): Migration {
  // Ids are never handed out again once their row is deleted, as in Nova's MySQL: SQLite reuses
  // the highest rowid unless told AUTOINCREMENT, and a caller holding a deleted aggregate's (or
  // service's, or instance's) id would then act on another.
  const id = (t: Table) =>
    t.addColumn('id', serialType(engine), (c) =>
      engine === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
    );
  const instanceChild = (t: Table) =>
    t.addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull().references('instances.uuid'));
  return {
    async up(db: Kysely<unknown>) {
      const s = db.schema;
      await s
        .createTable('instances')
        .$call(id)
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('image_ref', 'varchar(255)')
        .addColumn('hostname', 'varchar(255)')
        .addColumn('display_name', 'varchar(255)')
        .addColumn('display_description', 'varchar(255)')
        .addColumn('launch_index', 'integer')
        .addColumn('key_name', 'varchar(255)')
        .addColumn('key_data', 'text')
        .addColumn('power_state', 'integer')
        .addColumn('vm_state', 'varchar(255)')
        .addColumn('task_state', 'varchar(255)')
        .addColumn('memory_mb', 'integer')
        .addColumn('vcpus', 'integer')
        .addColumn('root_gb', 'integer')
        .addColumn('ephemeral_gb', 'integer')
        .addColumn('instance_type_id', 'integer')
        .addColumn('host', 'varchar(255)')
        .addColumn('node', 'varchar(255)')
        .addColumn('launched_on', 'text')
        .addColumn('availability_zone', 'varchar(255)')
        .addColumn('reservation_id', 'varchar(255)')
        .addColumn('user_data', 'text')
        .addColumn('launched_at', 'varchar(40)')
        .addColumn('terminated_at', 'varchar(40)')
        .addColumn('locked', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_by', 'varchar(10)')
        .addColumn('os_type', 'varchar(255)')
        .addColumn('architecture', 'varchar(255)')
        .addColumn('root_device_name', 'varchar(255)')
        .addColumn('config_drive', 'varchar(255)')
        .addColumn('access_ip_v4', 'varchar(39)')
        .addColumn('access_ip_v6', 'varchar(39)')
        .addColumn('auto_disk_config', 'integer')
        .addColumn('progress', 'integer')
        .addColumn('cleaned', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('hidden', 'integer', (c) => c.notNull().defaultTo(0))
        .$call(softDeleted)
        .execute();
      await s
        .createIndex('instances_project_id_deleted_idx')
        .on('instances')
        .columns(['project_id', 'deleted'])
        .execute();
      await s
        .createIndex('instances_host_node_deleted_idx')
        .on('instances')
        .columns(['host', 'node', 'deleted'])
        .execute();
      await s
        .createIndex('instances_deleted_created_at_idx')
        .on('instances')
        .columns(['deleted', 'created_at'])
        .execute();

      await s
        .createTable('instance_extra')
        .$call(id)
        .$call(instanceChild)
        .addColumn('flavor', 'text')
        .addColumn('numa_topology', 'text')
        .addColumn('pci_requests', 'text')
        .addColumn('vcpu_model', 'text')
        .addColumn('migration_context', 'text')
        .addColumn('keypairs', 'text')
        .addColumn('device_metadata', 'text')
        .addUniqueConstraint('instance_extra_instance_uuid_uq', ['instance_uuid'])
        .$call(softDeleted)
        .execute();
      for (const table of ['instance_metadata', 'instance_system_metadata']) {
        await s
          .createTable(table)
          .$call(id)
          .$call(instanceChild)
          .addColumn('key', 'varchar(255)', (c) => c.notNull())
          .addColumn('value', 'varchar(255)')
          .$call(softDeleted)
          .execute();
        await s.createIndex(`${table}_instance_uuid_idx`).on(table).column('instance_uuid').execute();
      }
      await s
        .createTable('instance_faults')
        .$call(id)
        .$call(instanceChild)
        .addColumn('code', 'integer', (c) => c.notNull())
        .addColumn('message', 'varchar(255)')
        .addColumn('details', 'text')
        .addColumn('host', 'varchar(255)')
        .$call(softDeleted)
        .execute();
      await s
        .createIndex('instance_faults_instance_uuid_idx')
        .on('instance_faults')
        .columns(['instance_uuid', 'deleted', 'created_at'])
        .execute();
      await s
        .createTable('instance_actions')
        .$call(id)
        .$call(instanceChild)
        .addColumn('action', 'varchar(255)', (c) => c.notNull())
        .addColumn('request_id', 'varchar(255)')
        .addColumn('user_id', 'varchar(255)')
        .addColumn('project_id', 'varchar(255)')
        .addColumn('start_time', 'varchar(40)')
        .addColumn('finish_time', 'varchar(40)')
        .addColumn('message', 'varchar(255)')
        .$call(softDeleted)
        .execute();
      await s
        .createIndex('instance_actions_instance_uuid_idx')
        .on('instance_actions')
        .column('instance_uuid')
        .execute();
      await s.createIndex('instance_actions_request_id_idx').on('instance_actions').column('request_id').execute();
      await s
        .createTable('instance_actions_events')
        .$call(id)
        .addColumn('action_id', 'integer', (c) => c.notNull().references('instance_actions.id'))
        .addColumn('event', 'varchar(255)', (c) => c.notNull())
        .addColumn('start_time', 'varchar(40)')
        .addColumn('finish_time', 'varchar(40)')
        .addColumn('result', 'varchar(255)')
        .addColumn('traceback', 'text')
        .addColumn('host', 'varchar(255)')
        .addColumn('details', 'text')
        .$call(softDeleted)
        .execute();
      await s
        .createIndex('instance_actions_events_action_id_idx')
        .on('instance_actions_events')
        .column('action_id')
        .execute();

      await s
        .createTable('flavors')
        .$call(id)
        .addColumn('flavorid', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('memory_mb', 'integer', (c) => c.notNull())
        .addColumn('vcpus', 'integer', (c) => c.notNull())
        .addColumn('root_gb', 'integer', (c) => c.notNull())
        .addColumn('ephemeral_gb', 'integer', (c) => c.notNull())
        .addColumn('swap', 'integer', (c) => c.notNull())
        .addColumn('rxtx_factor', 'double precision', (c) => c.notNull())
        .addColumn('vcpu_weight', 'integer')
        .addColumn('disabled', 'integer', (c) => c.notNull())
        .addColumn('is_public', 'integer', (c) => c.notNull())
        .addColumn('description', 'text')
        .$call(timestamps)
        .execute();
      await s
        .createTable('flavor_extra_specs')
        .$call(id)
        .addColumn('flavor_id', 'integer', (c) => c.notNull().references('flavors.id').onDelete('cascade'))
        .addColumn('key', 'varchar(255)', (c) => c.notNull())
        .addColumn('value', 'varchar(255)', (c) => c.notNull())
        .addUniqueConstraint('flavor_extra_specs_flavor_id_key_uq', ['flavor_id', 'key'])
        .$call(timestamps)
        .execute();
      await s
        .createTable('flavor_projects')
        .$call(id)
        .addColumn('flavor_id', 'integer', (c) => c.notNull().references('flavors.id').onDelete('cascade'))
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .addUniqueConstraint('flavor_projects_flavor_id_project_id_uq', ['flavor_id', 'project_id'])
        .$call(timestamps)
        .execute();
      await s.createIndex('flavor_projects_project_id_idx').on('flavor_projects').column('project_id').execute();

      await s
        .createTable('services')
        .$call(id)
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('host', 'varchar(255)', (c) => c.notNull())
        .addColumn('binary', 'varchar(255)', (c) => c.notNull())
        .addColumn('topic', 'varchar(255)')
        .addColumn('report_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('disabled_reason', 'varchar(255)')
        .addColumn('last_seen_up', 'varchar(40)')
        .addColumn('forced_down', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
        .$call(softDeleted)
        .addUniqueConstraint('services_host_binary_deleted_uq', ['host', 'binary', 'deleted'])
        .execute();
      await s
        .createTable('compute_nodes')
        .$call(id)
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('service_id', 'integer')
        .addColumn('host', 'varchar(255)', (c) => c.notNull())
        .addColumn('hypervisor_hostname', 'varchar(255)', (c) => c.notNull())
        .addColumn('hypervisor_type', 'varchar(255)', (c) => c.notNull())
        .addColumn('hypervisor_version', 'integer', (c) => c.notNull())
        .addColumn('vcpus', 'integer', (c) => c.notNull())
        .addColumn('memory_mb', 'integer', (c) => c.notNull())
        .addColumn('local_gb', 'integer', (c) => c.notNull())
        .addColumn('vcpus_used', 'integer', (c) => c.notNull())
        .addColumn('memory_mb_used', 'integer', (c) => c.notNull())
        .addColumn('local_gb_used', 'integer', (c) => c.notNull())
        .addColumn('free_ram_mb', 'integer')
        .addColumn('free_disk_gb', 'integer')
        .addColumn('current_workload', 'integer')
        .addColumn('running_vms', 'integer')
        .addColumn('disk_available_least', 'integer')
        .addColumn('host_ip', 'varchar(39)')
        .addColumn('cpu_info', 'text', (c) => c.notNull())
        .addColumn('supported_instances', 'text')
        .addColumn('stats', 'text')
        .addColumn('cpu_allocation_ratio', 'double precision')
        .addColumn('ram_allocation_ratio', 'double precision')
        .addColumn('disk_allocation_ratio', 'double precision')
        .$call(softDeleted)
        .addUniqueConstraint('compute_nodes_host_hypervisor_hostname_deleted_uq', [
          'host',
          'hypervisor_hostname',
          'deleted',
        ])
        .execute();

      await s
        .createTable('aggregates')
        .$call(id)
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
        .$call(timestamps)
        .execute();
      await s
        .createTable('aggregate_hosts')
        .$call(id)
        .addColumn('aggregate_id', 'integer', (c) => c.notNull().references('aggregates.id').onDelete('cascade'))
        .addColumn('host', 'varchar(255)', (c) => c.notNull())
        .addUniqueConstraint('aggregate_hosts_host_aggregate_id_uq', ['host', 'aggregate_id'])
        .$call(timestamps)
        .execute();
      await s
        .createTable('aggregate_metadata')
        .$call(id)
        .addColumn('aggregate_id', 'integer', (c) => c.notNull().references('aggregates.id').onDelete('cascade'))
        .addColumn('key', 'varchar(255)', (c) => c.notNull())
        .addColumn('value', 'varchar(255)', (c) => c.notNull())
        .addUniqueConstraint('aggregate_metadata_aggregate_id_key_uq', ['aggregate_id', 'key'])
        .$call(timestamps)
        .execute();
      await s.createIndex('aggregate_metadata_key_idx').on('aggregate_metadata').column('key').execute();

      await s
        .createTable('key_pairs')
        .$call(id)
        .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('fingerprint', 'varchar(255)', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('type', 'varchar(10)', (c) => c.notNull())
        .addUniqueConstraint('key_pairs_user_id_name_uq', ['user_id', 'name'])
        .$call(timestamps)
        .execute();

      await s
        .createTable('instance_groups')
        .$call(id)
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(255)')
        .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .$call(timestamps)
        .execute();
      await s.createIndex('instance_groups_project_id_idx').on('instance_groups').column('project_id').execute();
      await s
        .createTable('instance_group_policy')
        .$call(id)
        .addColumn('group_id', 'integer', (c) => c.notNull().references('instance_groups.id').onDelete('cascade'))
        .addColumn('policy', 'varchar(255)', (c) => c.notNull())
        .addColumn('rules', 'text')
        .$call(timestamps)
        .execute();
      await s
        .createTable('instance_group_member')
        .$call(id)
        .addColumn('group_id', 'integer', (c) => c.notNull().references('instance_groups.id').onDelete('cascade'))
        .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
        .addUniqueConstraint('instance_group_member_group_id_instance_uuid_uq', ['group_id', 'instance_uuid'])
        .$call(timestamps)
        .execute();
      await s
        .createIndex('instance_group_member_instance_uuid_idx')
        .on('instance_group_member')
        .column('instance_uuid')
        .execute();

      await s
        .createTable('quotas')
        .$call(id)
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('resource', 'varchar(255)', (c) => c.notNull())
        .addColumn('hard_limit', 'integer', (c) => c.notNull())
        .addUniqueConstraint('quotas_project_id_resource_uq', ['project_id', 'resource'])
        .$call(timestamps)
        .execute();
      await s
        .createTable('project_user_quotas')
        .$call(id)
        .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
        .addColumn('resource', 'varchar(255)', (c) => c.notNull())
        .addColumn('hard_limit', 'integer', (c) => c.notNull())
        .addUniqueConstraint('project_user_quotas_uq', ['user_id', 'project_id', 'resource'])
        .$call(timestamps)
        .execute();
      await s
        .createIndex('project_user_quotas_project_id_idx')
        .on('project_user_quotas')
        .column('project_id')
        .execute();
      await s
        .createTable('quota_classes')
        .$call(id)
        .addColumn('class_name', 'varchar(255)', (c) => c.notNull())
        .addColumn('resource', 'varchar(255)', (c) => c.notNull())
        .addColumn('hard_limit', 'integer', (c) => c.notNull())
        .addUniqueConstraint('quota_classes_class_name_resource_uq', ['class_name', 'resource'])
        .$call(timestamps)
        .execute();

      await s
        .createTable('request_specs')
        .$call(id)
        .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('spec', 'text', (c) => c.notNull())
        .$call(timestamps)
        .execute();
    },
  };
}

/** Nova's migrations table: one row per move of an instance (a resize here), which the
 * os-migrations API lists and whose uuid holds the source's allocations during the move. */
function migrationsTable(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('migrations')
        .addColumn('id', serialType(engine), (c) => c.primaryKey())
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('source_compute', 'varchar(255)')
        .addColumn('dest_compute', 'varchar(255)')
        .addColumn('source_node', 'varchar(255)')
        .addColumn('dest_node', 'varchar(255)')
        .addColumn('dest_host', 'varchar(255)')
        .addColumn('old_instance_type_id', 'integer')
        .addColumn('new_instance_type_id', 'integer')
        .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
        .addColumn('status', 'varchar(255)', (c) => c.notNull())
        .addColumn('migration_type', 'varchar(255)', (c) => c.notNull())
        .addColumn('hidden', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cross_cell_move', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('user_id', 'varchar(255)')
        .addColumn('project_id', 'varchar(255)')
        .$call(softDeleted)
        .execute();
      await db.schema
        .createIndex('migrations_instance_uuid_and_status_idx')
        .on('migrations')
        .columns(['deleted', 'instance_uuid', 'status'])
        .execute();
      await db.schema
        .createIndex('migrations_by_host_nodes_and_status_idx')
        .on('migrations')
        .columns(['deleted', 'source_compute', 'dest_compute', 'status'])
        .execute();
      await db.schema.createIndex('migrations_updated_at_idx').on('migrations').column('updated_at').execute();
    },
  };
}

/** Server tags (2.26), as Nova's `tags` table. */
const serverTags: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('tags')
      .addColumn('resource_id', 'varchar(36)', (c) => c.notNull())
      .addColumn('tag', 'varchar(80)', (c) => c.notNull())
      .addPrimaryKeyConstraint('tags_pk', ['resource_id', 'tag'])
      .execute();
  },
};

/** A page of a project's servers in their default order (created_at then id, descending) is read
 * off this index from its marker on, rather than sorted from every server of the project; it
 * serves the project filter alone too, as the index it replaces did. */
const instancesListIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('instances_project_id_deleted_created_at_idx')
      .on('instances')
      .columns(['project_id', 'deleted', 'created_at', 'id'])
      .execute();
    await db.schema.dropIndex('instances_project_id_deleted_idx').execute();
  },
};

/** Nova's instances_host_deleted_idx: a host's live instances (what its resource tracker counts
 * after every claim) by index; without it SQLite reads every live instance through the
 * (deleted, created_at) index. */
const instancesHostIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('instances_host_deleted_idx').on('instances').columns(['host', 'deleted']).execute();
  },
};

export function computeMigrations(engine: Engine): Record<string, Migration> {
  return {
    '0001_initial': initial(engine),
    '0002_jobs': jobsMigration('compute', engine),
    '0003_migrations': migrationsTable(engine),
    '0004_server_tags': serverTags,
    '0005_jobs_secrets': jobSecretsMigration('compute'),
    '0006_instances_list_index': instancesListIndex,
    '0007_instances_host_index': instancesHostIndex,
    '0008_jobs_results': jobResultsMigration('compute'),
    '0009_jobs_kind_due': jobKindDueMigration('compute', engine),
  };
}
