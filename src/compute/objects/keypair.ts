// Key pairs (Nova's KeyPairAPI and objects/keypair.py): a user's named public keys, imported or
// generated, counted against the key_pairs quota. They belong to users, not projects.
import type { Selectable } from 'kysely';
import type { Config } from '../../common/config.js';
import { uniqueViolation } from '../../common/db/index.js';
import { generateSshKeyPair, generateX509KeyPair, sshFingerprint, x509Fingerprint } from '../crypto.js';
import type { KeyPairsTable } from '../db/schema.js';
import {
  InvalidName,
  KeypairLimitExceeded,
  KeyPairExists,
  KeypairNotFound,
  MarkerNotFound,
  OverQuota,
} from '../exceptions.js';
import { now, type Db } from './flavor.js';
import { checkDeltas } from './quota.js';
import { isValidName, NAME_RULE } from './text.js';

export type KeypairType = 'ssh' | 'x509';
export type Keypair = Selectable<KeyPairsTable>;

const LETTERS_AND_DIGITS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Throws InvalidName unless `name` is a key pair name: a name (printable, no space at either
 * end) of the characters Nova allows, which 2.92 widened with '@' and '.'. */
export function checkKeypairName(name: string, widened: boolean): void {
  if (!isValidName(name)) throw new InvalidName(NAME_RULE);
  const safe = `${widened ? '@.' : ''}_- ${LETTERS_AND_DIGITS}`;
  if ([...name].some((ch) => !safe.includes(ch))) throw new InvalidName(`Only expected characters: [${safe}]`);
}

/** One page of a user's key pairs, by name, after the `marker` key pair. */
export async function listKeypairs(
  db: Db,
  userId: string,
  page: { limit?: number; marker?: string } = {},
): Promise<Keypair[]> {
  let q = db.selectFrom('key_pairs').selectAll().where('user_id', '=', userId).orderBy('name');
  if (page.marker !== undefined) {
    const marker = await db
      .selectFrom('key_pairs')
      .select('name')
      .where('user_id', '=', userId)
      .where('name', '=', page.marker)
      .executeTakeFirst();
    if (!marker) throw new MarkerNotFound(page.marker);
    q = q.where('name', '>', marker.name);
  }
  if (page.limit !== undefined) q = q.limit(page.limit);
  return q.execute();
}

export async function getKeypair(db: Db, userId: string, name: string): Promise<Keypair> {
  const row = await db
    .selectFrom('key_pairs')
    .selectAll()
    .where('user_id', '=', userId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw new KeypairNotFound(name, userId);
  return row;
}

export interface NewKeypair {
  userId: string;
  name: string;
  type: KeypairType;
  /** Imported when given, generated when not. */
  publicKey?: string;
  /** Whose quota it counts against (the project of the caller; the key pair's user). */
  projectId: string;
}

async function checkQuota(db: Db, config: Config, projectId: string, userId: string, delta: number): Promise<void> {
  try {
    await checkDeltas(db, config, { projectId, userId }, { key_pairs: delta });
  } catch (e) {
    if (e instanceof OverQuota) throw new KeypairLimitExceeded();
    throw e;
  }
}

/** Imports or generates a key pair; the private key is returned once, never kept. */
export async function createKeypair(
  db: Db,
  config: Config,
  k: NewKeypair,
): Promise<{ keypair: Keypair; privateKey?: string }> {
  await checkQuota(db, config, k.projectId, k.userId, 1);
  let generated: Awaited<ReturnType<typeof generateSshKeyPair>> | undefined;
  let publicKey = k.publicKey;
  if (publicKey === undefined) {
    generated = k.type === 'ssh' ? await generateSshKeyPair() : await generateX509KeyPair(k.userId);
    publicKey = generated.publicKey;
  }
  const fingerprint =
    generated?.fingerprint ?? (k.type === 'ssh' ? sshFingerprint(publicKey) : x509Fingerprint(publicKey));
  const row = {
    user_id: k.userId,
    name: k.name,
    fingerprint,
    public_key: publicKey,
    type: k.type,
    created_at: now(),
    updated_at: null,
  };
  let id: number;
  try {
    ({ id } = await db.insertInto('key_pairs').values(row).returning('id').executeTakeFirstOrThrow());
  } catch (e) {
    if (uniqueViolation(e)) throw new KeyPairExists(k.name);
    throw e;
  }
  // Two creates racing past the first check: the later one finds itself over and goes
  // (Nova's [quota] recheck_quota).
  try {
    await checkQuota(db, config, k.projectId, k.userId, 0);
  } catch (e) {
    await db.deleteFrom('key_pairs').where('id', '=', id).execute();
    throw e;
  }
  return { keypair: { ...row, id }, ...(generated ? { privateKey: generated.privateKey } : {}) };
}

export async function deleteKeypair(db: Db, userId: string, name: string): Promise<void> {
  const deleted = await db
    .deleteFrom('key_pairs')
    .where('user_id', '=', userId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (!Number(deleted.numDeletedRows)) throw new KeypairNotFound(name, userId);
}
