// What every identity handler and domain module is given.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import type { Engine } from '../common/db/index.js';
import type { Enforcer } from '../common/policy/index.js';
import type { IdentityDB } from './db/schema.js';
import type { TokenSigner } from './token/signer.js';
import type { CredentialKeys } from './objects/credential_keys.js';

export interface Identity {
  db: Kysely<IdentityDB>;
  engine: Engine;
  config: Config;
  policy: Enforcer;
  log: Logger;
  signer: TokenSigner;
  /** Seals and opens credential blobs. */
  credentialKeys: CredentialKeys;
}

/** Keystone's id for the domain `keystone-manage bootstrap` creates. */
export const DEFAULT_DOMAIN_ID = 'default';
