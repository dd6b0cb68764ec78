// Image schema migrations, for SQLite and PostgreSQL alike.
import type { Kysely, Migration } from 'kysely';
import { serialType, type Engine } from '../../common/db/index.js';

function initial(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.createTable('images')
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
      await db.schema.createTable('image_properties')
        .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id'))
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('value', 'text')
        .addPrimaryKeyConstraint('image_properties_pk', ['image_id', 'name'])
        .execute();
      await db.schema.createIndex('image_properties_name_idx').on('image_properties').column('name').execute();
      await db.schema.createTable('image_tags')
        .addColumn('id', serialType(engine), (c) => c.primaryKey())
        .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id'))
        .addColumn('value', 'varchar(255)', (c) => c.notNull())
        .addUniqueConstraint('image_tags_uq', ['image_id', 'value'])
        .execute();
      await db.schema.createTable('image_members')
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
    await db.schema.createTable('image_uploads')
      .addColumn('image_id', 'varchar(36)', (c) => c.primaryKey().references('images.id'))
      .addColumn('store', 'varchar(16)', (c) => c.notNull())
      .addColumn('partial', 'varchar(255)', (c) => c.notNull())
      .addColumn('writer', 'varchar(255)', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull())
      .addColumn('heartbeat_at', 'varchar(40)', (c) => c.notNull())
      .execute();
  },
};

export function imageMigrations(engine: Engine): Record<string, Migration> {
  return { '0001_initial': initial(engine), '0002_image_uploads': uploads };
}
