// /v3/users/{user_id}/access_rules: the access rules a user has defined for its application
// credentials; one no credential uses any more may be deleted.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import type { AccessRuleTable } from '../db/schema.js';
import { collectionLinks, query, selfLinks, sendJson } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import * as rules from '../objects/access_rule.js';
import { getUser } from '../objects/user.js';
import { enforcer } from './common.js';
import { accessRuleView } from './views.js';

export function accessRuleRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;
  const view = (req: FastifyRequest, userId: string, r: AccessRuleTable) => ({
    ...accessRuleView(r),
    links: selfLinks(req, `/users/${userId}/access_rules/${r.id}`),
  });
  /** The user of the path, once the caller may `rule` its access rules. */
  const owner = async (req: FastifyRequest, rule: string) => {
    const userId = param(req, 'user_id');
    enforce(req, rule, { target: { user: { id: userId } } });
    return (await getUser(db, userId)).id;
  };
  return {
    '/v3/users/:user_id/access_rules': {
      GET: async (req, reply) => {
        const userId = await owner(req, 'list_access_rules');
        const q = query(req);
        const rows = await rules.listAccessRules(db, userId, { service: q.service, path: q.path, method: q.method });
        return sendJson(reply, 200, {
          access_rules: rows.map((r) => view(req, userId, r)),
          links: collectionLinks(req),
        });
      },
    },
    '/v3/users/:user_id/access_rules/:access_rule_id': {
      GET: async (req, reply) => {
        const userId = await owner(req, 'get_access_rule');
        const r = await rules.getAccessRule(db, userId, param(req, 'access_rule_id'));
        return sendJson(reply, 200, { access_rule: view(req, userId, r) });
      },
      DELETE: async (req, reply) => {
        const userId = await owner(req, 'delete_access_rule');
        await rules.deleteAccessRule(db, userId, param(req, 'access_rule_id'));
        return sendEmpty(reply, 204);
      },
    },
  };
}
