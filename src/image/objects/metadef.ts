// What the metadata definition modules share: the database handle they take (a transaction or
// not), and turning a unique-constraint violation into Glance's 409 for the name that is taken.
import type { Kysely, Transaction } from 'kysely';
import { uniqueViolation } from '../../common/db/index.js';
import type { ImageDB } from '../db/schema.js';
import { Conflict } from '../exceptions.js';

export type MetadefDB = Kysely<ImageDB> | Transaction<ImageDB>;

/** Runs a write; a unique violation is the 409 `message`. */
export async function unique<T>(write: Promise<T>, message: string): Promise<T> {
  try {
    return await write;
  } catch (e) {
    if (uniqueViolation(e)) throw new Conflict(message);
    throw e;
  }
}
