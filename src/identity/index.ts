// Builds an identity service instance: database opened and migrated, token keys loaded. The
// service's public face for the rest of concord is re-exported here.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import { openDatabase, migrate, type Exclusive } from '../common/db/index.js';
import type { Enforcer } from '../common/policy/index.js';
import type { IdentityDB } from './db/schema.js';
import { identityMigrations } from './db/migrations.js';
import { pruneRevocations } from './objects/revocation.js';
import { TokenSigner } from './token/signer.js';
import { CredentialKeys } from './objects/credential_keys.js';
import type { Identity } from './context.js';

export interface IdentityInstance extends Identity {
  /** The database's lock between processes (the bootstrap takes it). */
  exclusive: Exclusive;
  close(): Promise<void>;
}

export async function createIdentity(opts: {
  config: Config;
  dataDir: string;
  log: Logger;
  policy: Enforcer;
}): Promise<IdentityInstance> {
  const { config, dataDir } = opts;
  const url = config.identityDatabaseConnection || config.databaseConnection || join(dataDir, 'identity.sqlite');
  const database = openDatabase<IdentityDB>(url);
  const { db, engine, exclusive, close } = database;
  await migrate(database, identityMigrations(engine), 'identity');
  await pruneRevocations(db, config.tokenExpiration);
  const signer = TokenSigner.load(
    config.jwsPrivateKeyRepository || join(dataDir, 'jws-keys', 'private'),
    config.jwsPublicKeyRepository || join(dataDir, 'jws-keys', 'public'),
  );
  const credentialKeys = CredentialKeys.load(config.credentialKeyRepository || join(dataDir, 'credential-keys'));
  return { db, engine, config, policy: opts.policy, log: opts.log, signer, credentialKeys, exclusive, close };
}

export type { Identity } from './context.js';
export { identityPlugin } from './service.js';
export { formatKeystoneError } from './errors.js';
export { bootstrapIdentity, type BootstrapOptions, type ServiceSpec } from './bootstrap.js';
// Kept here too for services written against identity's exports; the layer itself is common.
export { keystoneAuthenticator, type KeystoneAuthOptions } from '../common/http/keystone.js';
export { IDENTITY_RULES, identityEnforcer, type PolicyRule } from './policies.js';
export { TokenVerifier, loadPublicKeys } from './token/signer.js';
