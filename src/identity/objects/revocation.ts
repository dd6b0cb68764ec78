// Persisted token revocations. Each event names one thing (a token's audit id, a user, a project or
// a domain) and kills every token for it issued up to the moment of revocation; tokens issued
// later are unaffected, so a user whose password changed can log in again at once.
import type { Kysely } from 'kysely';
import type { IdentityDB } from '../db/schema.js';
import { now } from '../../common/time.js';

type DB = Kysely<IdentityDB>;

export type RevocationTarget =
  { audit_id: string } | { user_id: string } | { project_id: string } | { domain_id: string };

export async function revoke(db: DB, target: RevocationTarget): Promise<void> {
  const t = now();
  await db
    .insertInto('revocation_event')
    .values({
      audit_id: null,
      user_id: null,
      project_id: null,
      domain_id: null,
      ...target,
      issued_before: t,
      revoked_at: t,
    })
    .execute();
}

export interface RevocableToken {
  auditId: string;
  /** The token's user, and a trust-scoped token's trustor: revoking either revokes it. */
  userIds: string[];
  /** ISO timestamp with millisecond precision. */
  issuedAt: string;
  projectId?: string | null;
  /** The user's domain, the scoped project's domain, the scoped domain. */
  domainIds: string[];
}

export async function isRevoked(db: DB, t: RevocableToken): Promise<boolean> {
  const hit = await db
    .selectFrom('revocation_event')
    .select('id')
    .where('issued_before', '>=', t.issuedAt)
    .where((eb) =>
      eb.or([
        eb('audit_id', '=', t.auditId),
        eb('user_id', 'in', t.userIds),
        ...(t.projectId ? [eb('project_id', '=', t.projectId)] : []),
        ...(t.domainIds.length ? [eb('domain_id', 'in', t.domainIds)] : []),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  return hit !== undefined;
}

/** Events older than the longest a token can live can never match again. */
export async function pruneRevocations(db: DB, maxTokenLifetimeSeconds: number): Promise<void> {
  const cutoff = new Date(Date.now() - (maxTokenLifetimeSeconds + 60) * 1000).toISOString();
  await db.deleteFrom('revocation_event').where('revoked_at', '<', cutoff).execute();
}
