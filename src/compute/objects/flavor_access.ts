// Who may use a private flavor: the projects on its access list (Nova's flavor_projects).
import { foreignKeyViolation, uniqueViolation } from '../../common/db/index.js';
import { FlavorAccessExists, FlavorAccessNotFound, FlavorNotFound } from '../exceptions.js';
import { now, type Db, type Flavor } from './flavor.js';

/** The projects given access to a (private) flavor. */
export async function flavorProjects(db: Db, flavor: Flavor): Promise<string[]> {
  return (
    await db
      .selectFrom('flavor_projects')
      .select('project_id')
      .where('flavor_id', '=', flavor.id)
      .orderBy('id')
      .execute()
  ).map((r) => r.project_id);
}

export async function addFlavorAccess(db: Db, flavor: Flavor, projectId: string): Promise<void> {
  try {
    await db
      .insertInto('flavor_projects')
      .values({ flavor_id: flavor.id, project_id: projectId, created_at: now(), updated_at: null })
      .execute();
  } catch (e) {
    if (uniqueViolation(e)) throw new FlavorAccessExists(flavor.flavorid, projectId);
    if (foreignKeyViolation(e)) throw new FlavorNotFound(flavor.flavorid);
    throw e;
  }
}

export async function removeFlavorAccess(db: Db, flavor: Flavor, projectId: string): Promise<void> {
  const deleted = await db
    .deleteFrom('flavor_projects')
    .where('flavor_id', '=', flavor.id)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  if (!Number(deleted.numDeletedRows)) throw new FlavorAccessNotFound(flavor.flavorid, projectId);
}
