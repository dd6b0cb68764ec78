// /v3/domains.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { DomainTable } from '../db/schema.js';
import type { Identity } from '../context.js';
import { collectionLinks, query, queryFlag, readMember, selfLinks, sendJson } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import * as domains from '../objects/domain.js';
import { deleteDomain } from '../objects/domain_deletion.js';
import { DOMAIN_CREATE, DOMAIN_UPDATE } from '../schemas/resource.js';
import { enforcer } from './common.js';
import { domainView } from './views.js';

export function domainRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;
  const view = (req: FastifyRequest, d: DomainTable) => domainView(d, selfLinks(req, `/domains/${d.id}`));
  return {
    '/v3/domains': {
      GET: async (req, reply) => {
        enforce(req, 'list_domains');
        const q = query(req);
        const rows = await domains.listDomains(db, { name: q.name, enabled: queryFlag(q.enabled) });
        return sendJson(reply, 200, { domains: rows.map((d) => view(req, d)), links: collectionLinks(req) });
      },
      POST: async (req, reply) => {
        enforce(req, 'create_domain');
        const body = readMember<domains.DomainInput>(req, 'domain', DOMAIN_CREATE);
        return sendJson(reply, 201, { domain: view(req, await domains.createDomain(db, body)) });
      },
    },
    '/v3/domains/:domain_id': {
      GET: async (req, reply) => {
        const id = param(req, 'domain_id');
        enforce(req, 'get_domain', { target: { domain: { id } } });
        return sendJson(reply, 200, { domain: view(req, await domains.getDomain(db, id)) });
      },
      PATCH: async (req, reply) => {
        const id = param(req, 'domain_id');
        enforce(req, 'update_domain', { target: { domain: { id } } });
        const body = readMember<domains.DomainInput>(req, 'domain', DOMAIN_UPDATE);
        return sendJson(reply, 200, { domain: view(req, await domains.updateDomain(db, id, body)) });
      },
      DELETE: async (req, reply) => {
        const id = param(req, 'domain_id');
        enforce(req, 'delete_domain', { target: { domain: { id } } });
        await deleteDomain(db, id);
        return sendEmpty(reply, 204);
      },
    },
  };
}
