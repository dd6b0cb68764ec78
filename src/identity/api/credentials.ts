// /v3/credentials, and the EC2 view of the same credentials at
// /v3/users/{user_id}/credentials/OS-EC2[/{access}]. Users manage their own; listing shows a
// caller only the credentials it may see (as Keystone filters them one by one).
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import { notFound } from '../exceptions.js';
import { collectionLinks, query, readJsonBody, readMember, selfLinks, sendJson, v3Url, validate } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import * as credentials from '../objects/credential.js';
import { getProject } from '../objects/project.js';
import { getUser } from '../objects/user.js';
import { policyTarget } from '../policies.js';
import { CREDENTIAL_CREATE, CREDENTIAL_UPDATE, EC2_CREATE } from '../schemas/credential.js';
import { caller, enforcer } from './common.js';
import { credentialView, ec2View } from './views.js';

export function credentialRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const { db, credentialKeys: keys } = identity;
  const limit = identity.config.credentialUserLimit;
  const view = (req: FastifyRequest, c: credentials.Credential) =>
    credentialView(c, selfLinks(req, `/credentials/${c.id}`));
  const owned = (c: { user_id: string }) => ({ target: { credential: { user_id: c.user_id } } });
  const may = (req: FastifyRequest, rule: string, c: { user_id: string }) =>
    identity.policy.allowed(req.ctx, `identity:${rule}`, policyTarget(owned(c)));

  /** An EC2 credential made with an application credential's or a trust's token stays bound to it. */
  const binding = (req: FastifyRequest): credentials.Ec2Binding => {
    const vt = caller(req);
    return { ...(vt.appCred ? { appCredId: vt.appCred.id } : {}), ...(vt.trust ? { trustId: vt.trust.id } : {}) };
  };
  const ec2Base = (req: FastifyRequest, userId: string) => v3Url(req, `/users/${userId}/credentials/OS-EC2`);
  /** The EC2 credential of user `user_id` with access key `credential_id` (404 when it is not
   * that user's), once the caller may `rule` it. */
  const ec2Credential = async (req: FastifyRequest, rule: string) => {
    const userId = param(req, 'user_id');
    const access = param(req, 'credential_id');
    const c = await credentials.findCredential(db, keys, credentials.ec2CredentialId(access));
    if (!c || c.user_id !== userId || c.type !== credentials.EC2) throw notFound('credential', access);
    enforce(req, rule, owned(c));
    return c;
  };

  return {
    '/v3/credentials': {
      GET: async (req, reply) => {
        const vt = caller(req);
        // Outside system scope the check is made against the caller's own credentials.
        enforce(req, 'list_credentials', req.ctx.systemScope ? {} : owned({ user_id: vt.user.id }));
        const q = query(req);
        const all = await credentials.listCredentials(db, keys, { user_id: q.user_id, type: q.type });
        const visible = all.filter((c) => may(req, 'get_credential', c));
        return sendJson(reply, 200, { credentials: visible.map((c) => view(req, c)), links: collectionLinks(req) });
      },
      POST: async (req, reply) => {
        const body = (readJsonBody(req).credential ?? {}) as credentials.CredentialInput;
        enforce(req, 'create_credential', { target: { credential: body } });
        const input = validate<credentials.NewCredential>(CREDENTIAL_CREATE, body);
        const c = await credentials.createCredential(db, keys, input, limit, binding(req));
        return sendJson(reply, 201, { credential: view(req, c) });
      },
    },
    '/v3/credentials/:credential_id': {
      GET: async (req, reply) => {
        const c = await credentials.getCredential(db, keys, param(req, 'credential_id'));
        enforce(req, 'get_credential', owned(c));
        return sendJson(reply, 200, { credential: view(req, c) });
      },
      PATCH: async (req, reply) => {
        const c = await credentials.getCredential(db, keys, param(req, 'credential_id'));
        enforce(req, 'update_credential', owned(c));
        const next = credentials.updatedCredential(
          c,
          readMember<credentials.CredentialInput>(req, 'credential', CREDENTIAL_UPDATE),
        );
        // Nor may the owner hand the credential to someone else.
        enforce(req, 'update_credential', owned(next));
        return sendJson(reply, 200, { credential: view(req, await credentials.saveCredential(db, keys, next)) });
      },
      DELETE: async (req, reply) => {
        const c = await credentials.getCredential(db, keys, param(req, 'credential_id'));
        enforce(req, 'delete_credential', owned(c));
        await credentials.deleteCredential(db, c.id);
        return sendEmpty(reply, 204);
      },
    },
    '/v3/users/:user_id/credentials/OS-EC2': {
      GET: async (req, reply) => {
        const userId = param(req, 'user_id');
        enforce(req, 'ec2_list_credentials', { user_id: userId });
        await getUser(db, userId);
        const list = await credentials.listCredentials(db, keys, { user_id: userId, type: credentials.EC2 });
        const ec2 = list.map((c) => ec2View(c, ec2Base(req, userId)));
        return sendJson(reply, 200, { credentials: ec2, links: collectionLinks(req) });
      },
      POST: async (req, reply) => {
        const userId = param(req, 'user_id');
        enforce(req, 'ec2_create_credential', { user_id: userId });
        const { tenant_id: projectId } = validate<{ tenant_id: string }>(EC2_CREATE, readJsonBody(req));
        await getUser(db, userId);
        await getProject(db, projectId);
        const c = await credentials.createEc2Credential(db, keys, userId, projectId, limit, binding(req));
        return sendJson(reply, 201, { credential: ec2View(c, ec2Base(req, userId)) });
      },
    },
    '/v3/users/:user_id/credentials/OS-EC2/:credential_id': {
      GET: async (req, reply) => {
        const c = await ec2Credential(req, 'ec2_get_credential');
        return sendJson(reply, 200, { credential: ec2View(c, ec2Base(req, c.user_id)) });
      },
      DELETE: async (req, reply) => {
        const c = await ec2Credential(req, 'ec2_delete_credential');
        await credentials.deleteCredential(db, c.id);
        return sendEmpty(reply, 204);
      },
    },
  };
}
