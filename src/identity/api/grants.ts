// Role grants: /v3/{projects,domains}/{id}/{users,groups}/{id}/roles[/{role_id}],
// /v3/system/{users,groups}/{id}/roles[/{role_id}], and the inherited grants of OS-INHERIT:
// /v3/OS-INHERIT/{domains,projects}/{id}/{users,groups}/{id}/roles/{role_id}/inherited_to_projects
// (and the list, for domains), checked by the same policy rules as Keystone does.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import { NULL_DOMAIN } from '../db/schema.js';
import { forbidden } from '../exceptions.js';
import { collectionLinks, selfLinks, sendJson } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import { getProject } from '../objects/project.js';
import { getDomain } from '../objects/domain.js';
import { getUser } from '../objects/user.js';
import { getGroup } from '../objects/group.js';
import { getRole, listRoles } from '../objects/role.js';
import * as assignments from '../objects/assignment.js';
import type { ActorKind, Grant, TargetKind } from '../objects/assignment.js';
import { enforcer } from './common.js';
import { roleView } from './views.js';

type GrantRule = 'list_grants' | 'check_grant' | 'create_grant' | 'revoke_grant';

/** System grants have rules of their own, per actor (e.g. identity:create_system_grant_for_user). */
const SYSTEM_RULES: Record<GrantRule, string> = {
  list_grants: 'list_system_grants_for_',
  check_grant: 'check_system_grant_for_',
  create_grant: 'create_system_grant_for_',
  revoke_grant: 'revoke_system_grant_for_',
};

export function grantRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;

  /** Resolves target and actor of the path (404 when missing) and checks the policy. */
  async function resolve(
    req: FastifyRequest,
    target: TargetKind,
    actor: ActorKind,
    rule: GrantRule,
  ): Promise<Omit<Grant, 'roleId'> & { targetDomain: string | null }> {
    let targetId = '';
    let targetDomain: string | null = null;
    const policyTarget: Record<string, unknown> = {};
    if (target === 'project') {
      const proj = await getProject(db, param(req, 'project_id'));
      targetId = proj.id;
      targetDomain = proj.domain_id;
      policyTarget.project = { id: proj.id, domain_id: proj.domain_id };
    } else if (target === 'domain') {
      const dom = await getDomain(db, param(req, 'domain_id'));
      targetId = dom.id;
      targetDomain = dom.id;
      policyTarget.domain = { id: dom.id };
    }
    const actorId =
      actor === 'user'
        ? (await getUser(db, param(req, 'user_id'))).id
        : (await getGroup(db, param(req, 'group_id'))).id;
    policyTarget[actor] = { id: actorId };
    if (param(req, 'role_id')) policyTarget.role = { id: param(req, 'role_id') };
    enforce(req, target === 'system' ? `${SYSTEM_RULES[rule]}${actor}` : rule, { target: policyTarget });
    return { actor, actorId, target, targetId, targetDomain };
  }

  async function grant(req: FastifyRequest, target: TargetKind, actor: ActorKind, rule: GrantRule): Promise<Grant> {
    const { targetDomain, ...g } = await resolve(req, target, actor, rule);
    const role = await getRole(db, param(req, 'role_id'));
    // A domain-specific role may only be granted within its own domain.
    if (rule === 'create_grant' && role.domain_id !== NULL_DOMAIN && targetDomain !== role.domain_id) {
      throw forbidden(`Project ${g.targetId} must be in the same domain as the role ${role.id} being assigned.`);
    }
    return { ...g, roleId: role.id };
  }

  const routes: RouteTable = {};
  const bases: [TargetKind, string][] = [
    ['project', '/v3/projects/:project_id'],
    ['domain', '/v3/domains/:domain_id'],
    ['system', '/v3/system'],
  ];
  /** The routes of one kind of grant: its list (when `list` is given) and the grant itself. */
  const grantRoutes = (target: TargetKind, actor: ActorKind, inherited: boolean, list: string | null, one: string) => {
    if (list) {
      routes[list] = {
        GET: async (req, reply) => {
          const g = await resolve(req, target, actor, 'list_grants');
          const ids = await assignments.grantedRoleIds(db, actor, g.actorId, target, g.targetId, inherited);
          const global = await listRoles(db, { ids });
          const scoped = g.targetDomain ? await listRoles(db, { ids, domain_id: g.targetDomain }) : [];
          return sendJson(reply, 200, {
            roles: [...global, ...scoped].map((r) => roleView(r, selfLinks(req, `/roles/${r.id}`))),
            links: collectionLinks(req),
          });
        },
      };
    }
    const check = async (req: FastifyRequest, reply: FastifyReply) => {
      await assignments.checkGrant(db, { ...(await grant(req, target, actor, 'check_grant')), inherited });
      return sendEmpty(reply, 204);
    };
    routes[one] = {
      PUT: async (req, reply) => {
        await assignments.createGrant(db, { ...(await grant(req, target, actor, 'create_grant')), inherited });
        return sendEmpty(reply, 204);
      },
      GET: check,
      HEAD: check,
      DELETE: async (req, reply) => {
        await assignments.deleteGrant(db, { ...(await grant(req, target, actor, 'revoke_grant')), inherited });
        return sendEmpty(reply, 204);
      },
    };
  };
  for (const [target, base] of bases) {
    for (const actor of ['user', 'group'] as const) {
      const path = `${base}/${actor}s/:${actor}_id/roles`;
      grantRoutes(target, actor, false, path, `${path}/:role_id`);
      if (target === 'system') continue;
      const inherit = `/v3/OS-INHERIT${base.slice('/v3'.length)}/${actor}s/:${actor}_id/roles`;
      grantRoutes(
        target,
        actor,
        true,
        target === 'domain' ? `${inherit}/inherited_to_projects` : null,
        `${inherit}/:role_id/inherited_to_projects`,
      );
    }
  }
  return routes;
}
