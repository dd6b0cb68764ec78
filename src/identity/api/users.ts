// /v3/users, a user's password, groups and projects.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import type { UserTable } from '../db/schema.js';
import { collectionLinks, query, queryFlag, readMember, selfLinks, sendJson } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import * as users from '../objects/user.js';
import { groupIdsOf, listGroups } from '../objects/group.js';
import { listProjects } from '../objects/project.js';
import { targetsOfUser } from '../objects/assignment.js';
import { PASSWORD_CHANGE, USER_CREATE, USER_UPDATE } from '../schemas/identity.js';
import { domainFilterTarget, enforcer } from './common.js';
import { callerDomain } from './projects.js';
import { groupView, projectView, userView } from './views.js';

export function userRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;
  const view = (req: FastifyRequest, u: UserTable) => userView(u, identity.config, selfLinks(req, `/users/${u.id}`));
  /** The user of the path, after the policy check (Keystone looks the user up to build the target). */
  async function target(req: FastifyRequest, rule: string): Promise<UserTable> {
    const u = await users.getUser(db, param(req, 'user_id'));
    enforce(req, rule, { user_id: u.id, target: { user: { id: u.id, domain_id: u.domain_id } } });
    return u;
  }
  return {
    '/v3/users': {
      GET: async (req, reply) => {
        const q = query(req);
        enforce(req, 'list_users', domainFilterTarget(q.domain_id));
        const rows = await users.listUsers(db, { domain_id: q.domain_id, name: q.name, enabled: queryFlag(q.enabled) });
        return sendJson(reply, 200, { users: rows.map((u) => view(req, u)), links: collectionLinks(req) });
      },
      POST: async (req, reply) => {
        const body = readMember<users.UserInput>(req, 'user', USER_CREATE);
        enforce(req, 'create_user', { target: { user: { domain_id: body.domain_id ?? null } } });
        const u = await users.createUser(db, identity.config, body, callerDomain(req));
        return sendJson(reply, 201, { user: view(req, u) });
      },
    },
    '/v3/users/:user_id': {
      GET: async (req, reply) => sendJson(reply, 200, { user: view(req, await target(req, 'get_user')) }),
      PATCH: async (req, reply) => {
        const u = await target(req, 'update_user');
        const body = readMember<users.UserInput>(req, 'user', USER_UPDATE);
        return sendJson(reply, 200, { user: view(req, await users.updateUser(db, identity.config, u.id, body)) });
      },
      DELETE: async (req, reply) => {
        const u = await target(req, 'delete_user');
        await users.deleteUser(db, u.id);
        return sendEmpty(reply, 204);
      },
    },
    // No token needed: a user whose password has expired must still be able to change it.
    '/v3/users/:user_id/password': {
      POST: async (req, reply) => {
        const body = readMember<{ password: string; original_password: string }>(req, 'user', PASSWORD_CHANGE);
        await users.changePassword(db, identity.config, param(req, 'user_id'), body.original_password, body.password);
        return sendEmpty(reply, 204);
      },
    },
    '/v3/users/:user_id/groups': {
      GET: async (req, reply) => {
        const u = await target(req, 'list_groups_for_user');
        const rows = await listGroups(db, { ids: await groupIdsOf(db, u.id), name: query(req).name });
        return sendJson(reply, 200, {
          groups: rows.map((g) => groupView(g, selfLinks(req, `/groups/${g.id}`))),
          links: collectionLinks(req),
        });
      },
    },
    '/v3/users/:user_id/projects': {
      GET: async (req, reply) => {
        const u = await target(req, 'list_user_projects');
        const q = query(req);
        const rows = await listProjects(db, {
          ids: await targetsOfUser(db, u.id, 'project'),
          name: q.name,
          enabled: queryFlag(q.enabled),
          domain_id: q.domain_id,
        });
        return sendJson(reply, 200, {
          projects: rows.map((p) => projectView(p, selfLinks(req, `/projects/${p.id}`))),
          links: collectionLinks(req),
        });
      },
    },
  };
}
