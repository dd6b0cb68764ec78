// Application credential access rules, enforced where tokens are accepted (keystonemiddleware's
// validate_allowed_request): a token made from a credential with access rules may only make the
// requests they list, to the service whose type they name.

export interface AccessRule {
  service: string;
  method: string;
  /** A path pattern: `*` or `{name}` is one segment, `**` any number of them. */
  path: string;
}

/** keystonemiddleware's `OpenStack-Identity-Access-Rules` header: the middleware understands them,
 * so identity may hand it tokens that carry some. */
export const ACCESS_RULES_HEADER = 'openstack-identity-access-rules';
export const ACCESS_RULES_VERSION = '1';

function patternRegex(pattern: string): RegExp {
  let re = '';
  for (const m of pattern.matchAll(/(\{[^}]*\})|(\*\*)|(\*)|([^{}*]+)|([{}])/g)) {
    if (m[1] || m[3]) re += '[^/]+';
    else if (m[2]) re += '.*';
    else re += (m[4] ?? m[5]!).replace(/[.+?^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function pathMatches(path: string, pattern: string): boolean {
  return patternRegex(pattern).test(path);
}

export interface RuledRequest {
  method: string;
  /** The request path below the service's root, without the query string. */
  path: string;
  /** The catalog type of the service enforcing (unknown: every restricted token is refused). */
  serviceType: string | undefined;
  /** A valid X-Service-Token came along: the request is a service acting on the user's behalf. */
  hasServiceToken: boolean;
}

/** Whether a token with these rules (undefined: none) may make this request. */
export function accessRulesAllow(rules: AccessRule[] | undefined, req: RuledRequest): boolean {
  if (!rules) return true;
  if (!req.serviceType) return false;
  // A token can always be validated, whatever its rules.
  if (req.serviceType === 'identity' && req.method === 'GET' && req.path.endsWith('/v3/auth/tokens')) return true;
  if (req.hasServiceToken) return true;
  return rules.some((r) => r.method === req.method && r.service === req.serviceType && pathMatches(req.path, r.path));
}

/** The path a service sees of a request: below where it is mounted, without the query. */
export function servicePath(url: string, mount: string): string {
  return url.slice(mount.length).split('?')[0]!;
}
