// Authentication strategies: noauth2, upstream's test mode (token "USER[:PROJECT]"), here;
// Keystone token validation in keystone.ts.
import type { FastifyRequest } from 'fastify';
import type { RequestContext } from './context.js';
import { unauthorized } from './errors.js';

export type Authenticator = (req: FastifyRequest) => Promise<RequestContext>;

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** noauth2: X-Auth-Token "USER[:PROJECT]"; roles from X-Roles, else admin for user "admin". */
export const noauth2: Authenticator = async (req) => {
  const token = header(req, 'x-auth-token');
  if (!token) throw unauthorized('no X-Auth-Token');
  const [user = token, project = user] = token.split(':', 2);
  const rolesHeader = header(req, 'x-roles');
  const roles =
    rolesHeader !== undefined
      ? rolesHeader
          .split(',')
          .map((r) => r.trim().toLowerCase())
          .filter(Boolean)
      : user === 'admin'
        ? ['admin']
        : [];
  const system = header(req, 'openstack-system-scope');
  return {
    userId: user,
    projectId: system ? null : (header(req, 'x-project-id') ?? project),
    systemScope: system ?? null,
    roles,
    authToken: token,
  };
};
