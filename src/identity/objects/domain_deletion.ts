// Deleting a domain deletes everything in it. Apart from domain.ts because the projects, users
// and groups it removes look their domain up there: together they would import each other.
import type { Kysely } from 'kysely';
import { withTransaction } from '../../common/db/index.js';
import type { IdentityDB } from '../db/schema.js';
import { forbidden } from '../exceptions.js';
import { getDomain } from './domain.js';
import { deleteGroupRows } from './group.js';
import { deleteProjectRows } from './project.js';
import { revoke } from './revocation.js';
import { deleteUserRows } from './user.js';

/** Deletes a disabled domain and everything in it. */
export async function deleteDomain(db: Kysely<IdentityDB>, id: string): Promise<void> {
  const d = await getDomain(db, id);
  if (d.enabled === 1) throw forbidden('Cannot delete a domain that is enabled, please disable it first.');
  await withTransaction(db, async (trx) => {
    const projects = await trx.selectFrom('project').select('id').where('domain_id', '=', id).execute();
    await deleteProjectRows(
      trx,
      projects.map((p) => p.id),
    );
    const users = await trx.selectFrom('user').select('id').where('domain_id', '=', id).execute();
    await deleteUserRows(
      trx,
      users.map((u) => u.id),
    );
    const groups = await trx.selectFrom('group').select('id').where('domain_id', '=', id).execute();
    await deleteGroupRows(
      trx,
      groups.map((g) => g.id),
    );
    const roles = await trx.selectFrom('role').select('id').where('domain_id', '=', id).execute();
    if (roles.length) {
      const ids = roles.map((r) => r.id);
      await trx.deleteFrom('assignment').where('role_id', 'in', ids).execute();
      await trx
        .deleteFrom('implied_role')
        .where((eb) => eb.or([eb('prior_role_id', 'in', ids), eb('implied_role_id', 'in', ids)]))
        .execute();
      await trx.deleteFrom('application_credential_role').where('role_id', 'in', ids).execute();
      await trx.deleteFrom('role').where('id', 'in', ids).execute();
    }
    await trx.deleteFrom('assignment').where('target_id', '=', id).execute();
    await trx.deleteFrom('domain').where('id', '=', id).execute();
    await revoke(trx, { domain_id: id });
  });
}
