// Roles and role implications (admin ⇒ member ⇒ reader): a role assignment confers every role the
// assigned one implies, transitively.
import type { Kysely } from 'kysely';
import { uniqueViolation, withTransaction } from '../../common/db/index.js';
import { NULL_DOMAIN, type IdentityDB, type RoleTable } from '../db/schema.js';
import { conflict, forbidden, KeystoneException, NotFound, notFound } from '../exceptions.js';
import { newId, parseJson, splitExtra } from './common.js';
import { getDomain } from './domain.js';

type DB = Kysely<IdentityDB>;

const COLUMNS = ['id', 'name', 'domain_id', 'description', 'options', 'links'] as const;

/** Roles no implication may lead to (Keystone's [assignment] prohibited_implied_role). */
const PROHIBITED_IMPLIED = ['admin'];

export interface RoleInput {
  name?: string;
  domain_id?: string | null;
  description?: string | null;
  options?: { immutable?: boolean | null };
  [extra: string]: unknown;
}

export async function findRole(db: DB, id: string): Promise<RoleTable | undefined> {
  return db.selectFrom('role').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getRole(db: DB, id: string): Promise<RoleTable> {
  const r = await findRole(db, id);
  if (!r) throw notFound('role', id);
  return r;
}

export async function findRoleByName(
  db: DB,
  name: string,
  domainId: string | null = null,
): Promise<RoleTable | undefined> {
  return db
    .selectFrom('role')
    .selectAll()
    .where('name', '=', name)
    .where('domain_id', '=', domainId ?? NULL_DOMAIN)
    .executeTakeFirst();
}

export async function listRoles(
  db: DB,
  f: { name?: string; domain_id?: string | null; ids?: string[] },
): Promise<RoleTable[]> {
  let q = db.selectFrom('role').selectAll().orderBy('name');
  if (f.name !== undefined) q = q.where('name', '=', f.name);
  // Without a domain filter Keystone lists the global roles only.
  q = q.where('domain_id', '=', f.domain_id ?? NULL_DOMAIN);
  if (f.ids !== undefined) {
    if (!f.ids.length) return [];
    q = q.where('id', 'in', f.ids);
  }
  return q.execute();
}

export async function rolesByIds(db: DB, ids: string[]): Promise<Map<string, RoleTable>> {
  if (!ids.length) return new Map();
  const rows = await db.selectFrom('role').selectAll().where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

function isImmutable(r: RoleTable): boolean {
  return parseJson<{ immutable?: boolean }>(r.options, {}).immutable === true;
}

export async function createRole(db: DB, input: RoleInput): Promise<RoleTable> {
  if (input.domain_id) await getDomain(db, input.domain_id);
  const options: Record<string, unknown> = {};
  if (input.options?.immutable != null) options.immutable = input.options.immutable;
  const row: RoleTable = {
    id: newId(),
    name: input.name!,
    domain_id: input.domain_id ?? NULL_DOMAIN,
    description: input.description ?? null,
    options: JSON.stringify(options),
    extra: JSON.stringify(splitExtra(input, COLUMNS)),
  };
  try {
    await db.insertInto('role').values(row).execute();
  } catch (e) {
    if (uniqueViolation(e)) throw conflict('role', `Duplicate entry found with name ${row.name}`);
    throw e;
  }
  return row;
}

function immutableError(r: RoleTable): KeystoneException {
  return forbidden(`Resource ${r.id} is immutable and cannot be changed.`);
}

export async function updateRole(db: DB, id: string, input: RoleInput): Promise<RoleTable> {
  const r = await getRole(db, id);
  const options = parseJson<Record<string, unknown>>(r.options, {});
  // Clearing the immutable option is the one change an immutable role accepts.
  const onlyUnlocking = input.options?.immutable === false || input.options?.immutable === null;
  if (isImmutable(r) && !onlyUnlocking) throw immutableError(r);
  if (input.options && 'immutable' in input.options) {
    if (input.options.immutable == null) delete options.immutable;
    else options.immutable = input.options.immutable;
  }
  const extra = { ...parseJson<Record<string, unknown>>(r.extra, {}), ...splitExtra(input, COLUMNS) };
  const changes: Partial<RoleTable> = { extra: JSON.stringify(extra), options: JSON.stringify(options) };
  if (input.name !== undefined) changes.name = input.name;
  if (input.description !== undefined) changes.description = input.description;
  try {
    await db.updateTable('role').set(changes).where('id', '=', id).execute();
  } catch (e) {
    if (uniqueViolation(e)) throw conflict('role', `Duplicate entry found with name ${input.name}`);
    throw e;
  }
  return { ...r, ...changes };
}

export async function deleteRole(db: DB, id: string): Promise<void> {
  const r = await getRole(db, id);
  if (isImmutable(r)) throw immutableError(r);
  await withTransaction(db, async (trx) => {
    await trx.deleteFrom('assignment').where('role_id', '=', id).execute();
    await trx
      .deleteFrom('implied_role')
      .where((eb) => eb.or([eb('prior_role_id', '=', id), eb('implied_role_id', '=', id)]))
      .execute();
    await trx.deleteFrom('application_credential_role').where('role_id', '=', id).execute();
    await trx.deleteFrom('role').where('id', '=', id).execute();
  });
}

export async function createImplication(db: DB, priorId: string, impliedId: string): Promise<void> {
  const prior = await getRole(db, priorId);
  const implied = await getRole(db, impliedId);
  if (PROHIBITED_IMPLIED.includes(implied.name)) throw forbidden(`${impliedId} cannot be an implied roles.`);
  // A domain-specific role only ever stands for the global roles it implies: one could otherwise
  // slip into every token of the roles implying it, far outside its domain.
  if (prior.domain_id === NULL_DOMAIN && implied.domain_id !== NULL_DOMAIN) {
    throw forbidden('Global role cannot imply a domain-specific role');
  }
  await db
    .insertInto('implied_role')
    .values({ prior_role_id: priorId, implied_role_id: impliedId })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function checkImplication(db: DB, priorId: string, impliedId: string): Promise<void> {
  await getRole(db, priorId);
  await getRole(db, impliedId);
  const row = await db
    .selectFrom('implied_role')
    .select('prior_role_id')
    .where('prior_role_id', '=', priorId)
    .where('implied_role_id', '=', impliedId)
    .executeTakeFirst();
  if (!row) throw new NotFound(`${priorId} does not imply ${impliedId}.`);
}

export async function deleteImplication(db: DB, priorId: string, impliedId: string): Promise<void> {
  await checkImplication(db, priorId, impliedId);
  await db
    .deleteFrom('implied_role')
    .where('prior_role_id', '=', priorId)
    .where('implied_role_id', '=', impliedId)
    .execute();
}

/** All implication rules as prior → directly implied ids. */
export async function implicationMap(db: DB, priorIds?: string[]): Promise<Map<string, string[]>> {
  let q = db.selectFrom('implied_role').selectAll().orderBy('prior_role_id').orderBy('implied_role_id');
  if (priorIds) {
    if (!priorIds.length) return new Map();
    q = q.where('prior_role_id', 'in', priorIds);
  }
  const map = new Map<string, string[]>();
  for (const r of await q.execute()) map.set(r.prior_role_id, [...(map.get(r.prior_role_id) ?? []), r.implied_role_id]);
  return map;
}

/** Each role id with everything it implies, transitively (cycles tolerated). Returns, for each
 * reachable role, the role it was first reached from (null for the given ones). */
export function expandWith(rules: Map<string, string[]>, roleIds: string[]): Map<string, string | null> {
  const reached = new Map<string, string | null>(roleIds.map((id) => [id, null]));
  const queue = [...roleIds];
  while (queue.length) {
    const prior = queue.shift()!;
    for (const implied of rules.get(prior) ?? []) {
      if (reached.has(implied)) continue;
      reached.set(implied, prior);
      queue.push(implied);
    }
  }
  return reached;
}

/** Which of these roles are global. Domain-specific roles only confer the global roles they
 * imply: they appear in no token and in no effective assignment (Keystone strips them). */
export async function globalRoleIds(db: DB, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await db
    .selectFrom('role')
    .select('id')
    .where('id', 'in', ids)
    .where('domain_id', '=', NULL_DOMAIN)
    .execute();
  return new Set(rows.map((r) => r.id));
}

export async function expandImplied(db: DB, roleIds: string[]): Promise<Map<string, string | null>> {
  if (!roleIds.length) return new Map();
  return expandWith(await implicationMap(db), roleIds);
}
