// /v3/roles, role implications (/v3/roles/{prior}/implies/{implied}) and /v3/role_inferences.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import type { RoleTable } from '../db/schema.js';
import { collectionLinks, query, readMember, selfLinks, sendJson, v3Url } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import * as roles from '../objects/role.js';
import { ROLE_CREATE, ROLE_UPDATE } from '../schemas/assignment.js';
import { enforcer } from './common.js';
import { roleView } from './views.js';

function brief(req: FastifyRequest, r: RoleTable) {
  return { id: r.id, name: r.name, links: selfLinks(req, `/roles/${r.id}`) };
}

export function roleRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;
  const view = (req: FastifyRequest, r: RoleTable) => roleView(r, selfLinks(req, `/roles/${r.id}`));
  const ids = (req: FastifyRequest) => ({ prior: param(req, 'role_id'), implied: param(req, 'implied_role_id') });

  async function inference(req: FastifyRequest) {
    const { prior, implied } = ids(req);
    const [p, i] = [await roles.getRole(db, prior), await roles.getRole(db, implied)];
    return {
      role_inference: { prior_role: brief(req, p), implies: brief(req, i) },
      links: { self: v3Url(req, `/roles/${prior}/implies/${implied}`) },
    };
  }

  return {
    '/v3/roles': {
      GET: async (req, reply) => {
        enforce(req, 'list_roles');
        const q = query(req);
        const rows = await roles.listRoles(db, { name: q.name, domain_id: q.domain_id });
        return sendJson(reply, 200, { roles: rows.map((r) => view(req, r)), links: collectionLinks(req) });
      },
      POST: async (req, reply) => {
        enforce(req, 'create_role');
        const body = readMember<roles.RoleInput>(req, 'role', ROLE_CREATE);
        return sendJson(reply, 201, { role: view(req, await roles.createRole(db, body)) });
      },
    },
    '/v3/roles/:role_id': {
      GET: async (req, reply) => {
        enforce(req, 'get_role');
        return sendJson(reply, 200, { role: view(req, await roles.getRole(db, param(req, 'role_id'))) });
      },
      PATCH: async (req, reply) => {
        enforce(req, 'update_role');
        const body = readMember<roles.RoleInput>(req, 'role', ROLE_UPDATE);
        return sendJson(reply, 200, { role: view(req, await roles.updateRole(db, param(req, 'role_id'), body)) });
      },
      DELETE: async (req, reply) => {
        enforce(req, 'delete_role');
        await roles.deleteRole(db, param(req, 'role_id'));
        return sendEmpty(reply, 204);
      },
    },
    '/v3/roles/:role_id/implies': {
      GET: async (req, reply) => {
        enforce(req, 'list_implied_roles');
        const prior = await roles.getRole(db, param(req, 'role_id'));
        const implied = (await roles.implicationMap(db, [prior.id])).get(prior.id) ?? [];
        const byId = await roles.rolesByIds(db, implied);
        return sendJson(reply, 200, {
          role_inference: { prior_role: brief(req, prior), implies: implied.map((id) => brief(req, byId.get(id)!)) },
          links: { self: v3Url(req, `/roles/${prior.id}/implies`) },
        });
      },
    },
    '/v3/roles/:role_id/implies/:implied_role_id': {
      PUT: async (req, reply) => {
        enforce(req, 'create_implied_role');
        const { prior, implied } = ids(req);
        await roles.createImplication(db, prior, implied);
        return sendJson(reply, 201, await inference(req));
      },
      GET: async (req, reply) => {
        enforce(req, 'get_implied_role');
        const { prior, implied } = ids(req);
        await roles.checkImplication(db, prior, implied);
        return sendJson(reply, 200, await inference(req));
      },
      HEAD: async (req, reply) => {
        enforce(req, 'check_implied_role');
        const { prior, implied } = ids(req);
        await roles.checkImplication(db, prior, implied);
        return sendEmpty(reply, 204);
      },
      DELETE: async (req, reply) => {
        enforce(req, 'delete_implied_role');
        const { prior, implied } = ids(req);
        await roles.deleteImplication(db, prior, implied);
        return sendEmpty(reply, 204);
      },
    },
    '/v3/role_inferences': {
      GET: async (req, reply) => {
        enforce(req, 'list_role_inference_rules');
        const rules = await roles.implicationMap(db);
        const byId = await roles.rolesByIds(db, [...new Set([...rules.keys(), ...[...rules.values()].flat()])]);
        return sendJson(reply, 200, {
          role_inferences: [...rules].map(([prior, implied]) => ({
            prior_role: brief(req, byId.get(prior)!),
            implies: implied.map((id) => brief(req, byId.get(id)!)),
          })),
          links: collectionLinks(req),
        });
      },
    },
  };
}
