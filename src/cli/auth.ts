// How `concord serve SERVICE` authenticates requests: keystone (tokens validated by an identity
// service over HTTP, as keystonemiddleware does) or noauth2 (upstream's test mode, for the
// conformance suites and benchmarks). Fails closed: keystone when [keystone_authtoken] auth_url
// says where identity is; noauth2, which believes whatever token it is given, only when asked for,
// and only on a loopback address unless the operator insists.
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import { noauth2, type Authenticator } from '../common/http/auth.js';
import { keystoneAuthenticator } from '../common/http/keystone.js';
import { credentialsFromConfig, defaultHttpTransport, Session } from '../common/clients/index.js';
import { loadPublicKeys, TokenVerifier } from '../identity/token/signer.js';
import { CLOUD_NAMES } from './clouds.js';
import { CREDENTIALS_FILE } from './credentials.js';

export const AUTH_STRATEGIES = ['keystone', 'noauth2'] as const;
export type AuthStrategy = (typeof AUTH_STRATEGIES)[number];

/** The flag that lets noauth2 serve on an address other machines can reach. */
export const NOAUTH_ANY_HOST_FLAG = '--insecure-noauth-any-host';

/** Whether only this machine can connect to `host`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1' || /^::ffff:127\./.test(h);
}

export function chooseAuthStrategy(config: Config, o: { host: string; anyHost: boolean; log: Logger }): AuthStrategy {
  const asked = config.authStrategy;
  if (asked === '') {
    if (config.keystoneAuthUrl) return 'keystone';
    throw new Error(
      "nothing to validate tokens with: set [keystone_authtoken] auth_url (and the service user's " +
        'username and password) to use an identity service, or pass --auth-strategy noauth2 for the test mode ' +
        'that trusts any token',
    );
  }
  if (!(AUTH_STRATEGIES as readonly string[]).includes(asked)) {
    throw new Error(`auth strategy ${asked} is unknown (use one of: ${AUTH_STRATEGIES.join(', ')})`);
  }
  if (asked === 'noauth2' && !isLoopback(o.host)) {
    if (!o.anyHost) {
      throw new Error(
        `auth strategy noauth2 trusts any token, so it serves only on a loopback address (--host ` +
          `127.0.0.1 or ::1), not on ${o.host}; use keystone ([keystone_authtoken] auth_url), or pass ` +
          `${NOAUTH_ANY_HOST_FLAG} if everyone who can reach ${o.host} may be admin`,
      );
    }
    o.log.warn(
      { host: o.host },
      `auth strategy noauth2 on ${o.host} (${NOAUTH_ANY_HOST_FLAG}): whoever reaches ` +
        'this address is whoever their token says, admin included',
    );
  }
  return asked as AuthStrategy;
}

/** keystonemiddleware accepts the versioned URL too (http://host/identity/v3). */
const identityRoot = (config: Config) => config.keystoneAuthUrl.replace(/\/+$/, '').replace(/\/v3$/, '');

/** The service user's session of a `concord serve` process, when [keystone_authtoken] names one:
 * its keystonemiddleware validates tokens with it, and its clients call the other services. */
export function serviceSession(config: Config, log: Logger): Session | undefined {
  if (!config.keystoneAuthUrl || !config.keystoneUsername || !config.keystonePassword) return undefined;
  return new Session({
    transport: defaultHttpTransport(),
    authUrl: identityRoot(config),
    credentials: credentialsFromConfig(config),
    log,
  });
}

/** nova's service user of the `concord up` that keeps its state in `dataDir`, if it is one. */
function cloudServiceUser(dataDir: string): Partial<Config> | undefined {
  const clouds = join(dataDir, 'clouds.yaml');
  const credentials = join(dataDir, CREDENTIALS_FILE);
  if (!existsSync(clouds) || !existsSync(credentials)) return undefined;
  const authUrl = (
    parse(readFileSync(clouds, 'utf8')) as { clouds?: Record<string, { auth?: { auth_url?: unknown } }> }
  )?.clouds?.[CLOUD_NAMES.admin]?.auth?.auth_url;
  const password = (JSON.parse(readFileSync(credentials, 'utf8')) as { service_password?: unknown }).service_password;
  if (typeof authUrl !== 'string' || typeof password !== 'string') return undefined;
  return { keystoneAuthUrl: authUrl, keystoneUsername: 'nova', keystonePassword: password };
}

/** nova's session for the processes that work beside a compute API (agents, `concord manage`):
 * [keystone_authtoken]'s service user when configured, else that of the `concord up` whose data
 * directory `dataDir` is, so that `--data-dir` alone is enough beside a local cloud. */
export function novaSession(config: Config, dataDir: string, log: Logger): Session | undefined {
  return serviceSession(config.keystoneAuthUrl ? config : { ...config, ...cloudServiceUser(dataDir) }, log);
}

/** How `concord serve` authenticates a service's requests; `serviceType` is its catalog type,
 * which application credential access rules name; with keystone, `log` gets its calls to identity
 * (made with `session`, by default a new one of the service user). */
export function serviceAuthenticator(
  config: Config,
  strategy: AuthStrategy,
  serviceType: string,
  log: Logger,
  session?: Session,
): Authenticator {
  if (strategy === 'noauth2') return noauth2;
  if (!config.keystoneAuthUrl) throw new Error('auth strategy keystone needs [keystone_authtoken] auth_url');
  if (!config.keystoneUsername || !config.keystonePassword) {
    throw new Error('auth strategy keystone needs [keystone_authtoken] username and password (the service user)');
  }
  // Signatures are checked locally too when identity's public keys are shared with this host.
  const keys = config.jwsPublicKeyRepository ? loadPublicKeys(config.jwsPublicKeyRepository) : [];
  return keystoneAuthenticator({
    session: session ?? serviceSession(config, log)!,
    cacheSeconds: config.keystoneTokenCacheTime,
    ...(keys.length ? { verifier: new TokenVerifier(keys) } : {}),
    wwwAuthenticateUri: config.keystoneWwwAuthenticateUri || identityRoot(config),
    serviceType,
  });
}
