// /v3/groups and group membership.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import type { GroupTable } from '../db/schema.js';
import { collectionLinks, query, readMember, selfLinks, sendJson } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import * as groups from '../objects/group.js';
import { getUser, listUsers } from '../objects/user.js';
import { GROUP_CREATE, GROUP_UPDATE } from '../schemas/identity.js';
import { domainFilterTarget, enforcer } from './common.js';
import { callerDomain } from './projects.js';
import { groupView, userView } from './views.js';

export function groupRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;
  const view = (req: FastifyRequest, g: GroupTable) => groupView(g, selfLinks(req, `/groups/${g.id}`));
  async function target(req: FastifyRequest, rule: string): Promise<GroupTable> {
    const g = await groups.getGroup(db, param(req, 'group_id'));
    const userId = param(req, 'user_id');
    enforce(req, rule, {
      target: { group: { id: g.id, domain_id: g.domain_id }, ...(userId ? { user: { id: userId } } : {}) },
    });
    return g;
  }
  return {
    '/v3/groups': {
      GET: async (req, reply) => {
        const q = query(req);
        enforce(req, 'list_groups', domainFilterTarget(q.domain_id));
        const rows = await groups.listGroups(db, { domain_id: q.domain_id, name: q.name });
        return sendJson(reply, 200, { groups: rows.map((g) => view(req, g)), links: collectionLinks(req) });
      },
      POST: async (req, reply) => {
        const body = readMember<groups.GroupInput>(req, 'group', GROUP_CREATE);
        enforce(req, 'create_group', { target: { group: { domain_id: body.domain_id ?? null } } });
        return sendJson(reply, 201, { group: view(req, await groups.createGroup(db, body, callerDomain(req))) });
      },
    },
    '/v3/groups/:group_id': {
      GET: async (req, reply) => sendJson(reply, 200, { group: view(req, await target(req, 'get_group')) }),
      PATCH: async (req, reply) => {
        const g = await target(req, 'update_group');
        const body = readMember<groups.GroupInput>(req, 'group', GROUP_UPDATE);
        return sendJson(reply, 200, { group: view(req, await groups.updateGroup(db, g.id, body)) });
      },
      DELETE: async (req, reply) => {
        const g = await target(req, 'delete_group');
        await groups.deleteGroup(db, g.id);
        return sendEmpty(reply, 204);
      },
    },
    '/v3/groups/:group_id/users': {
      GET: async (req, reply) => {
        const g = await target(req, 'list_users_in_group');
        const q = query(req);
        const rows = await listUsers(db, { ids: await groups.memberIds(db, g.id), name: q.name });
        return sendJson(reply, 200, {
          users: rows.map((u) => userView(u, identity.config, selfLinks(req, `/users/${u.id}`))),
          links: collectionLinks(req),
        });
      },
    },
    '/v3/groups/:group_id/users/:user_id': {
      PUT: async (req, reply) => {
        const g = await target(req, 'add_user_to_group');
        const u = await getUser(db, param(req, 'user_id'));
        await groups.addMember(db, g.id, u.id);
        return sendEmpty(reply, 204);
      },
      HEAD: async (req, reply) => {
        const g = await target(req, 'check_user_in_group');
        const u = await getUser(db, param(req, 'user_id'));
        await groups.checkMember(db, g.id, u.id);
        return sendEmpty(reply, 204);
      },
      DELETE: async (req, reply) => {
        const g = await target(req, 'remove_user_from_group');
        const u = await getUser(db, param(req, 'user_id'));
        await groups.removeMember(db, g.id, u.id);
        return sendEmpty(reply, 204);
      },
    },
  };
}
