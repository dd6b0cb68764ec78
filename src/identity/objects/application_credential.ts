// Application credentials: a user delegates (some of) its roles on one project to a named secret
// that an application authenticates with. The secret is shown once, at creation, and stored hashed.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { uniqueViolation, withTransaction } from '../../common/db/index.js';
import type { AccessRuleTable, ApplicationCredentialTable, IdentityDB, RoleTable } from '../db/schema.js';
import { attachAccessRules, type AccessRuleRef } from './access_rule.js';
import { conflict, notFound, unauthorized } from '../exceptions.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { newId } from './common.js';
import { now } from '../../common/time.js';

type DB = Kysely<IdentityDB>;

export interface NewApplicationCredential {
  userId: string;
  projectId: string;
  name: string;
  description?: string | null;
  secret?: string | null;
  expiresAt?: string | null;
  unrestricted?: boolean;
  roleIds: string[];
  /** Restricts the credential's tokens to these requests (none given: no restriction). */
  accessRules?: AccessRuleRef[];
}

export async function createApplicationCredential(
  db: DB,
  c: NewApplicationCredential,
): Promise<{ row: ApplicationCredentialTable; secret: string; accessRules: AccessRuleTable[] }> {
  const secret = c.secret ?? randomBytes(64).toString('base64url');
  const row: ApplicationCredentialTable = {
    id: newId(),
    name: c.name,
    secret_hash: await hashPassword(secret),
    description: c.description ?? null,
    user_id: c.userId,
    project_id: c.projectId,
    expires_at: c.expiresAt ?? null,
    unrestricted: c.unrestricted ? 1 : 0,
    created_at: now(),
  };
  let accessRules: AccessRuleTable[] = [];
  try {
    await withTransaction(db, async (trx) => {
      await trx.insertInto('application_credential').values(row).execute();
      if (c.roleIds.length) {
        await trx
          .insertInto('application_credential_role')
          .values(c.roleIds.map((role_id) => ({ application_credential_id: row.id, role_id })))
          .execute();
      }
      accessRules = await attachAccessRules(trx, c.userId, row.id, c.accessRules ?? []);
    });
  } catch (e) {
    if (uniqueViolation(e)) throw conflict('application_credential', 'Duplicate entry');
    throw e;
  }
  return { row, secret, accessRules };
}

export async function listApplicationCredentials(
  db: DB,
  userId: string,
  name?: string,
): Promise<ApplicationCredentialTable[]> {
  let q = db.selectFrom('application_credential').selectAll().where('user_id', '=', userId).orderBy('name');
  if (name !== undefined) q = q.where('name', '=', name);
  return q.execute();
}

export async function findApplicationCredential(db: DB, id: string): Promise<ApplicationCredentialTable | undefined> {
  return db.selectFrom('application_credential').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getApplicationCredential(
  db: DB,
  userId: string,
  id: string,
): Promise<ApplicationCredentialTable> {
  const c = await findApplicationCredential(db, id);
  if (!c || c.user_id !== userId) throw notFound('Application Credential', id);
  return c;
}

export async function deleteApplicationCredential(db: DB, userId: string, id: string): Promise<void> {
  await getApplicationCredential(db, userId, id);
  await db.deleteFrom('application_credential').where('id', '=', id).execute();
}

/** The roles of each given application credential. */
export async function rolesOf(db: DB, ids: string[]): Promise<Map<string, RoleTable[]>> {
  const out = new Map<string, RoleTable[]>(ids.map((id) => [id, []]));
  if (!ids.length) return out;
  const rows = await db
    .selectFrom('application_credential_role as a')
    .innerJoin('role as r', 'r.id', 'a.role_id')
    .selectAll('r')
    .select('a.application_credential_id')
    .where('a.application_credential_id', 'in', ids)
    .orderBy('r.name')
    .execute();
  for (const r of rows) out.get(r.application_credential_id)!.push(r);
  return out;
}

export function isExpired(c: ApplicationCredentialTable): boolean {
  return c.expires_at !== null && Date.parse(c.expires_at) <= Date.now();
}

/** Checks an application credential's secret: the credential, or a 401. */
export async function checkSecret(
  c: ApplicationCredentialTable | undefined,
  secret: string,
): Promise<ApplicationCredentialTable> {
  const ok = await verifyPassword(c?.secret_hash, secret);
  if (!c) throw unauthorized('no such application credential');
  if (!ok) throw unauthorized(`wrong secret for application credential ${c.id}`);
  if (isExpired(c)) throw unauthorized(`application credential ${c.id} has expired`);
  return c;
}
