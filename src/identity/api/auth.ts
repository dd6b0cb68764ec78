// /v3/auth: issuing, validating and revoking tokens, and what a token gives access to.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import { expecting, forbidden, notFound, unauthorized } from '../exceptions.js';
import { readJsonBody, validate, sendJson, selfLinks, collectionLinks, query } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { TOKEN_ISSUE } from '../schemas/auth.js';
import { authenticate, type TokenRequest } from '../auth/authenticate.js';
import { renderToken, validateToken, type ValidatedToken } from '../token/model.js';
import { revoke, pruneRevocations } from '../objects/revocation.js';
import { listProjects } from '../objects/project.js';
import { findDomain } from '../objects/domain.js';
import { buildCatalog } from '../objects/catalog.js';
import { effectiveRoleIds, targetsOfUser } from '../objects/assignment.js';
import { caller, enforcer } from './common.js';
import { ACCESS_RULES_HEADER, ACCESS_RULES_VERSION } from '../../common/http/access_rules.js';
import { domainView, projectView } from './views.js';

function enforcesAccessRules(req: FastifyRequest): boolean {
  const v = Number.parseFloat(String(req.headers[ACCESS_RULES_HEADER] ?? ''));
  return v >= Number(ACCESS_RULES_VERSION);
}

function subjectToken(req: FastifyRequest): string {
  const v = req.headers['x-subject-token'];
  const t = Array.isArray(v) ? v[0] : v;
  if (!t) throw expecting('X-Subject-Token', 'header');
  return t;
}

export function authRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;

  /** The subject token, validated, after the policy check that the caller may look at it. As in
   * Keystone, the target is built from the valid token, so an invalid one is a 404 to anyone (its
   * owner included, who could not otherwise pass the check). A token restricted by access rules is
   * only valid to a middleware that says it enforces them. */
  async function subject(req: FastifyRequest, rule: string): Promise<ValidatedToken> {
    const id = subjectToken(req);
    const vt = await validateToken(identity, id);
    if (!vt || (vt.accessRules && !enforcesAccessRules(req))) throw notFound('token', id);
    enforce(req, rule, { target: { token: { user_id: vt.user.id } } });
    return vt;
  }

  return {
    '/v3/auth/tokens': {
      POST: async (req, reply) => {
        const body = validate<TokenRequest>(TOKEN_ISSUE, readJsonBody(req).auth ?? {});
        const { id } = await authenticate(identity, body);
        const vt = await validateToken(identity, id);
        // A token that fails validation the moment it is made means its scope vanished meanwhile.
        if (!vt) throw unauthorized("the new token's scope went away while it was issued");
        const nocatalog = query(req).nocatalog !== undefined;
        reply.header('x-subject-token', id);
        return sendJson(reply, 201, await renderToken(identity, vt, { catalog: !nocatalog }));
      },
      GET: async (req, reply) => {
        const vt = await subject(req, 'validate_token');
        const nocatalog = query(req).nocatalog !== undefined;
        reply.header('x-subject-token', vt.id);
        return sendJson(reply, 200, await renderToken(identity, vt, { catalog: !nocatalog }));
      },
      HEAD: async (req, reply) => {
        const vt = await subject(req, 'check_token');
        return reply.code(200).header('x-subject-token', vt.id).send();
      },
      DELETE: async (req, reply) => {
        const vt = await subject(req, 'revoke_token');
        await revoke(db, { audit_id: vt.claims.auditIds[0]! });
        await pruneRevocations(db, identity.config.tokenExpiration);
        return sendEmpty(reply, 204);
      },
    },
    '/v3/auth/catalog': {
      GET: async (req, reply) => {
        const vt = caller(req);
        if (!vt.project && !vt.domain && !vt.claims.system) {
          throw forbidden('A project-scoped token is required to produce a service catalog.');
        }
        const catalog = await buildCatalog(db, { projectId: vt.project?.id ?? null, userId: vt.user.id });
        return sendJson(reply, 200, { catalog, links: collectionLinks(req) });
      },
    },
    '/v3/auth/projects': {
      GET: async (req, reply) => {
        const vt = caller(req);
        const ids = await targetsOfUser(db, vt.user.id, 'project');
        const projects = await listProjects(db, { ids, enabled: true });
        const live = [];
        for (const p of projects) if ((await findDomain(db, p.domain_id))?.enabled === 1) live.push(p);
        return sendJson(reply, 200, {
          projects: live.map((p) => projectView(p, selfLinks(req, `/projects/${p.id}`))),
          links: collectionLinks(req),
        });
      },
    },
    '/v3/auth/domains': {
      GET: async (req, reply) => {
        const vt = caller(req);
        const ids = await targetsOfUser(db, vt.user.id, 'domain');
        const domains = [];
        for (const id of ids.sort()) {
          const d = await findDomain(db, id);
          if (d?.enabled === 1) domains.push(domainView(d, selfLinks(req, `/domains/${d.id}`)));
        }
        return sendJson(reply, 200, { domains, links: collectionLinks(req) });
      },
    },
    '/v3/auth/system': {
      GET: async (req, reply) => {
        const vt = caller(req);
        const roles = await effectiveRoleIds(db, vt.user.id, 'system', '');
        return sendJson(reply, 200, { system: roles.length ? [{ all: true }] : [], links: collectionLinks(req) });
      },
    },
  };
}
