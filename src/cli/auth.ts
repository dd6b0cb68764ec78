// How `concord serve SERVICE` authenticates requests: keystone (tokens validated by an identity
// service over HTTP, as keystonemiddleware does) or noauth2 (upstream's test mode, for the
// conformance suites and benchmarks). Unless told, keystone when [keystone_authtoken] auth_url
// says where identity is, and noauth2 with a warning otherwise.
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import { noauth2, type Authenticator } from '../common/http/auth.js';
import { credentialsFromConfig, httpTransport, keystoneAuthenticator } from '../common/http/keystone.js';
import { loadPublicKeys, TokenVerifier } from '../identity/token/signer.js';

export const AUTH_STRATEGIES = ['keystone', 'noauth2'] as const;
export type AuthStrategy = (typeof AUTH_STRATEGIES)[number];

export function chooseAuthStrategy(config: Config, log: Logger): AuthStrategy {
  const asked = config.authStrategy;
  if (asked !== '') {
    if (!(AUTH_STRATEGIES as readonly string[]).includes(asked)) {
      throw new Error(`auth strategy ${asked} is unknown (use one of: ${AUTH_STRATEGIES.join(', ')})`);
    }
    return asked as AuthStrategy;
  }
  if (config.keystoneAuthUrl) return 'keystone';
  log.warn('[keystone_authtoken] auth_url is not set: serving with auth_strategy noauth2, which trusts '
    + 'any token (test mode); set auth_url, or pass --auth-strategy noauth2 to say this is meant');
  return 'noauth2';
}

/** How `concord serve` authenticates a service's requests; `serviceType` is its catalog type,
 * which application credential access rules name. */
export function serviceAuthenticator(config: Config, strategy: AuthStrategy, serviceType: string): Authenticator {
  if (strategy === 'noauth2') return noauth2;
  if (!config.keystoneAuthUrl) throw new Error('auth strategy keystone needs [keystone_authtoken] auth_url');
  if (!config.keystoneUsername || !config.keystonePassword) {
    throw new Error('auth strategy keystone needs [keystone_authtoken] username and password (the service user)');
  }
  // Signatures are checked locally too when identity's public keys are shared with this host.
  const keys = config.jwsPublicKeyRepository ? loadPublicKeys(config.jwsPublicKeyRepository) : [];
  // keystonemiddleware accepts the versioned URL too (http://host/identity/v3).
  const identityRoot = config.keystoneAuthUrl.replace(/\/+$/, '').replace(/\/v3$/, '');
  return keystoneAuthenticator({
    transport: httpTransport(identityRoot),
    credentials: credentialsFromConfig(config),
    cacheSeconds: config.keystoneTokenCacheTime,
    ...(keys.length ? { verifier: new TokenVerifier(keys) } : {}),
    wwwAuthenticateUri: config.keystoneWwwAuthenticateUri || identityRoot,
    serviceType,
  });
}
