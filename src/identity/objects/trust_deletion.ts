// Deleting trusts, and finding those that go with users or projects being deleted. Apart from
// trust.ts, which looks users, projects and assignments up: their modules delete trusts through
// this one without importing trust.ts back.
import type { Kysely } from 'kysely';
import type { IdentityDB } from '../db/schema.js';

type DB = Kysely<IdentityDB>;

/** Deletes trusts and, recursively, those redelegated from them; their tokens stop validating. */
export async function deleteTrusts(db: DB, ids: string[]): Promise<void> {
  let level = ids;
  const all: string[] = [];
  while (level.length) {
    all.push(...level);
    level = (await db.selectFrom('trust').select('id').where('redelegated_trust_id', 'in', level).execute())
      .map((r) => r.id)
      .filter((id) => !all.includes(id));
  }
  if (all.length) await db.deleteFrom('trust').where('id', 'in', all).execute();
}

/** The trusts that go with users (as trustor or trustee) or projects being deleted. */
export async function trustsOf(db: DB, f: { userIds?: string[]; projectIds?: string[] }): Promise<string[]> {
  const users = f.userIds ?? [];
  const projects = f.projectIds ?? [];
  if (!users.length && !projects.length) return [];
  const rows = await db
    .selectFrom('trust')
    .select('id')
    .where((eb) =>
      eb.or([
        ...(users.length ? [eb('trustor_user_id', 'in', users), eb('trustee_user_id', 'in', users)] : []),
        ...(projects.length ? [eb('project_id', 'in', projects)] : []),
      ]),
    )
    .execute();
  return rows.map((r) => r.id);
}
