// Resource provider lookups and the generation compare-and-swap that every provider-changing
// write goes through (optimistic concurrency, as upstream).
import type { Kysely, Transaction } from 'kysely';
import { HttpError, notFound } from '../../common/http/errors.js';
import type { PlacementDB } from '../db/schema.js';
import { CONCURRENT_UPDATE } from '../errors.js';
import { now } from '../http.js';

export interface ResourceProvider {
  id: number;
  uuid: string;
  name: string;
  generation: number;
  root_provider_id: number | null;
  parent_provider_id: number | null;
  root_provider_uuid: string;
  parent_provider_uuid: string | null;
  created_at: string;
  updated_at: string | null;
}

type Db = Kysely<PlacementDB> | Transaction<PlacementDB>;

/** Thrown when a provider's generation moved under us; handlers word the 409 their own way. */
export class ProviderConcurrentUpdate extends HttpError {
  constructor(message = 'Another thread concurrently updated the resource provider data. Please retry your update') {
    super(409, message, CONCURRENT_UPDATE);
  }
}

function providerQuery(db: Db) {
  return db.selectFrom('resource_providers as rp')
    .leftJoin('resource_providers as root', 'root.id', 'rp.root_provider_id')
    .leftJoin('resource_providers as parent', 'parent.id', 'rp.parent_provider_id')
    .select([
      'rp.id', 'rp.uuid', 'rp.name', 'rp.generation', 'rp.root_provider_id', 'rp.parent_provider_id',
      'rp.created_at', 'rp.updated_at', 'root.uuid as root_provider_uuid', 'parent.uuid as parent_provider_uuid',
    ]);
}

function fix(row: Record<string, unknown> | undefined): ResourceProvider | undefined {
  if (!row) return undefined;
  const rp = row as unknown as ResourceProvider;
  return { ...rp, root_provider_uuid: rp.root_provider_uuid ?? rp.uuid };
}

export async function findProvider(db: Db, uuid: string): Promise<ResourceProvider | undefined> {
  return fix(await providerQuery(db).where('rp.uuid', '=', uuid).executeTakeFirst());
}

export async function findProviderById(db: Db, id: number): Promise<ResourceProvider | undefined> {
  return fix(await providerQuery(db).where('rp.id', '=', id).executeTakeFirst());
}

/** The provider, or 404 "No resource provider with uuid X found". */
export async function getProvider(db: Db, uuid: string): Promise<ResourceProvider> {
  const rp = await findProvider(db, uuid);
  if (!rp) throw notFound(`No resource provider with uuid ${uuid} found`, 'placement.resource_provider.not_found');
  return rp;
}

/** Bumps the generation iff it is still `expected`; returns the new generation or throws
 * ProviderConcurrentUpdate. Inside a transaction this also serialises concurrent writers of the
 * same provider (the row lock on PostgreSQL, the single writer on SQLite). */
export async function incrementGeneration(db: Db, id: number, expected: number,
  error: () => HttpError = () => new ProviderConcurrentUpdate()): Promise<number> {
  const res = await db.updateTable('resource_providers')
    .set({ generation: expected + 1, updated_at: now() })
    .where('id', '=', id).where('generation', '=', expected)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw error();
  return expected + 1;
}
