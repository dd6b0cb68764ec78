// Credentials: blobs a user keeps with identity (Keystone's /v3/credentials), among them the EC2
// ones (an access and a secret key for S3/EC2-style signing, also reachable as
// /v3/users/{id}/credentials/OS-EC2). Blobs are opaque strings, encrypted at rest; an EC2
// credential's blob is JSON with `access` and `secret`, and its id is the SHA-256 of the access
// key, so that a signature naming the access key finds it.
import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CredentialTable, IdentityDB } from '../db/schema.js';
import { conflict, expecting, forbidden, invalid, notFound } from '../exceptions.js';
import { newId, parseJson, splitExtra } from './common.js';
import { uniqueViolation } from '../../common/db/index.js';
import type { CredentialKeys } from './credential_keys.js';

type DB = Kysely<IdentityDB>;

export const EC2 = 'ec2';
const COLUMNS = ['id', 'user_id', 'project_id', 'type', 'blob', 'links'] as const;
/** What ties an EC2 credential to how it was made; Keystone lets none of them change. */
const EC2_SCOPE_KEYS = ['trust_id', 'app_cred_id', 'access_token_id', 'access_id'];

export interface CredentialInput {
  blob?: string;
  type?: string;
  user_id?: string;
  project_id?: string | null;
  [extra: string]: unknown;
}

/** What creating a credential needs (the schema makes these present). */
export type NewCredential = CredentialInput & { blob: string; type: string; user_id: string };

export interface Credential {
  id: string;
  user_id: string;
  project_id: string | null;
  type: string;
  blob: string;
  extra: Record<string, unknown>;
}

/** Keystone's id of an EC2 credential. */
export function ec2CredentialId(access: string): string {
  return createHash('sha256').update(access, 'utf8').digest('hex');
}

/** An EC2 blob as an object with an access key (400 otherwise, worded as Keystone). */
function ec2Blob(blob: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(blob);
  } catch {
    throw invalid('Invalid blob in credential');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw expecting('blob', 'credential');
  const b = parsed as Record<string, unknown>;
  if (b.access === undefined || b.access === null) throw expecting('access', 'credential');
  return b;
}

function decode(keys: CredentialKeys, row: CredentialTable): Credential {
  return {
    id: row.id,
    user_id: row.user_id,
    project_id: row.project_id,
    type: row.type,
    blob: keys.open(row.encrypted_blob, row.key_hash),
    extra: parseJson<Record<string, unknown>>(row.extra, {}),
  };
}

/** What a new EC2 credential is bound to: the application credential or trust of the token it was
 * made with, so that a token it is later exchanged for carries no more than that token did
 * (Keystone's fix of CVE-2020-12689: otherwise a delegation could mint itself the user's full roles). */
export interface Ec2Binding {
  appCredId?: string;
  trustId?: string;
}

/** The EC2 blob with the binding written into it (the binding wins over what the blob says). */
function boundBlob(blob: Record<string, unknown>, binding: Ec2Binding): Record<string, unknown> {
  return {
    ...blob,
    ...(binding.appCredId ? { app_cred_id: binding.appCredId } : {}),
    ...(binding.trustId ? { trust_id: binding.trustId } : {}),
  };
}

export async function createCredential(
  db: DB,
  keys: CredentialKeys,
  input: NewCredential,
  userLimit: number,
  binding: Ec2Binding = {},
): Promise<Credential> {
  const ec2 = input.type.toLowerCase() === EC2 ? ec2Blob(input.blob) : null;
  const id = ec2 ? ec2CredentialId(String(ec2.access)) : newId();
  const blob = ec2 && (binding.appCredId || binding.trustId) ? JSON.stringify(boundBlob(ec2, binding)) : input.blob;
  const held = await db
    .selectFrom('credential')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', input.user_id)
    .executeTakeFirst();
  if (Number(held?.n ?? 0) >= userLimit) {
    throw forbidden(`Unable to create additional credentials, maximum of ${userLimit} already exceeded for user.`);
  }
  const c: Credential = {
    id,
    user_id: input.user_id,
    project_id: input.project_id ?? null,
    type: input.type,
    blob,
    extra: splitExtra(input, COLUMNS),
  };
  try {
    await db
      .insertInto('credential')
      .values({
        id,
        user_id: c.user_id,
        project_id: c.project_id,
        type: c.type,
        encrypted_blob: keys.seal(c.blob),
        key_hash: keys.keyHash,
        extra: JSON.stringify(c.extra),
      })
      .execute();
  } catch (e) {
    if (uniqueViolation(e)) throw conflict('credential', `Duplicate ID, ${id}`);
    throw e;
  }
  return c;
}

export async function findCredential(db: DB, keys: CredentialKeys, id: string): Promise<Credential | undefined> {
  const row = await db.selectFrom('credential').selectAll().where('id', '=', id).executeTakeFirst();
  return row && decode(keys, row);
}

export async function getCredential(db: DB, keys: CredentialKeys, id: string): Promise<Credential> {
  const c = await findCredential(db, keys, id);
  if (!c) throw notFound('credential', id);
  return c;
}

export async function listCredentials(
  db: DB,
  keys: CredentialKeys,
  f: { user_id?: string; type?: string },
): Promise<Credential[]> {
  let q = db.selectFrom('credential').selectAll();
  if (f.user_id !== undefined) q = q.where('user_id', '=', f.user_id);
  if (f.type !== undefined) q = q.where('type', '=', f.type);
  return (await q.orderBy('id').execute()).map((r) => decode(keys, r));
}

/** The credential as `input` would make it, checked as Keystone checks an update (the caller
 * authorizes that result before `saveCredential`). */
export function updatedCredential(c: Credential, input: CredentialInput): Credential {
  if (input.id !== undefined && input.id !== c.id) throw invalid('Cannot change credential ID');
  const next: Credential = {
    ...c,
    user_id: input.user_id ?? c.user_id,
    project_id: input.project_id !== undefined ? input.project_id : c.project_id,
    type: input.type ?? c.type,
    blob: input.blob ?? c.blob,
    extra: { ...c.extra, ...splitExtra(input, [...COLUMNS]) },
  };
  if (c.type.toLowerCase() === EC2 || next.type.toLowerCase() === EC2) {
    const before = c.type.toLowerCase() === EC2 ? parseJson<Record<string, unknown>>(c.blob, {}) : {};
    const after = ec2Blob(next.blob);
    for (const key of EC2_SCOPE_KEYS) {
      if ((before[key] ?? null) !== (after[key] ?? null)) throw invalid(`${key} can not be updated for credential`);
    }
  }
  return next;
}

export async function saveCredential(db: DB, keys: CredentialKeys, next: Credential): Promise<Credential> {
  const id = next.id;
  await db
    .updateTable('credential')
    .set({
      user_id: next.user_id,
      project_id: next.project_id,
      type: next.type,
      encrypted_blob: keys.seal(next.blob),
      key_hash: keys.keyHash,
      extra: JSON.stringify(next.extra),
    })
    .where('id', '=', id)
    .execute();
  return next;
}

export async function deleteCredential(db: DB, id: string): Promise<void> {
  const res = await db.deleteFrom('credential').where('id', '=', id).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw notFound('credential', id);
}

/** A new EC2 credential for a user on a project: random access and secret keys. */
export async function createEc2Credential(
  db: DB,
  keys: CredentialKeys,
  userId: string,
  projectId: string,
  userLimit: number,
  binding: Ec2Binding = {},
): Promise<Credential> {
  const hex = () => randomUUID().replace(/-/g, '');
  const blob = JSON.stringify(boundBlob({ access: hex(), secret: hex(), trust_id: null }, binding));
  return createCredential(db, keys, { user_id: userId, project_id: projectId, type: EC2, blob }, userLimit);
}
