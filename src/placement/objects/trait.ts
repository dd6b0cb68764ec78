// Traits: the standard ones (os-traits, seeded at startup), CUSTOM_* ones, and which providers
// have which.
import type { Kysely } from 'kysely';
import type { PlacementDB } from '../db/schema.js';
import STANDARD from '../data/standard-traits.json' with { type: 'json' };
import { NotFound, PlacementException } from '../exceptions.js';
import { now } from '../../common/time.js';
import { retryTransient, withTransaction, type Engine } from '../../common/db/index.js';
import { claimProvider, type Db, type ProviderRef } from './resource_provider.js';
import { setTraitsAtOnce } from './single_statement.js';

export const STANDARD_TRAITS: readonly string[] = STANDARD;
export const CUSTOM_PREFIX = 'CUSTOM_';

export interface Trait {
  id: number;
  name: string;
  created_at: string;
  updated_at: string | null;
}

export class TraitCannotDeleteStandard extends PlacementException {
  constructor(name: string) {
    super(`Cannot delete standard trait ${name}.`);
  }
}
export class TraitInUse extends PlacementException {
  constructor(name: string) {
    super(`The trait ${name} is in use by a resource provider.`);
  }
}

/** Inserts the standard traits that are missing. */
export async function syncStandardTraits(db: Kysely<PlacementDB>): Promise<void> {
  const have = new Set((await db.selectFrom('traits').select('name').execute()).map((r) => r.name));
  const missing = STANDARD_TRAITS.filter((t) => !have.has(t));
  const ts = now();
  for (let i = 0; i < missing.length; i += 200) {
    await db
      .insertInto('traits')
      .values(missing.slice(i, i + 200).map((name) => ({ name, created_at: ts, updated_at: null })))
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }
}

export interface TraitFilters {
  nameIn?: string[];
  prefix?: string;
  associated?: boolean;
}

export async function listTraits(db: Db, f: TraitFilters = {}): Promise<Trait[]> {
  let q = db.selectFrom('traits').selectAll();
  if (f.nameIn) {
    if (!f.nameIn.length) return [];
    q = q.where('name', 'in', f.nameIn);
  }
  if (f.prefix !== undefined) {
    // Compared exactly rather than with LIKE, whose wildcards (_ in CUSTOM_) would match more.
    q = q.where((eb) => eb.fn('substr', ['name', eb.lit(1), eb.lit(f.prefix!.length)]), '=', f.prefix);
  }
  if (f.associated !== undefined) {
    const linked = db.selectFrom('resource_provider_traits').select('trait_id');
    q = q.where('id', f.associated ? 'in' : 'not in', linked);
  }
  return q.orderBy('name').execute();
}

export async function findTrait(db: Db, name: string): Promise<Trait | undefined> {
  return db.selectFrom('traits').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Creates a custom trait; returns it and whether it was created (false: it existed). */
export async function ensureTrait(db: Kysely<PlacementDB>, name: string): Promise<{ trait: Trait; created: boolean }> {
  const existing = await findTrait(db, name);
  if (existing) return { trait: existing, created: false };
  const created = await withTransaction(db, async (trx) => {
    const row = await trx
      .insertInto('traits')
      .values({ name, created_at: now(), updated_at: null })
      .onConflict((oc) => oc.column('name').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row;
  });
  // A concurrent request that created the same trait first wins; ours is then a no-op.
  return created ? { trait: created, created: true } : { trait: (await findTrait(db, name))!, created: false };
}

export async function deleteTrait(db: Kysely<PlacementDB>, name: string): Promise<void> {
  await withTransaction(db, async (trx) => {
    const trait = await findTrait(trx, name);
    if (!trait) throw new NotFound(`No such trait(s): ${name}.`);
    if (!name.startsWith(CUSTOM_PREFIX)) throw new TraitCannotDeleteStandard(name);
    const used = await trx
      .selectFrom('resource_provider_traits')
      .select('trait_id')
      .where('trait_id', '=', trait.id)
      .limit(1)
      .executeTakeFirst();
    if (used) throw new TraitInUse(name);
    await trx.deleteFrom('traits').where('id', '=', trait.id).execute();
  });
}

export async function providerTraits(db: Db, rp: { id: number }): Promise<Trait[]> {
  return db
    .selectFrom('resource_provider_traits as rpt')
    .innerJoin('traits as t', 't.id', 'rpt.trait_id')
    .select(['t.id', 't.name', 't.created_at', 't.updated_at'])
    .where('rpt.resource_provider_id', '=', rp.id)
    .orderBy('t.name')
    .execute();
}

/** Names given for a provider's traits that are no traits. */
export class MissingTraits extends PlacementException {
  constructor(readonly names: string[]) {
    super(`No such trait ${names.join(', ')}`);
  }
}

/** Rolls back a write that turned out to change nothing. */
class Unchanged extends Error {}

/** Replaces the traits of provider `uuid`, written against its generation `expected`, which
 * moves only when something changed (as upstream). Returns the provider's generation and the
 * traits; throws NotFound, GenerationMismatch, MissingTraits. */
export async function setProviderTraits(
  db: Kysely<PlacementDB>,
  engine: Engine,
  uuid: string,
  expected: number,
  names: string[],
): Promise<{ generation: number; traits: Trait[] }> {
  const done = engine === 'postgres' ? await retryTransient(() => setTraitsAtOnce(db, uuid, expected, names)) : null;
  if (done) return done;
  let traits: Trait[] = [];
  try {
    return await withTransaction(db, async (trx) => {
      const rp = await claimProvider(trx, uuid, expected);
      traits = await listTraits(trx, { nameIn: names });
      const known = new Set(traits.map((t) => t.name));
      const missing = [...new Set(names)].filter((t) => !known.has(t));
      if (missing.length) throw new MissingTraits(missing);
      await replaceTraits(trx, rp, traits);
      return { generation: rp.generation, traits };
    });
  } catch (e) {
    // Nothing changed: the claim (and its generation bump) is rolled back with the rest.
    if (e instanceof Unchanged) return { generation: expected, traits };
    throw e;
  }
}

async function replaceTraits(trx: Db, rp: ProviderRef, traits: Trait[]): Promise<void> {
  const have = new Set((await providerTraits(trx, rp)).map((t) => t.id));
  const want = new Set(traits.map((t) => t.id));
  const toAdd = [...want].filter((id) => !have.has(id));
  const toDelete = [...have].filter((id) => !want.has(id));
  if (!toAdd.length && !toDelete.length) throw new Unchanged();
  if (toDelete.length) {
    await trx
      .deleteFrom('resource_provider_traits')
      .where('resource_provider_id', '=', rp.id)
      .where('trait_id', 'in', toDelete)
      .execute();
  }
  if (toAdd.length) {
    const ts = now();
    await trx
      .insertInto('resource_provider_traits')
      .values(toAdd.map((trait_id) => ({ resource_provider_id: rp.id, trait_id, created_at: ts })))
      .onConflict((oc) => oc.columns(['resource_provider_id', 'trait_id']).doNothing())
      .execute();
  }
}
