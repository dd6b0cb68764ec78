// The identity service: its route table, Keystone's error format and its own token validation, as
// one Fastify plugin.
import { servicePlugin, type RouteTable } from '../common/http/app.js';
import type { Authenticator } from '../common/http/auth.js';
import type { Identity } from './context.js';
import { unauthorized } from '../common/http/errors.js';
import { formatKeystoneError, mapIdentityError } from './errors.js';
import { accessRulesAllow, servicePath } from '../common/http/access_rules.js';
import { contextOf, validateToken } from './token/model.js';
import { normalizePath, setCaller, withHead, withTrailingSlash } from './api/common.js';
import { discoveryRoutes } from './api/discovery.js';
import { authRoutes } from './api/auth.js';
import { domainRoutes } from './api/domains.js';
import { projectRoutes } from './api/projects.js';
import { projectTagRoutes } from './api/project_tags.js';
import { userRoutes } from './api/users.js';
import { groupRoutes } from './api/groups.js';
import { roleRoutes } from './api/roles.js';
import { grantRoutes } from './api/grants.js';
import { roleAssignmentRoutes } from './api/role_assignments.js';
import { serviceRoutes } from './api/services.js';
import { endpointRoutes } from './api/endpoints.js';
import { endpointFilterRoutes } from './api/endpoint_filter.js';
import { regionRoutes } from './api/regions.js';
import { applicationCredentialRoutes } from './api/application_credentials.js';
import { accessRuleRoutes } from './api/access_rules.js';
import { credentialRoutes } from './api/credentials.js';
import { trustRoutes } from './api/trusts.js';

export function identityRoutes(identity: Identity): RouteTable {
  return withTrailingSlash(
    withHead({
      ...discoveryRoutes(),
      ...authRoutes(identity),
      ...domainRoutes(identity),
      ...projectRoutes(identity),
      ...projectTagRoutes(identity),
      ...userRoutes(identity),
      ...groupRoutes(identity),
      ...roleRoutes(identity),
      ...grantRoutes(identity),
      ...roleAssignmentRoutes(identity),
      ...serviceRoutes(identity),
      ...endpointRoutes(identity),
      ...endpointFilterRoutes(identity),
      ...regionRoutes(identity),
      ...applicationCredentialRoutes(identity),
      ...accessRuleRoutes(identity),
      ...credentialRoutes(identity),
      ...trustRoutes(identity),
    }),
  );
}

/** Identity validates the tokens presented to it itself, in-process, and holds those of
 * application credentials to their access rules as every other service does. */
export function identityAuthenticator(identity: Identity): Authenticator {
  return async (req) => {
    const h = req.headers['x-auth-token'];
    const token = Array.isArray(h) ? h[0] : h;
    if (!token) throw unauthorized('no X-Auth-Token');
    const vt = await validateToken(identity, token);
    if (!vt) throw unauthorized('X-Auth-Token is not a valid token (unknown, expired or revoked)');
    const request = {
      method: req.method,
      path: normalizePath(servicePath(req.url, req.scriptName)),
      serviceType: 'identity',
    };
    if (!accessRulesAllow(vt.accessRules, { ...request, hasServiceToken: false })) {
      throw unauthorized(`the application credential's access rules do not allow ${req.method} on this path`);
    }
    setCaller(req, vt);
    return contextOf(vt);
  };
}

const PUBLIC = new Set([
  'GET /',
  'HEAD /',
  'GET /v3',
  'HEAD /v3',
  'GET /v3/',
  'HEAD /v3/',
  'POST /v3/auth/tokens',
  // Changing one's password proves identity with the old password, not a token (which an expired
  // password could not get).
  'POST /v3/users/:user_id/password',
]);

export function identityPlugin(identity: Identity) {
  return servicePlugin({
    name: 'identity',
    publicPaths: (path, method) => PUBLIC.has(`${method} ${path}`) || PUBLIC.has(`${method} ${normalizePath(path)}`),
    authenticate: identityAuthenticator(identity),
    formatError: formatKeystoneError,
    mapError: mapIdentityError,
    routes: identityRoutes(identity),
  });
}
