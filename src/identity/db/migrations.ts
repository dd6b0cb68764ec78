// Identity schema migrations, for SQLite and PostgreSQL alike.
import { sql, type Kysely, type Migration } from 'kysely';
import { serialType, type Engine } from '../../common/db/index.js';

function initial(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const id = (t: string) => db.schema.createTable(t).addColumn('id', 'varchar(64)', (c) => c.primaryKey());
      const flag = 'integer';
      await id('domain')
        .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('enabled', flag, (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('extra', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .execute();
      await id('project')
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('domain_id', 'varchar(64)', (c) => c.notNull().references('domain.id'))
        .addColumn('parent_id', 'varchar(64)', (c) => c.references('project.id'))
        .addColumn('description', 'text')
        .addColumn('enabled', flag, (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('extra', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addUniqueConstraint('project_domain_name_uq', ['domain_id', 'name'])
        .execute();
      await db.schema.createIndex('project_parent_idx').on('project').column('parent_id').execute();
      await id('user')
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('domain_id', 'varchar(64)', (c) => c.notNull().references('domain.id'))
        .addColumn('enabled', flag, (c) => c.notNull())
        .addColumn('default_project_id', 'varchar(64)')
        .addColumn('password_hash', 'text')
        .addColumn('failed_auth_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failed_auth_at', 'varchar(40)')
        .addColumn('extra', 'text', (c) => c.notNull())
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addUniqueConstraint('user_domain_name_uq', ['domain_id', 'name'])
        .execute();
      await id('group')
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('domain_id', 'varchar(64)', (c) => c.notNull().references('domain.id'))
        .addColumn('description', 'text')
        .addColumn('extra', 'text', (c) => c.notNull())
        .addUniqueConstraint('group_domain_name_uq', ['domain_id', 'name'])
        .execute();
      await db.schema
        .createTable('user_group_membership')
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('user.id'))
        .addColumn('group_id', 'varchar(64)', (c) => c.notNull().references('group.id'))
        .addPrimaryKeyConstraint('user_group_membership_pk', ['user_id', 'group_id'])
        .execute();
      await db.schema.createIndex('membership_group_idx').on('user_group_membership').column('group_id').execute();
      await id('role')
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('domain_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('extra', 'text', (c) => c.notNull())
        .addUniqueConstraint('role_name_domain_uq', ['name', 'domain_id'])
        .execute();
      await db.schema
        .createTable('implied_role')
        .addColumn('prior_role_id', 'varchar(64)', (c) => c.notNull().references('role.id'))
        .addColumn('implied_role_id', 'varchar(64)', (c) => c.notNull().references('role.id'))
        .addPrimaryKeyConstraint('implied_role_pk', ['prior_role_id', 'implied_role_id'])
        .execute();
      await db.schema
        .createTable('assignment')
        .addColumn('type', 'varchar(16)', (c) => c.notNull())
        .addColumn('actor_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('target_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('role_id', 'varchar(64)', (c) => c.notNull().references('role.id'))
        .addPrimaryKeyConstraint('assignment_pk', ['type', 'actor_id', 'target_id', 'role_id'])
        .execute();
      await db.schema.createIndex('assignment_actor_idx').on('assignment').column('actor_id').execute();
      await db.schema.createIndex('assignment_target_idx').on('assignment').column('target_id').execute();
      await db.schema.createIndex('assignment_role_idx').on('assignment').column('role_id').execute();
      await id('region')
        .addColumn('description', 'varchar(255)', (c) => c.notNull())
        .addColumn('parent_region_id', 'varchar(255)')
        .addColumn('extra', 'text', (c) => c.notNull())
        .execute();
      await id('service')
        .addColumn('type', 'varchar(255)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)')
        .addColumn('description', 'text')
        .addColumn('enabled', flag, (c) => c.notNull())
        .addColumn('extra', 'text', (c) => c.notNull())
        .execute();
      await id('endpoint')
        .addColumn('service_id', 'varchar(64)', (c) => c.notNull().references('service.id'))
        .addColumn('interface', 'varchar(8)', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('region_id', 'varchar(255)', (c) => c.references('region.id'))
        .addColumn('enabled', flag, (c) => c.notNull())
        .addColumn('extra', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('endpoint_service_idx').on('endpoint').column('service_id').execute();
      await id('application_credential')
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('expires_at', 'varchar(40)')
        .addColumn('unrestricted', flag, (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addUniqueConstraint('app_cred_user_name_uq', ['user_id', 'name'])
        .execute();
      await db.schema
        .createTable('application_credential_role')
        .addColumn('application_credential_id', 'varchar(64)', (c) =>
          c.notNull().references('application_credential.id').onDelete('cascade'),
        )
        .addColumn('role_id', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('app_cred_role_pk', ['application_credential_id', 'role_id'])
        .execute();
      await db.schema
        .createTable('revocation_event')
        .addColumn('id', serialType(engine), (c) => c.primaryKey())
        .addColumn('audit_id', 'varchar(32)')
        .addColumn('user_id', 'varchar(64)')
        .addColumn('project_id', 'varchar(64)')
        .addColumn('domain_id', 'varchar(64)')
        .addColumn('issued_before', 'varchar(40)', (c) => c.notNull())
        .addColumn('revoked_at', 'varchar(40)', (c) => c.notNull())
        .execute();
      for (const col of ['audit_id', 'user_id', 'project_id', 'domain_id', 'revoked_at']) {
        await db.schema.createIndex(`revocation_${col}_idx`).on('revocation_event').column(col).execute();
      }
    },
  };
}

/** Inherited role assignments (Keystone's OS-INHERIT): an assignment on a domain or project
 * that applies to the projects below it rather than to the target itself. As in Keystone it is
 * the same row with `inherited` set, so a role may be held both ways on one target; the primary
 * key grows by that column, which SQLite can only do by rebuilding the table (done the same way
 * on both engines). */
function inheritedAssignments(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('assignment_next')
        .addColumn('type', 'varchar(16)', (c) => c.notNull())
        .addColumn('actor_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('target_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('role_id', 'varchar(64)', (c) => c.notNull().references('role.id'))
        .addColumn('inherited', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('assignment_inherited_pk', ['type', 'actor_id', 'target_id', 'role_id', 'inherited'])
        .execute();
      await db
        .insertInto('assignment_next' as never)
        .columns(['type', 'actor_id', 'target_id', 'role_id'] as never)
        .expression(db.selectFrom('assignment' as never).select(['type', 'actor_id', 'target_id', 'role_id'] as never))
        .execute();
      await db.schema.dropTable('assignment').execute();
      await db.schema.alterTable('assignment_next').renameTo('assignment').execute();
      for (const col of ['actor_id', 'target_id', 'role_id']) {
        await db.schema
          .createIndex(`assignment_${col.replace('_id', '')}_idx`)
          .on('assignment')
          .column(col)
          .execute();
      }
    },
  };
}

/** Credentials (/v3/credentials, and the EC2 ones of /v3/users/{id}/credentials/OS-EC2): blobs
 * kept encrypted, with the hash of the key that encrypted them, as Keystone keeps them. */
function credentials(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('credential')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('project_id', 'varchar(64)')
        .addColumn('type', 'varchar(255)', (c) => c.notNull())
        .addColumn('encrypted_blob', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('extra', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('credential_user_idx').on('credential').column('user_id').execute();
      await db.schema.createIndex('credential_project_idx').on('credential').column('project_id').execute();
    },
  };
}

/** Endpoint filtering (OS-EP-FILTER): endpoint groups, and the endpoints and groups associated
 * with projects. Associations go with their endpoint, group or project (deleted by the code that
 * deletes those, as Keystone does), so only the group is a foreign key. */
function endpointFilter(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('endpoint_group')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('filters', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('project_endpoint')
        .addColumn('endpoint_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('project_endpoint_pk', ['endpoint_id', 'project_id'])
        .execute();
      await db.schema.createIndex('project_endpoint_project_idx').on('project_endpoint').column('project_id').execute();
      await db.schema
        .createTable('project_endpoint_group')
        .addColumn('endpoint_group_id', 'varchar(64)', (c) => c.notNull().references('endpoint_group.id'))
        .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('project_endpoint_group_pk', ['endpoint_group_id', 'project_id'])
        .execute();
      await db.schema
        .createIndex('project_endpoint_group_project_idx')
        .on('project_endpoint_group')
        .column('project_id')
        .execute();
    },
  };
}

/** Keystone's [security_compliance] rules: when the current password was set, by whom, and when it
 * expires; the day of the last authentication; the earlier password hashes. */
function securityCompliance(engine: Engine): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('user').addColumn('password_created_at', 'varchar(40)').execute();
      await db.schema.alterTable('user').addColumn('password_expires_at', 'varchar(40)').execute();
      await db.schema
        .alterTable('user')
        .addColumn('password_self_service', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('user').addColumn('last_active_at', 'varchar(10)').execute();
      await db
        .updateTable('user' as never)
        .set({ password_created_at: sql.ref('created_at') } as never)
        .where('password_hash' as never, 'is not', null)
        .execute();
      await db.schema
        .createTable('password_history')
        .addColumn('id', serialType(engine), (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('password_history_user_idx').on('password_history').column('user_id').execute();
    },
  };
}

/** Application credential access rules: the rules a user has defined, and which credentials
 * they restrict. A rule in use cannot be deleted (no cascade from access_rule). */
function accessRules(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('access_rule')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('service', 'varchar(64)', (c) => c.notNull())
        .addColumn('path', 'varchar(225)', (c) => c.notNull())
        .addColumn('method', 'varchar(16)', (c) => c.notNull())
        .addUniqueConstraint('access_rule_user_request_uq', ['user_id', 'service', 'path', 'method'])
        .execute();
      await db.schema
        .createTable('application_credential_access_rule')
        .addColumn('application_credential_id', 'varchar(64)', (c) =>
          c.notNull().references('application_credential.id').onDelete('cascade'),
        )
        .addColumn('access_rule_id', 'varchar(64)', (c) => c.notNull().references('access_rule.id'))
        .addPrimaryKeyConstraint('app_cred_access_rule_pk', ['application_credential_id', 'access_rule_id'])
        .execute();
      await db.schema
        .createIndex('app_cred_access_rule_rule_idx')
        .on('application_credential_access_rule')
        .column('access_rule_id')
        .execute();
    },
  };
}

/** Trusts (OS-TRUST) and the roles each delegates. As in Keystone, two trusts between the same
 * users on the same project, impersonation and expiry conflict. */
function trusts(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('trust')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('trustor_user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('trustee_user_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('project_id', 'varchar(64)')
        .addColumn('impersonation', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'varchar(40)')
        .addColumn('remaining_uses', 'integer')
        .addColumn('redelegated_trust_id', 'varchar(64)')
        .addColumn('redelegation_count', 'integer', (c) => c.notNull())
        .addColumn('extra', 'text', (c) => c.notNull())
        .addUniqueConstraint('duplicate_trust_constraint', [
          'trustor_user_id',
          'trustee_user_id',
          'project_id',
          'impersonation',
          'expires_at',
        ])
        .execute();
      for (const col of ['trustor_user_id', 'trustee_user_id', 'project_id', 'redelegated_trust_id']) {
        await db.schema.createIndex(`trust_${col}_idx`).on('trust').column(col).execute();
      }
      await db.schema
        .createTable('trust_role')
        .addColumn('trust_id', 'varchar(64)', (c) => c.notNull().references('trust.id').onDelete('cascade'))
        .addColumn('role_id', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('trust_role_pk', ['trust_id', 'role_id'])
        .execute();
    },
  };
}

export function identityMigrations(engine: Engine): Record<string, Migration> {
  return {
    '0001_initial': initial(engine),
    '0002_inherited_assignments': inheritedAssignments(),
    '0003_credentials': credentials(),
    '0004_endpoint_filter': endpointFilter(),
    '0005_security_compliance': securityCompliance(engine),
    '0006_access_rules': accessRules(),
    '0007_trusts': trusts(),
  };
}
