// Provider aggregates: sets of providers named by a UUID. An aggregate exists as soon as a
// provider is put in it, and sharing providers (MISC_SHARES_VIA_AGGREGATE) share with the
// other members of their aggregates.
import type { Kysely } from 'kysely';
import type { PlacementDB } from '../db/schema.js';
import { now } from '../../common/time.js';
import { claimProvider, getProvider, type Db, type ProviderRef } from './resource_provider.js';
import type { ExternalIdScope, ExternalIds } from './consumer.js';
import { retryTransient, withTransaction, type Engine } from '../../common/db/index.js';
import { setAggregatesAtOnce } from './single_statement.js';

export async function providerAggregates(db: Db, rp: { id: number }): Promise<string[]> {
  const rows = await db
    .selectFrom('resource_provider_aggregates as rpa')
    .innerJoin('placement_aggregates as a', 'a.id', 'rpa.aggregate_id')
    .select('a.uuid')
    .where('rpa.resource_provider_id', '=', rp.id)
    .orderBy('a.id')
    .execute();
  return rows.map((r) => r.uuid);
}

/** Ids of the aggregates among these UUIDs that exist. Aggregates are never deleted, so ids
 * already seen are remembered (`known`). */
async function findAggregates(db: Db, known: ExternalIdScope, uuids: string[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const u of uuids) {
    const id = known.get(`aggregates:${u}`);
    if (id !== undefined) ids.set(u, id);
  }
  const unknown = uuids.filter((u) => !ids.has(u));
  if (unknown.length) {
    for (const r of await db
      .selectFrom('placement_aggregates')
      .select(['id', 'uuid'])
      .where('uuid', 'in', unknown)
      .execute()) {
      ids.set(r.uuid, r.id);
    }
  }
  for (const [u, id] of ids) known.set(`aggregates:${u}`, id);
  return ids;
}

/** Aggregate ids for these UUIDs, creating the aggregates that do not exist yet (inside the
 * caller's transaction: a write that fails leaves no aggregate behind). */
async function ensureAggregates(trx: Db, known: ExternalIdScope, uuids: string[]): Promise<Map<string, number>> {
  const ids = await findAggregates(trx, known, uuids);
  const missing = uuids.filter((u) => !ids.has(u));
  if (missing.length) {
    const ts = now();
    await trx
      .insertInto('placement_aggregates')
      .values(missing.map((uuid) => ({ uuid, created_at: ts, updated_at: null })))
      .onConflict((oc) => oc.column('uuid').doNothing())
      .execute();
    for (const [u, id] of await findAggregates(trx, known, missing)) ids.set(u, id);
  }
  return ids;
}

/** Makes provider `uuid` a member of exactly these aggregates. Since 1.19 this is a change
 * written against the provider's generation `expected`; before (expected null), it leaves the
 * generation alone (as upstream). Returns the provider as it now is. */
export async function setProviderAggregates(
  db: Kysely<PlacementDB>,
  engine: Engine,
  known: ExternalIds,
  uuid: string,
  uuids: string[],
  expected: number | null,
): Promise<ProviderRef> {
  if (engine === 'postgres' && expected !== null) {
    // One statement when every aggregate exists already (the usual case: compute nodes join
    // aggregates that others are in); a new aggregate is created in the general path's
    // transaction, so that a failed write leaves none behind.
    const wanted = [...new Set(uuids)];
    const scope = known.begin();
    const ids = await findAggregates(db, scope, wanted);
    scope.commit();
    if (ids.size === wanted.length) {
      const done = await retryTransient(() => setAggregatesAtOnce(db, uuid, expected, [...ids.values()]));
      if (done) return done;
    }
  }
  const { rp, scope } = await withTransaction(db, async (trx) => {
    // A scope of each attempt's own: ids learnt in a rolled-back one do not exist.
    const scope = known.begin();
    const rp = expected === null ? await getProvider(trx, uuid) : await claimProvider(trx, uuid, expected);
    const current = await trx
      .selectFrom('resource_provider_aggregates as rpa')
      .innerJoin('placement_aggregates as a', 'a.id', 'rpa.aggregate_id')
      .select(['a.id', 'a.uuid'])
      .where('rpa.resource_provider_id', '=', rp.id)
      .execute();
    const want = new Set(uuids);
    const have = new Set(current.map((r) => r.uuid));
    const toDelete = current.filter((r) => !want.has(r.uuid)).map((r) => r.id);
    const ids = await ensureAggregates(
      trx,
      scope,
      [...want].filter((u) => !have.has(u)),
    );
    if (ids.size) {
      const ts = now();
      await trx
        .insertInto('resource_provider_aggregates')
        .values(
          [...ids.values()].map((aggregate_id) => ({ resource_provider_id: rp.id, aggregate_id, created_at: ts })),
        )
        .onConflict((oc) => oc.columns(['resource_provider_id', 'aggregate_id']).doNothing())
        .execute();
    }
    if (toDelete.length) {
      await trx
        .deleteFrom('resource_provider_aggregates')
        .where('resource_provider_id', '=', rp.id)
        .where('aggregate_id', 'in', toDelete)
        .execute();
    }
    return { rp, scope };
  });
  scope.commit();
  return rp;
}
