// /v3/OS-TRUST/trusts: trusts (create, list by trustor or trustee, show, delete) and the roles
// each delegates. Tokens scoped to a trust come from POST /v3/auth/tokens (auth/authenticate.ts).
import type { FastifyRequest } from 'fastify';
import type { Handler, RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import type { RoleTable, TrustTable } from '../db/schema.js';
import { forbiddenAction, notFound } from '../exceptions.js';
import { collectionLinks, query, readJsonBody, selfLinks, sendJson, v3Url, validate } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import * as trusts from '../objects/trust.js';
import { deleteTrusts } from '../objects/trust_deletion.js';
import { rolesByIds } from '../objects/role.js';
import { actingUser } from '../token/model.js';
import { TRUST_CREATE } from '../schemas/trust.js';
import { caller, enforcer } from './common.js';
import { roleView } from './views.js';

const BASE = '/OS-TRUST/trusts';

export function trustRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const { db, config } = identity;
  const roleRef = (req: FastifyRequest, r: RoleTable) => roleView(r, selfLinks(req, `/roles/${r.id}`));
  const view = (req: FastifyRequest, t: TrustTable) => ({
    ...trusts.trustExtra(t),
    id: t.id,
    trustor_user_id: t.trustor_user_id,
    trustee_user_id: t.trustee_user_id,
    project_id: t.project_id,
    impersonation: t.impersonation === 1,
    expires_at: t.expires_at,
    remaining_uses: t.remaining_uses,
    redelegated_trust_id: t.redelegated_trust_id,
    redelegation_count: t.redelegation_count,
    links: selfLinks(req, `${BASE}/${t.id}`),
  });
  /** The roles a trust delegates that still exist, as full roles. */
  const rolesOf = async (req: FastifyRequest, t: trusts.Trust) => {
    const byId = await rolesByIds(db, t.roleIds);
    return {
      roles: t.roleIds.filter((id) => byId.has(id)).map((id) => roleRef(req, byId.get(id)!)),
      links: { self: v3Url(req, `${BASE}/${t.id}/roles`), previous: null, next: null },
    };
  };
  const withRoles = async (req: FastifyRequest, t: trusts.Trust) => {
    const { roles, links } = await rolesOf(req, t);
    return { ...view(req, t), roles, roles_links: links };
  };
  /** The trust of the path (404 first, as Keystone), once the caller may `rule` it. */
  const target = async (req: FastifyRequest, rule: string) => {
    const t = await trusts.getTrust(db, config, param(req, 'trust_id'));
    enforce(req, rule, {
      target: { trust: { trustor_user_id: t.trustor_user_id, trustee_user_id: t.trustee_user_id } },
    });
    return t;
  };
  /** A restricted application credential's token may not manage trusts (a delegation passing itself on). */
  const requireUnrestricted = (req: FastifyRequest) => {
    const ac = caller(req).appCred;
    if (ac && ac.unrestricted !== 1) {
      throw forbiddenAction("Using method 'application_credential' is not allowed for managing trusts.");
    }
  };
  const showRole: Handler = async (req, reply) => {
    const t = await target(req, 'get_role_for_trust');
    const roleId = param(req, 'role_id');
    const role = t.roleIds.includes(roleId) ? (await rolesByIds(db, [roleId])).get(roleId) : undefined;
    if (!role) throw notFound('role', roleId);
    return sendJson(reply, 200, { role: roleRef(req, role) });
  };

  return {
    [`/v3${BASE}`]: {
      GET: async (req, reply) => {
        const q = query(req);
        let rows: TrustTable[];
        if (q.trustor_user_id !== undefined) {
          enforce(req, 'list_trusts_for_trustor', { target: { trust: { trustor_user_id: q.trustor_user_id } } });
          rows = await trusts.listTrusts(db, { trustorUserId: q.trustor_user_id });
        } else if (q.trustee_user_id !== undefined) {
          enforce(req, 'list_trusts_for_trustee', { target: { trust: { trustee_user_id: q.trustee_user_id } } });
          rows = await trusts.listTrusts(db, { trusteeUserId: q.trustee_user_id });
        } else {
          enforce(req, 'list_trusts');
          // Keystone lists everything only when asked nothing else.
          rows = Object.keys(q).length ? [] : await trusts.listTrusts(db, {});
        }
        return sendJson(reply, 200, { trusts: rows.map((t) => view(req, t)), links: collectionLinks(req) });
      },
      POST: async (req, reply) => {
        const raw = readJsonBody(req).trust ?? {};
        enforce(req, 'create_trust', { trust: raw });
        const body = validate<trusts.TrustInput>(TRUST_CREATE, raw);
        requireUnrestricted(req);
        const vt = caller(req);
        const t = await trusts.createTrust(db, config, body, {
          userId: actingUser(vt).user.id,
          ...(vt.trust ? { source: vt.trust } : {}),
        });
        return sendJson(reply, 201, { trust: await withRoles(req, t) });
      },
    },
    [`/v3${BASE}/:trust_id`]: {
      GET: async (req, reply) => sendJson(reply, 200, { trust: await withRoles(req, await target(req, 'get_trust')) }),
      DELETE: async (req, reply) => {
        const t = await target(req, 'delete_trust');
        requireUnrestricted(req);
        await deleteTrusts(db, [t.id]);
        return sendEmpty(reply, 204);
      },
    },
    [`/v3${BASE}/:trust_id/roles`]: {
      GET: async (req, reply) => sendJson(reply, 200, await rolesOf(req, await target(req, 'list_roles_for_trust'))),
    },
    [`/v3${BASE}/:trust_id/roles/:role_id`]: {
      GET: showRole,
      HEAD: showRole,
    },
  };
}
