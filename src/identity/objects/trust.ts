// Trusts (Keystone's OS-TRUST): a trustor delegates some of its roles on a project to a trustee,
// who gets trust-scoped tokens with them (acting as the trustor when `impersonation`), for a
// number of tokens (`remaining_uses`) or until `expires_at`. A trust that allows redelegation may
// be passed on, by a token of it, to a further trust no wider than itself, down to
// [trust] max_redelegation_count links.
import type { Kysely } from 'kysely';
import type { Config } from '../../common/config.js';
import { uniqueViolation, withTransaction } from '../../common/db/index.js';
import type { IdentityDB, TrustTable } from '../db/schema.js';
import { conflict, forbidden, forbiddenAction, invalid, notFound } from '../exceptions.js';
import { newId, parseExpiry, parseJson, splitExtra } from './common.js';
import { effectiveRoleIds } from './assignment.js';
import { expandImplied, findRoleByName, globalRoleIds } from './role.js';
import { findUser, getUser, isUserEnabled } from './user.js';
import { getProject } from './project.js';

type DB = Kysely<IdentityDB>;

const COLUMNS = [
  'id',
  'trustor_user_id',
  'trustee_user_id',
  'project_id',
  'impersonation',
  'expires_at',
  'remaining_uses',
  'redelegated_trust_id',
  'redelegation_count',
  'allow_redelegation',
  'roles',
  'links',
] as const;

export interface TrustInput {
  trustor_user_id: string;
  trustee_user_id: string;
  impersonation: boolean;
  project_id?: string | null;
  remaining_uses?: number | null;
  expires_at?: string | null;
  allow_redelegation?: boolean | null;
  redelegation_count?: number | null;
  roles?: { id?: string; name?: string }[];
  [extra: string]: unknown;
}

/** A trust with the ids of the roles it delegates. */
export interface Trust extends TrustTable {
  roleIds: string[];
}

export type TrustRules = Pick<Config, 'trustMaxRedelegationCount'> & Parameters<typeof isUserEnabled>[1];

export function trustExtra(t: TrustTable): Record<string, unknown> {
  return parseJson<Record<string, unknown>>(t.extra, {});
}

async function withRoles(db: DB, t: TrustTable): Promise<Trust> {
  const roles = await db
    .selectFrom('trust_role')
    .select('role_id')
    .where('trust_id', '=', t.id)
    .orderBy('role_id')
    .execute();
  return { ...t, roleIds: roles.map((r) => r.role_id) };
}

const isExpired = (t: TrustTable) => t.expires_at !== null && Date.parse(t.expires_at) < Date.now();

/** A trust that is still in force (not expired), or undefined. */
async function inForce(db: DB, id: string): Promise<Trust | undefined> {
  const t = await db.selectFrom('trust').selectAll().where('id', '=', id).executeTakeFirst();
  return t && !isExpired(t) ? withRoles(db, t) : undefined;
}

/** Keystone's checks of a redelegated trust against the one it came from. */
function checkRedelegation(
  parent: Trust,
  child: Pick<Trust, 'remaining_uses' | 'expires_at' | 'roleIds' | 'impersonation'>,
  max: number,
): void {
  if (!(parent.redelegation_count > 0 && parent.redelegation_count <= max)) {
    throw forbidden(`Remaining redelegation depth of ${parent.redelegation_count} out of allowed range of [0..${max}]`);
  }
  if (child.remaining_uses !== null) {
    throw forbidden(
      `Field "remaining_uses" is set to ${child.remaining_uses} while it must not be set in order to redelegate a trust`,
    );
  }
  if (parent.expires_at && child.expires_at && Date.parse(parent.expires_at) < Date.parse(child.expires_at)) {
    throw forbidden('Requested expiration time is more than redelegated trust can provide');
  }
  if (!child.roleIds.every((r) => parent.roleIds.includes(r))) {
    throw forbidden('Some of requested roles are not in redelegated trust');
  }
  if (parent.impersonation !== 1 && child.impersonation === 1) {
    throw forbidden(
      `Impersonation is not allowed because redelegated trust does not specify impersonation. Redelegated trust id: ${parent.id}`,
    );
  }
}

/** The trust and those it was redelegated from, nearest first; undefined when a link is gone. */
async function pedigree(db: DB, t: Trust): Promise<Trust[] | undefined> {
  const chain = [t];
  for (let cur = t; cur.redelegated_trust_id;) {
    const parent = await inForce(db, cur.redelegated_trust_id);
    if (!parent || chain.some((c) => c.id === parent.id)) return undefined;
    chain.push(parent);
    cur = parent;
  }
  return chain;
}

/** A trust as tokens may use it: in force, and if redelegated, its whole chain still in order. */
export async function findValidTrust(db: DB, rules: TrustRules, id: string): Promise<Trust | undefined> {
  const t = await inForce(db, id);
  if (!t) return undefined;
  const chain = await pedigree(db, t);
  if (!chain) return undefined;
  for (let i = 1; i < chain.length; i++) {
    const parent = chain[i]!;
    try {
      checkRedelegation(parent, chain[i - 1]!, rules.trustMaxRedelegationCount);
    } catch {
      return undefined;
    }
    const trustee = await findUser(db, parent.trustee_user_id);
    if (!trustee || !isUserEnabled(trustee, rules)) return undefined;
  }
  return t;
}

/** GET /v3/OS-TRUST/trusts/{id}: a trust in force with uses left (404 otherwise). */
export async function getTrust(db: DB, rules: TrustRules, id: string): Promise<Trust> {
  const t = await findValidTrust(db, rules, id);
  if (!t || (t.remaining_uses !== null && t.remaining_uses <= 0)) throw notFound('trust', id);
  return t;
}

export async function listTrusts(db: DB, f: { trustorUserId?: string; trusteeUserId?: string }): Promise<TrustTable[]> {
  let q = db.selectFrom('trust').selectAll().orderBy('id');
  if (f.trustorUserId !== undefined) q = q.where('trustor_user_id', '=', f.trustorUserId);
  if (f.trusteeUserId !== undefined) q = q.where('trustee_user_id', '=', f.trusteeUserId);
  return q.execute();
}

/** The original trustor and project of a (possibly redelegated) trust: whose roles it hands on. */
async function origin(
  db: DB,
  t: Pick<Trust, 'trustor_user_id' | 'project_id' | 'redelegated_trust_id'>,
): Promise<{ trustorId: string; projectId: string | null }> {
  let cur = t;
  const seen = new Set<string>();
  while (cur.redelegated_trust_id && !seen.has(cur.redelegated_trust_id)) {
    seen.add(cur.redelegated_trust_id);
    const parent = await db
      .selectFrom('trust')
      .selectAll()
      .where('id', '=', cur.redelegated_trust_id)
      .executeTakeFirst();
    if (!parent) break;
    cur = parent;
  }
  return { trustorId: cur.trustor_user_id, projectId: cur.project_id };
}

/** The roles a trust-scoped token carries now: the delegated roles and those they imply, all of
 * which the original trustor must still hold on the project (else null: the trust is void), the
 * domain-specific ones left out. */
export async function trustTokenRoleIds(db: DB, t: Trust): Promise<string[] | null> {
  const { trustorId, projectId } = await origin(db, t);
  if (!projectId) return null;
  const held = new Set(await effectiveRoleIds(db, trustorId, 'project', projectId, { withDomainRoles: true }));
  const delegated = [...(await expandImplied(db, t.roleIds)).keys()];
  if (!delegated.every((r) => held.has(r))) return null;
  const global = await globalRoleIds(db, delegated);
  return delegated.filter((r) => global.has(r));
}

/** POST /v3/OS-TRUST/trusts by `callerUserId`; `source` is the trust of the caller's token when it
 * is trust-scoped (a redelegation). */
export async function createTrust(
  db: DB,
  rules: TrustRules,
  input: TrustInput,
  caller: { userId: string; source?: Trust },
): Promise<Trust> {
  if (input.project_id && !input.roles?.length) throw forbiddenAction('At least one role should be specified');
  if (caller.userId !== input.trustor_user_id) throw forbiddenAction('The authenticated user should match the trustor');
  await getUser(db, input.trustee_user_id);
  const roleIds: string[] = [];
  for (const ref of input.roles ?? []) {
    const id = ref.id ?? (await findRoleByName(db, ref.name!))?.id;
    if (!id) throw notFound('role', ref.name!);
    if (!roleIds.includes(id)) roleIds.push(id);
  }
  const draft = {
    trustor_user_id: input.trustor_user_id,
    project_id: input.project_id ?? null,
    redelegated_trust_id: caller.source?.id ?? null,
  };
  // The trustor must hold every delegated role (the original trustor, for a redelegation).
  const { trustorId, projectId } = await origin(db, draft);
  if (projectId) await getProject(db, projectId);
  const held = projectId ? await effectiveRoleIds(db, trustorId, 'project', projectId, { withDomainRoles: true }) : [];
  for (const id of roleIds) if (!held.includes(id)) throw notFound('role', id);

  const max = rules.trustMaxRedelegationCount;
  const requested = input.redelegation_count ?? null;
  const redelegatable = input.allow_redelegation === true && requested !== 0;
  let count: number | null = redelegatable ? requested : 0;
  if (redelegatable) {
    if (requested !== null && requested > max) {
      throw forbidden(`Requested redelegation depth of ${requested} is greater than allowed ${max}`);
    }
    if (input.remaining_uses != null) throw invalid('remaining_uses must not be set if redelegation is allowed');
  }
  const trust: Trust = {
    id: newId(),
    ...draft,
    trustee_user_id: input.trustee_user_id,
    impersonation: input.impersonation ? 1 : 0,
    expires_at: parseExpiry(input.expires_at),
    remaining_uses: input.remaining_uses ?? null,
    redelegation_count: 0,
    extra: JSON.stringify(splitExtra(input, COLUMNS)),
    roleIds,
  };
  if (caller.source) {
    const remaining = caller.source.redelegation_count - 1;
    if (redelegatable && requested && requested !== remaining) {
      throw forbidden(
        'Modifying "redelegation_count" upon redelegation is forbidden. Omitting this parameter is advised.',
      );
    }
    if (!redelegatable) count = 0;
    count ??= remaining;
    for (const link of (await pedigree(db, caller.source)) ?? []) {
      checkRedelegation(link, trust, max);
      trust.expires_at ??= link.expires_at;
    }
  }
  trust.redelegation_count = count ?? max;
  const { roleIds: _, ...row } = trust;
  try {
    await withTransaction(db, async (trx) => {
      await trx.insertInto('trust').values(row).execute();
      if (roleIds.length) {
        await trx
          .insertInto('trust_role')
          .values(roleIds.map((role_id) => ({ trust_id: trust.id, role_id })))
          .execute();
      }
    });
  } catch (e) {
    if (uniqueViolation(e)) throw conflict('trust', 'Duplicate entry');
    throw e;
  }
  return trust;
}

/** Counts one token issued with a trust of limited uses, by Keystone's optimistic update; false
 * when none is left (a concurrent issuer took the last). */
export async function consumeUse(db: DB, t: Trust): Promise<boolean> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const row = await db.selectFrom('trust').select('remaining_uses').where('id', '=', t.id).executeTakeFirst();
    if (!row) return false;
    if (row.remaining_uses === null) return true;
    if (row.remaining_uses <= 0) return false;
    const res = await db
      .updateTable('trust')
      .set({ remaining_uses: row.remaining_uses - 1 })
      .where('id', '=', t.id)
      .where('remaining_uses', '=', row.remaining_uses)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 1) return true;
  }
  return false;
}
