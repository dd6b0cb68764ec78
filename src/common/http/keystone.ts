// keystoneAuthenticator: how every service but identity itself authenticates requests, as
// keystonemiddleware's auth_token does: X-Auth-Token (and X-Service-Token) in, request context out.
//
// Why validate through identity's REST API (GET /v3/auth/tokens, cached briefly) rather than
// checking the signature plus a revocation list in each service:
//  - A token's roles are not in the token: they are computed when it is validated (as in
//    Keystone), so a revoked role assignment, a disabled user or project, or a deleted
//    application credential takes effect without waiting for tokens to expire. A service checking
//    only the signature would have to re-implement those rules against identity's tables, which
//    the design forbids (services talk to each other only through their REST APIs).
//  - Revocations come in several kinds (one token, a user, a project, a domain); matching them is
//    identity's business, kept in one place.
//  - The cost is bounded by the cache: one call per distinct token per `cacheSeconds` (default 30,
//    [keystone_authtoken] token_cache_time), so a revocation is honoured within that time; when
//    identity runs in the same process (`concord up`) it calls forgetAll() after every change it
//    makes, so there a revocation takes effect at once.
// When the public keys are at hand (in-process, or a shared jws_public_key_repository), the
// signature and expiry are checked locally first, so forged or expired tokens are refused without
// calling identity at all.
import { createHash } from 'node:crypto';
import type { Authenticator } from './auth.js';
import type { RequestContext } from './context.js';
import { HttpError, unauthorized } from './errors.js';
import {
  ACCESS_RULES_HEADER,
  ACCESS_RULES_VERSION,
  accessRulesAllow,
  servicePath,
  type AccessRule,
} from './access_rules.js';
import { asService, type RequestIds } from '../clients/call.js';
import { ClientError } from '../clients/errors.js';
import type { Session } from '../clients/session.js';

export interface KeystoneAuthOptions {
  /** The service user's session with identity (its token authorizes validating others', as
   * keystonemiddleware's does); identity is reached at the session's auth URL. */
  session: Session;
  cacheSeconds?: number;
  /** Checks signatures and expiry locally before asking identity (identity's TokenVerifier):
   * null for a token that is forged or expired. */
  verifier?: { verify(token: string): Promise<unknown> };
  /** Identity's public URL, sent in 401s as `WWW-Authenticate: Keystone uri="..."` so that clients
   * know where to get a token ([keystone_authtoken] www_authenticate_uri). */
  wwwAuthenticateUri?: string;
  /** Roles that make an X-Service-Token a service's ([keystone_authtoken] service_token_roles). */
  serviceRoles?: string[];
  /** Most tokens cached at once. */
  cacheSize?: number;
  /** The catalog type of the service ([keystone_authtoken] service_type): what application
   * credential access rules name. Without it, tokens restricted by access rules are refused. */
  serviceType?: string;
}

interface TokenBody {
  token: {
    user: { id: string };
    project?: { id: string };
    domain?: { id: string };
    system?: { all?: boolean };
    roles?: { name: string }[];
    expires_at: string;
    application_credential?: { access_rules?: AccessRule[] };
  };
}

/** A validated token: the request context, and the access rules that restrict it, if any. */
interface Validation {
  ctx: RequestContext;
  accessRules?: AccessRule[];
}

const unavailable = () => new HttpError(503, 'The identity service is unavailable.');

export interface KeystoneAuthenticator extends Authenticator {
  /** Drops every cached validation: the next request with any token asks identity again. */
  forgetAll(): void;
}

export function keystoneAuthenticator(opts: KeystoneAuthOptions): KeystoneAuthenticator {
  const ttl = (opts.cacheSeconds ?? 30) * 1000;
  const max = opts.cacheSize ?? 10000;
  const serviceRoles = opts.serviceRoles ?? ['service'];
  const cache = new Map<string, { v: Validation | null; until: number }>();
  // Bumped by forgetAll(): a validation that started before a change is not cached after it.
  let epoch = 0;
  function remember(key: string, v: Validation | null, until: number, since: number) {
    if (since !== epoch) return;
    if (cache.size >= max) cache.delete(cache.keys().next().value!);
    cache.set(key, { v, until });
  }

  async function validate(token: string, ids: RequestIds): Promise<Validation | null> {
    const key = createHash('sha256').update(token).digest('base64url');
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.v;
    const since = epoch;
    cache.delete(key);
    if (opts.verifier && !(await opts.verifier.verify(token))) {
      remember(key, null, Date.now() + ttl, since);
      return null;
    }
    let body: string;
    try {
      // The session logs in again once if identity refuses its own token (revoked, expired early).
      body = (
        await opts.session.request({
          service: 'identity',
          endpoint: opts.session.authRoot,
          method: 'GET',
          path: '/v3/auth/tokens?nocatalog',
          call: asService(ids),
          headers: { 'x-subject-token': token, [ACCESS_RULES_HEADER]: ACCESS_RULES_VERSION },
        })
      ).body;
    } catch (err) {
      if (!(err instanceof ClientError && err.status === 404)) throw unavailable();
      remember(key, null, Date.now() + ttl, since);
      return null;
    }
    const t = (JSON.parse(body) as TokenBody).token;
    const ctx: RequestContext = {
      userId: t.user.id,
      projectId: t.project?.id ?? null,
      domainId: t.domain?.id ?? null,
      systemScope: t.system?.all ? 'all' : null,
      roles: (t.roles ?? []).map((r) => r.name.toLowerCase()),
      authToken: token,
    };
    const rules = t.application_credential?.access_rules;
    const v: Validation = { ctx, ...(rules ? { accessRules: rules } : {}) };
    remember(key, v, Math.min(Date.now() + ttl, Date.parse(t.expires_at)), since);
    return v;
  }

  const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const challenge: Record<string, string> = opts.wwwAuthenticateUri
    ? { 'www-authenticate': `Keystone uri="${opts.wwwAuthenticateUri}"` }
    : {};
  // A fresh error each time: the app adds to an error's headers while sending it.
  const denied = (reason: string) => unauthorized(reason, { ...challenge });

  const authenticate: Authenticator = async (req) => {
    const token = header(req.headers['x-auth-token']);
    if (!token) throw denied('no X-Auth-Token');
    const user = await validate(token, req);
    if (!user) throw denied('X-Auth-Token is not a valid token (unknown, expired, revoked or forged)');
    const serviceTokenHeader = header(req.headers['x-service-token']);
    const svc = serviceTokenHeader ? await validate(serviceTokenHeader, req) : undefined;
    if (svc === null) throw denied('X-Service-Token is not a valid token (unknown, expired, revoked or forged)');
    const allowed = accessRulesAllow(user.accessRules, {
      method: req.method,
      path: servicePath(req.url, req.scriptName),
      serviceType: opts.serviceType,
      hasServiceToken: svc !== undefined,
    });
    if (!allowed) throw denied(`the application credential's access rules do not allow ${req.method} on this path`);
    return svc ? { ...user.ctx, isService: svc.ctx.roles.some((r) => serviceRoles.includes(r)) } : user.ctx;
  };
  return Object.assign(authenticate, {
    forgetAll: () => {
      epoch++;
      cache.clear();
    },
  });
}
