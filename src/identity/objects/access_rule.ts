// Application credential access rules: the requests (service type, HTTP method, path pattern) a
// token made from an application credential may make, enforced by every service's token
// middleware. A user's rules are shared by all its credentials that name the same request, and
// outlive them until the user deletes them.
import type { Kysely } from 'kysely';
import type { AccessRuleTable, IdentityDB } from '../db/schema.js';
import { expecting, forbidden, KeystoneException, NotFound } from '../exceptions.js';
import { newId } from './common.js';

type DB = Kysely<IdentityDB>;

/** An access rule as a credential request names it: by id (one the user has), or by its request. */
export interface AccessRuleRef {
  id?: string;
  service?: string;
  path?: string;
  method?: string;
}

function accessRuleNotFound(id: string): KeystoneException {
  return new NotFound(`Could not find Access Rule: ${id}.`);
}

export async function listAccessRules(
  db: DB,
  userId: string,
  f: { service?: string; path?: string; method?: string },
): Promise<AccessRuleTable[]> {
  let q = db
    .selectFrom('access_rule')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('service')
    .orderBy('path')
    .orderBy('method');
  if (f.service !== undefined) q = q.where('service', '=', f.service);
  if (f.path !== undefined) q = q.where('path', '=', f.path);
  if (f.method !== undefined) q = q.where('method', '=', f.method);
  return q.execute();
}

/** A rule of this user (another user's is not found). */
export async function getAccessRule(db: DB, userId: string, id: string): Promise<AccessRuleTable> {
  const r = await db
    .selectFrom('access_rule')
    .selectAll()
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!r) throw accessRuleNotFound(id);
  return r;
}

/** Deletes a rule no application credential uses any more. */
export async function deleteAccessRule(db: DB, userId: string, id: string): Promise<void> {
  await getAccessRule(db, userId, id);
  const used = await db
    .selectFrom('application_credential_access_rule')
    .select('access_rule_id')
    .where('access_rule_id', '=', id)
    .executeTakeFirst();
  if (used) throw forbidden('May not delete access rule in use');
  await db.deleteFrom('access_rule').where('id', '=', id).execute();
}

/** Restricts a new application credential to these rules: the user's own by id, or the user's
 * rule for the same request, made when there is none (within the caller's transaction). */
export async function attachAccessRules(
  trx: DB,
  userId: string,
  appCredId: string,
  refs: AccessRuleRef[],
): Promise<AccessRuleTable[]> {
  const out: AccessRuleTable[] = [];
  for (const ref of refs) {
    let rule: AccessRuleTable | undefined;
    if (ref.id !== undefined) {
      rule = await getAccessRule(trx, userId, ref.id);
    } else {
      if (ref.service === undefined || ref.path === undefined || ref.method === undefined) {
        throw expecting('service, path and method', 'access_rule');
      }
      const request = { user_id: userId, service: ref.service, path: ref.path, method: ref.method };
      await trx
        .insertInto('access_rule')
        .values({ id: newId(), ...request })
        .onConflict((oc) => oc.columns(['user_id', 'service', 'path', 'method']).doNothing())
        .execute();
      rule = await trx
        .selectFrom('access_rule')
        .selectAll()
        .where('user_id', '=', userId)
        .where('service', '=', ref.service)
        .where('path', '=', ref.path)
        .where('method', '=', ref.method)
        .executeTakeFirstOrThrow();
    }
    if (out.some((r) => r.id === rule.id)) continue;
    await trx
      .insertInto('application_credential_access_rule')
      .values({ application_credential_id: appCredId, access_rule_id: rule.id })
      .execute();
    out.push(rule);
  }
  return out;
}

/** The access rules of each given application credential (none: unrestricted by rules). */
export async function accessRulesOf(db: DB, appCredIds: string[]): Promise<Map<string, AccessRuleTable[]>> {
  const out = new Map<string, AccessRuleTable[]>(appCredIds.map((id) => [id, []]));
  if (!appCredIds.length) return out;
  const rows = await db
    .selectFrom('application_credential_access_rule as l')
    .innerJoin('access_rule as r', 'r.id', 'l.access_rule_id')
    .selectAll('r')
    .select('l.application_credential_id')
    .where('l.application_credential_id', 'in', appCredIds)
    .orderBy('r.service')
    .orderBy('r.path')
    .orderBy('r.method')
    .execute();
  for (const { application_credential_id: id, ...r } of rows) out.get(id)!.push(r);
  return out;
}
