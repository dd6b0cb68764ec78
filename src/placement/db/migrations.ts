// Placement schema migrations, for SQLite and PostgreSQL alike. The tables mirror upstream's
// model (integer surrogate keys inside, UUIDs and names on the wire) plus one table of our own,
// placement_changes, through which every process learns which providers changed (see
// ../provider_index/changes.ts).
import { sql, type Kysely, type Migration } from 'kysely';
import { serialType, type Engine } from '../../common/db/index.js';

function initial(engine: Engine): Migration {
  const id = serialType(engine);
  return {
    async up(db: Kysely<unknown>) {
      const named = (table: string) =>
        db.schema
          .createTable(table)
          .addColumn('id', id, (c) => c.primaryKey())
          .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
          .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(40)');
      await named('resource_classes').execute();
      await named('traits').execute();
      await named('consumer_types').execute();
      for (const t of ['projects', 'users']) {
        await db.schema
          .createTable(t)
          .addColumn('id', id, (c) => c.primaryKey())
          .addColumn('external_id', 'varchar(255)', (c) => c.notNull().unique())
          .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(40)')
          .execute();
      }
      await db.schema
        .createTable('resource_providers')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(200)', (c) => c.notNull().unique())
        .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('root_provider_id', 'integer')
        .addColumn('parent_provider_id', 'integer', (c) => c.references('resource_providers.id'))
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)')
        .execute();
      await db.schema.createIndex('rp_root_idx').on('resource_providers').column('root_provider_id').execute();
      await db.schema.createIndex('rp_parent_idx').on('resource_providers').column('parent_provider_id').execute();
      await db.schema
        .createTable('inventories')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('resource_provider_id', 'integer', (c) => c.notNull().references('resource_providers.id'))
        .addColumn('resource_class_id', 'integer', (c) => c.notNull().references('resource_classes.id'))
        .addColumn('total', 'integer', (c) => c.notNull())
        .addColumn('reserved', 'integer', (c) => c.notNull())
        .addColumn('min_unit', 'integer', (c) => c.notNull())
        .addColumn('max_unit', 'integer', (c) => c.notNull())
        .addColumn('step_size', 'integer', (c) => c.notNull())
        .addColumn('allocation_ratio', 'real', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)')
        .addUniqueConstraint('inv_rp_rc_uq', ['resource_provider_id', 'resource_class_id'])
        .execute();
      await db.schema.createIndex('inv_rc_idx').on('inventories').column('resource_class_id').execute();
      await db.schema
        .createTable('consumers')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
        .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('consumer_type_id', 'integer', (c) => c.references('consumer_types.id'))
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)')
        .execute();
      await db.schema
        .createIndex('consumer_project_user_idx')
        .on('consumers')
        .columns(['project_id', 'user_id'])
        .execute();
      await db.schema.createIndex('consumer_type_idx').on('consumers').column('consumer_type_id').execute();
      await db.schema
        .createTable('allocations')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('resource_provider_id', 'integer', (c) => c.notNull().references('resource_providers.id'))
        .addColumn('consumer_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('resource_class_id', 'integer', (c) => c.notNull().references('resource_classes.id'))
        .addColumn('used', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)')
        .execute();
      await db.schema
        .createIndex('alloc_rp_rc_idx')
        .on('allocations')
        .columns(['resource_provider_id', 'resource_class_id'])
        .execute();
      await db.schema.createIndex('alloc_consumer_idx').on('allocations').column('consumer_id').execute();
      await db.schema
        .createTable('placement_aggregates')
        .addColumn('id', id, (c) => c.primaryKey())
        .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)')
        .execute();
      await db.schema
        .createTable('resource_provider_aggregates')
        .addColumn('resource_provider_id', 'integer', (c) => c.notNull().references('resource_providers.id'))
        .addColumn('aggregate_id', 'integer', (c) => c.notNull().references('placement_aggregates.id'))
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addPrimaryKeyConstraint('rpa_pk', ['resource_provider_id', 'aggregate_id'])
        .execute();
      await db.schema.createIndex('rpa_agg_idx').on('resource_provider_aggregates').column('aggregate_id').execute();
      await db.schema
        .createTable('resource_provider_traits')
        .addColumn('resource_provider_id', 'integer', (c) => c.notNull().references('resource_providers.id'))
        .addColumn('trait_id', 'integer', (c) => c.notNull().references('traits.id'))
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addPrimaryKeyConstraint('rpt_pk', ['resource_provider_id', 'trait_id'])
        .execute();
      await db.schema.createIndex('rpt_trait_idx').on('resource_provider_traits').column('trait_id').execute();

      await db.schema
        .createTable('placement_changes')
        .addColumn('id', engine === 'postgres' ? 'bigserial' : 'integer', (c) => c.primaryKey())
        .addColumn('provider_id', 'integer')
        .addColumn('kind', 'varchar(20)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .execute();
      if (engine === 'postgres') {
        // The writing transaction's id: lets readers find every change committed since their
        // last look even though sequence values are not handed out in commit order.
        await sql`ALTER TABLE placement_changes ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id()`.execute(db);
        await sql`CREATE INDEX placement_changes_xid_idx ON placement_changes (xid)`.execute(db);
      }
      await db.schema
        .createIndex('placement_changes_created_idx')
        .on('placement_changes')
        .column('created_at')
        .execute();
    },
  };
}

/** Tables whose rows describe a provider, and the column naming it. */
const PROVIDER_TABLES: [string, string][] = [
  ['resource_providers', 'id'],
  ['inventories', 'resource_provider_id'],
  ['allocations', 'resource_provider_id'],
  ['resource_provider_traits', 'resource_provider_id'],
  ['resource_provider_aggregates', 'resource_provider_id'],
];
/** Tables the provider index resolves names against. */
const CATALOG_TABLES = ['resource_classes', 'traits'];

/** The change log is written by the database itself: a trigger per table appends the provider
 * a row belongs to, in the writing transaction. No write path can forget it, and it costs no
 * extra round trip. One more trigger keeps an invariant: a provider created without a root is
 * its own root (upstream sets it with a second statement). */
function changeTriggers(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (engine === 'postgres') {
        const ts = `to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
        // One function per naming column: plpgsql cannot pick a column by name cheaply.
        for (const column of ['id', 'resource_provider_id']) {
          await sql
            .raw(
              `CREATE FUNCTION placement_log_${column}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO placement_changes (provider_id, kind, created_at)
                VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.${column} ELSE NEW.${column} END, 'provider', ${ts});
              RETURN NULL;
            END $$`,
            )
            .execute(db);
        }
        await sql
          .raw(
            `CREATE FUNCTION placement_log_catalog() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            INSERT INTO placement_changes (provider_id, kind, created_at) VALUES (NULL, 'catalog', ${ts});
            RETURN NULL;
          END $$`,
          )
          .execute(db);
        for (const [table, column] of PROVIDER_TABLES) {
          await sql
            .raw(
              `CREATE TRIGGER ${table}_changes AFTER INSERT OR UPDATE OR DELETE ON ${table}
            FOR EACH ROW EXECUTE FUNCTION placement_log_${column}()`,
            )
            .execute(db);
        }
        for (const table of CATALOG_TABLES) {
          await sql
            .raw(
              `CREATE TRIGGER ${table}_changes AFTER INSERT OR UPDATE OR DELETE ON ${table}
            FOR EACH ROW EXECUTE FUNCTION placement_log_catalog()`,
            )
            .execute(db);
        }
        await ownRootTrigger(engine, db);
        return;
      }
      const ts = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
      for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
        const row = op === 'DELETE' ? 'OLD' : 'NEW';
        for (const [table, column] of PROVIDER_TABLES) {
          await sql
            .raw(
              `CREATE TRIGGER ${table}_${op.toLowerCase()}_changes AFTER ${op} ON ${table} BEGIN
            INSERT INTO placement_changes (provider_id, kind, created_at) VALUES (${row}.${column}, 'provider', ${ts}); END`,
            )
            .execute(db);
        }
        for (const table of CATALOG_TABLES) {
          await sql
            .raw(
              `CREATE TRIGGER ${table}_${op.toLowerCase()}_changes AFTER ${op} ON ${table} BEGIN
            INSERT INTO placement_changes (provider_id, kind, created_at) VALUES (NULL, 'catalog', ${ts}); END`,
            )
            .execute(db);
        }
      }
      await ownRootTrigger(engine, db);
    },
  };
}

/** The trigger making a provider created without a root its own root (replaced if present). */
async function ownRootTrigger(engine: Engine, db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS resource_providers_own_root ${sql.raw(engine === 'postgres' ? 'ON resource_providers' : '')}`.execute(
    db,
  );
  if (engine === 'postgres') {
    // The id is assigned (from its sequence) before BEFORE triggers run.
    await sql`CREATE OR REPLACE FUNCTION placement_own_root() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.root_provider_id := COALESCE(NEW.root_provider_id, NEW.id);
        RETURN NEW;
      END $$`.execute(db);
    await sql`CREATE TRIGGER resource_providers_own_root BEFORE INSERT ON resource_providers
      FOR EACH ROW EXECUTE FUNCTION placement_own_root()`.execute(db);
    return;
  }
  // SQLite knows the rowid only after the insert; the update is logged by the change triggers.
  await sql`CREATE TRIGGER resource_providers_own_root AFTER INSERT ON resource_providers
    WHEN NEW.root_provider_id IS NULL BEGIN
    UPDATE resource_providers SET root_provider_id = NEW.id WHERE id = NEW.id; END`.execute(db);
}

/** Databases migrated before 0002 created the own-root trigger (it was added to 0002 later)
 * get it now, and their roots recorded without one are made their own. */
function ownRoots(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await ownRootTrigger(engine, db);
      await sql`UPDATE resource_providers SET root_provider_id = id WHERE root_provider_id IS NULL`.execute(db);
    },
  };
}

/** PostgreSQL: the provider tables log their changes once per statement rather than once per
 * row. A row trigger runs a plpgsql INSERT for every row written, about a third of the server's
 * CPU while providers are loaded; a statement trigger sees the statement's rows as a transition
 * table (one per event: PostgreSQL allows no more) and logs each provider once. SQLite has only
 * row triggers, run in-process, and keeps them. */
function statementChangeTriggers(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (engine !== 'postgres') return;
      const ts = `to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
      for (const column of ['id', 'resource_provider_id']) {
        await sql
          .raw(
            `CREATE FUNCTION placement_log_rows_${column}() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN
            INSERT INTO placement_changes (provider_id, kind, created_at)
              SELECT DISTINCT ${column}, 'provider', ${ts} FROM changed;
            RETURN NULL;
          END $$`,
          )
          .execute(db);
      }
      for (const [table, column] of PROVIDER_TABLES) {
        await sql.raw(`DROP TRIGGER ${table}_changes ON ${table}`).execute(db);
        for (const [op, rows] of [
          ['INSERT', 'NEW'],
          ['UPDATE', 'NEW'],
          ['DELETE', 'OLD'],
        ] as const) {
          await sql
            .raw(
              `CREATE TRIGGER ${table}_${op.toLowerCase()}_changes AFTER ${op} ON ${table}
            REFERENCING ${rows} TABLE AS changed
            FOR EACH STATEMENT EXECUTE FUNCTION placement_log_rows_${column}()`,
            )
            .execute(db);
        }
      }
      // Absent from databases whose 0002 predates them (they used placement_log_change).
      for (const column of ['id', 'resource_provider_id'])
        await sql.raw(`DROP FUNCTION IF EXISTS placement_log_${column}()`).execute(db);
    },
  };
}

export function placementMigrations(engine: Engine): Record<string, Migration> {
  return {
    '0001_initial': initial(engine),
    '0002_change_triggers': changeTriggers(engine),
    '0003_statement_change_triggers': statementChangeTriggers(engine),
    '0004_own_roots': ownRoots(engine),
  };
}
