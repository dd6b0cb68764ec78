// Traits: the standard ones (os-traits, seeded at startup) and CUSTOM_* ones.
import type { Kysely } from 'kysely';
import type { PlacementDB } from '../db/schema.js';
import STANDARD from '../data/standard-traits.json' with { type: 'json' };
import { now } from '../http.js';

export const STANDARD_TRAITS: readonly string[] = STANDARD;

/** Inserts the standard traits that are missing. */
export async function syncStandardTraits(db: Kysely<PlacementDB>): Promise<void> {
  const have = new Set((await db.selectFrom('traits').select('name').execute()).map((r) => r.name));
  const missing = STANDARD_TRAITS.filter((t) => !have.has(t));
  const ts = now();
  for (let i = 0; i < missing.length; i += 200) {
    await db.insertInto('traits')
      .values(missing.slice(i, i + 200).map((name) => ({ name, created_at: ts, updated_at: null }))).execute();
  }
}
