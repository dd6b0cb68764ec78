// A flavor's extra specs: key/value pairs for the scheduler and the virt driver (resources:*,
// trait:*, hw:* ...; which ones are valid is extra_specs/'s business).
import { foreignKeyViolation, withTransaction } from '../../common/db/index.js';
import { FlavorExtraSpecsNotFound, FlavorNotFound } from '../exceptions.js';
import { now, type Db, type Flavor } from './flavor.js';

/** Adds or replaces extra specs of a flavor, all at once. */
export async function setExtraSpecs(db: Db, flavor: Flavor, specs: Record<string, string>): Promise<void> {
  const ts = now();
  await withTransaction(db, async (trx) => {
    for (const [key, value] of Object.entries(specs)) {
      await trx
        .insertInto('flavor_extra_specs')
        .values({ flavor_id: flavor.id, key, value, created_at: ts, updated_at: null })
        .onConflict((oc) => oc.columns(['flavor_id', 'key']).doUpdateSet({ value, updated_at: ts }))
        .execute();
    }
  }).catch((e: unknown) => {
    // The flavor went away meanwhile.
    if (foreignKeyViolation(e)) throw new FlavorNotFound(flavor.flavorid);
    throw e;
  });
}

export async function deleteExtraSpec(db: Db, flavor: Flavor, key: string): Promise<void> {
  const deleted = await db
    .deleteFrom('flavor_extra_specs')
    .where('flavor_id', '=', flavor.id)
    .where('key', '=', key)
    .executeTakeFirst();
  if (!Number(deleted.numDeletedRows)) throw new FlavorExtraSpecsNotFound(flavor.flavorid, key);
}
