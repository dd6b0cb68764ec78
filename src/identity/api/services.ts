// /v3/services.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import type { ServiceTable } from '../db/schema.js';
import { collectionLinks, query, readMember, selfLinks, sendJson } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import * as catalog from '../objects/catalog.js';
import { SERVICE_CREATE, SERVICE_UPDATE } from '../schemas/catalog.js';
import { enforcer } from './common.js';
import { serviceView } from './views.js';

export function serviceRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;
  const view = (req: FastifyRequest, s: ServiceTable) => serviceView(s, selfLinks(req, `/services/${s.id}`));
  return {
    '/v3/services': {
      GET: async (req, reply) => {
        enforce(req, 'list_services');
        const q = query(req);
        const rows = await catalog.listServices(db, { type: q.type, name: q.name });
        return sendJson(reply, 200, { services: rows.map((s) => view(req, s)), links: collectionLinks(req) });
      },
      POST: async (req, reply) => {
        enforce(req, 'create_service');
        const body = readMember<catalog.ServiceInput>(req, 'service', SERVICE_CREATE);
        return sendJson(reply, 201, { service: view(req, await catalog.createService(db, body)) });
      },
    },
    '/v3/services/:service_id': {
      GET: async (req, reply) => {
        enforce(req, 'get_service');
        return sendJson(reply, 200, { service: view(req, await catalog.getService(db, param(req, 'service_id'))) });
      },
      PATCH: async (req, reply) => {
        enforce(req, 'update_service');
        const body = readMember<catalog.ServiceInput>(req, 'service', SERVICE_UPDATE);
        return sendJson(reply, 200, {
          service: view(req, await catalog.updateService(db, param(req, 'service_id'), body)),
        });
      },
      DELETE: async (req, reply) => {
        enforce(req, 'delete_service');
        await catalog.deleteService(db, param(req, 'service_id'));
        return sendEmpty(reply, 204);
      },
    },
  };
}
