// Image schema migrations, for SQLite and PostgreSQL alike.
import type { ColumnDefinitionBuilder, Kysely, Migration } from 'kysely';
import { serialType, type Engine } from '../../common/db/index.js';

function initial(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('images')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)')
        .addColumn('status', 'varchar(30)', (c) => c.notNull())
        .addColumn('visibility', 'varchar(16)', (c) => c.notNull())
        .addColumn('owner', 'varchar(255)')
        .addColumn('size', 'bigint')
        .addColumn('virtual_size', 'bigint')
        .addColumn('checksum', 'varchar(32)')
        .addColumn('os_hash_algo', 'varchar(64)')
        .addColumn('os_hash_value', 'varchar(128)')
        .addColumn('disk_format', 'varchar(20)')
        .addColumn('container_format', 'varchar(20)')
        .addColumn('min_disk', 'integer', (c) => c.notNull())
        .addColumn('min_ram', 'integer', (c) => c.notNull())
        .addColumn('protected', 'integer', (c) => c.notNull())
        .addColumn('os_hidden', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('deleted', 'integer', (c) => c.notNull())
        .addColumn('deleted_at', 'varchar(40)')
        .execute();
      await db.schema.createIndex('images_owner_idx').on('images').column('owner').execute();
      await db.schema.createIndex('images_visibility_idx').on('images').columns(['visibility', 'deleted']).execute();
      await db.schema.createIndex('images_created_idx').on('images').columns(['created_at', 'id']).execute();
      await db.schema
        .createTable('image_properties')
        .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id'))
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('value', 'text')
        .addPrimaryKeyConstraint('image_properties_pk', ['image_id', 'name'])
        .execute();
      await db.schema.createIndex('image_properties_name_idx').on('image_properties').column('name').execute();
      await db.schema
        .createTable('image_tags')
        .addColumn('id', serialType(engine), (c) => c.primaryKey())
        .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id'))
        .addColumn('value', 'varchar(255)', (c) => c.notNull())
        .addUniqueConstraint('image_tags_uq', ['image_id', 'value'])
        .execute();
      await db.schema
        .createTable('image_members')
        .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id'))
        .addColumn('member', 'varchar(255)', (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
        .addPrimaryKeyConstraint('image_members_pk', ['image_id', 'member'])
        .execute();
      await db.schema.createIndex('image_members_member_idx').on('image_members').column('member').execute();
    },
  };
}

const uploads: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('image_uploads')
      .addColumn('image_id', 'varchar(36)', (c) => c.primaryKey().references('images.id'))
      .addColumn('store', 'varchar(16)', (c) => c.notNull())
      .addColumn('partial', 'varchar(255)', (c) => c.notNull())
      .addColumn('writer', 'varchar(255)', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('heartbeat_at', 'varchar(40)', (c) => c.notNull())
      .execute();
  },
};

/** The resource types Glance's own metadata definitions refer to, seeded as its
 * `glance-manage db_load_metadefs` seeds them: protected system types. */
export const SYSTEM_RESOURCE_TYPES = [
  'OS::Glance::Image',
  'OS::Cinder::Volume',
  'OS::Nova::Flavor',
  'OS::Nova::Aggregate',
  'OS::Nova::Server',
  'OS::Trove::Instance',
];

function metadefs(engine: Engine): Migration {
  const id = (c: ColumnDefinitionBuilder) => c.primaryKey();
  const ns = (c: ColumnDefinitionBuilder) => c.notNull().references('metadef_namespaces.id');
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('metadef_namespaces')
        .addColumn('id', serialType(engine), id)
        .addColumn('namespace', 'varchar(80)', (c) => c.notNull().unique())
        .addColumn('display_name', 'varchar(80)')
        .addColumn('description', 'text')
        .addColumn('visibility', 'varchar(32)', (c) => c.notNull())
        .addColumn('protected', 'integer', (c) => c.notNull())
        .addColumn('owner', 'varchar(255)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('metadef_namespaces_owner_idx').on('metadef_namespaces').column('owner').execute();
      for (const table of ['metadef_objects', 'metadef_properties', 'metadef_tags']) {
        let t = db.schema
          .createTable(table)
          .addColumn('id', serialType(engine), id)
          .addColumn('namespace_id', 'integer', ns)
          .addColumn('name', 'varchar(80)', (c) => c.notNull());
        if (table === 'metadef_objects') {
          t = t.addColumn('description', 'text').addColumn('required', 'text', (c) => c.notNull());
        }
        if (table !== 'metadef_tags') t = t.addColumn('json_schema', 'text', (c) => c.notNull());
        await t
          .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
          .addUniqueConstraint(`${table}_namespace_name_uq`, ['namespace_id', 'name'])
          .execute();
      }
      await db.schema
        .createTable('metadef_resource_types')
        .addColumn('id', serialType(engine), id)
        .addColumn('name', 'varchar(80)', (c) => c.notNull().unique())
        .addColumn('protected', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('metadef_namespace_resource_types')
        .addColumn('resource_type_id', 'integer', (c) => c.notNull().references('metadef_resource_types.id'))
        .addColumn('namespace_id', 'integer', ns)
        .addColumn('properties_target', 'varchar(80)')
        .addColumn('prefix', 'varchar(80)')
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
        .addPrimaryKeyConstraint('metadef_namespace_resource_types_pk', ['resource_type_id', 'namespace_id'])
        .execute();
      await db.schema
        .createIndex('metadef_ns_res_types_namespace_idx')
        .on('metadef_namespace_resource_types')
        .column('namespace_id')
        .execute();
      const ts = new Date().toISOString();
      await db
        .insertInto('metadef_resource_types' as never)
        .values(SYSTEM_RESOURCE_TYPES.map((name) => ({ name, protected: 1, created_at: ts, updated_at: ts })))
        .execute();
    },
  };
}

export function imageMigrations(engine: Engine): Record<string, Migration> {
  return { '0001_initial': initial(engine), '0002_image_uploads': uploads, '0003_metadefs': metadefs(engine) };
}
