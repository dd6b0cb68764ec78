// /v3/users/{user_id}/application_credentials.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import type { AccessRuleTable, ApplicationCredentialTable, RoleTable } from '../db/schema.js';
import { forbidden, forbiddenAction, invalid, notFound } from '../exceptions.js';
import { collectionLinks, query, readMember, selfLinks, sendJson } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import * as creds from '../objects/application_credential.js';
import { naiveMicro, parseExpiry } from '../objects/common.js';
import { getUser } from '../objects/user.js';
import { findRoleByName } from '../objects/role.js';
import { accessRulesOf, type AccessRuleRef } from '../objects/access_rule.js';
import { APPLICATION_CREDENTIAL_CREATE } from '../schemas/application_credential.js';
import { caller, enforcer } from './common.js';
import { accessRuleView } from './views.js';

interface CreateBody {
  name: string;
  description?: string | null;
  secret?: string | null;
  expires_at?: string | null;
  roles?: { id?: string; name?: string; domain_id?: string }[];
  unrestricted?: boolean;
  access_rules?: AccessRuleRef[];
}

/** Keystone shows `access_rules` only on a credential that has some. */
function view(req: FastifyRequest, c: ApplicationCredentialTable, roles: RoleTable[], rules: AccessRuleTable[]) {
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    user_id: c.user_id,
    project_id: c.project_id,
    expires_at: c.expires_at ? naiveMicro(c.expires_at) : null,
    unrestricted: c.unrestricted === 1,
    system: null,
    roles: roles.map((r) => ({ id: r.id, name: r.name, domain_id: null })),
    ...(rules.length ? { access_rules: rules.map(accessRuleView) } : {}),
    links: selfLinks(req, `/users/${c.user_id}/application_credentials/${c.id}`),
  };
}

/** A token made from a restricted application credential may not manage application credentials,
 * or a leaked credential could mint itself successors. */
function requireUnrestricted(req: FastifyRequest): void {
  const ac = caller(req).appCred;
  if (ac && ac.unrestricted !== 1) {
    throw forbidden(
      'You are not authorized to perform the requested action: Using method ' +
        "'application_credential' is not allowed for managing additional application credentials.",
    );
  }
}

export function applicationCredentialRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;
  const userOf = async (req: FastifyRequest, rule: string) => {
    const userId = param(req, 'user_id');
    enforce(req, rule, { user_id: userId, target: { user: { id: userId } } });
    return (await getUser(db, userId)).id;
  };
  return {
    '/v3/users/:user_id/application_credentials': {
      GET: async (req, reply) => {
        const userId = await userOf(req, 'list_application_credentials');
        const rows = await creds.listApplicationCredentials(db, userId, query(req).name);
        const roles = await creds.rolesOf(
          db,
          rows.map((c) => c.id),
        );
        const rules = await accessRulesOf(
          db,
          rows.map((c) => c.id),
        );
        return sendJson(reply, 200, {
          application_credentials: rows.map((c) => view(req, c, roles.get(c.id)!, rules.get(c.id)!)),
          links: collectionLinks(req),
        });
      },
      POST: async (req, reply) => {
        const body = readMember<CreateBody>(req, 'application_credential', APPLICATION_CREDENTIAL_CREATE);
        const userId = await userOf(req, 'create_application_credential');
        requireUnrestricted(req);
        const vt = caller(req);
        if (vt.user.id !== userId) {
          throw forbidden(
            'You are not authorized to perform the requested action: ' +
              'Cannot create an application credential for another user.',
          );
        }
        if (!vt.project) throw forbidden('An application credential can only be created with a project-scoped token.');
        // A trust's delegation must not outlive the trust as a credential of its own.
        if (vt.trust) throw forbiddenAction('Using a trust-scoped token to create an application credential');
        const held = new Map(vt.roles.map((r) => [r.id, r]));
        let roles: RoleTable[] = vt.roles;
        if (body.roles) {
          roles = [];
          for (const ref of body.roles) {
            // As Keystone: a name must name a role; any role the token does not carry is refused.
            const r = ref.id !== undefined ? held.get(ref.id) : vt.roles.find((x) => x.name === ref.name);
            if (!r && ref.id === undefined && !(await findRoleByName(db, ref.name!, ref.domain_id ?? null))) {
              throw notFound('role', ref.name!);
            }
            if (!r)
              throw invalid(
                'Invalid application credential: Cannot create an application credential with unassigned role',
              );
            if (!roles.some((x) => x.id === r.id)) roles.push(r);
          }
        }
        const { row, secret, accessRules } = await creds.createApplicationCredential(db, {
          userId,
          projectId: vt.project.id,
          name: body.name,
          description: body.description ?? null,
          secret: body.secret ?? null,
          expiresAt: parseExpiry(body.expires_at),
          unrestricted: body.unrestricted ?? false,
          roleIds: roles.map((r) => r.id),
          accessRules: body.access_rules,
        });
        return sendJson(reply, 201, { application_credential: { ...view(req, row, roles, accessRules), secret } });
      },
    },
    '/v3/users/:user_id/application_credentials/:application_credential_id': {
      GET: async (req, reply) => {
        const userId = await userOf(req, 'get_application_credential');
        const c = await creds.getApplicationCredential(db, userId, param(req, 'application_credential_id'));
        const roles = await creds.rolesOf(db, [c.id]);
        const rules = await accessRulesOf(db, [c.id]);
        return sendJson(reply, 200, { application_credential: view(req, c, roles.get(c.id)!, rules.get(c.id)!) });
      },
      DELETE: async (req, reply) => {
        const userId = await userOf(req, 'delete_application_credential');
        requireUnrestricted(req);
        await creds.deleteApplicationCredential(db, userId, param(req, 'application_credential_id'));
        return sendEmpty(reply, 204);
      },
    },
  };
}
