// /v3/endpoints.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import type { EndpointTable } from '../db/schema.js';
import { collectionLinks, query, readMember, selfLinks, sendJson } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import * as catalog from '../objects/catalog.js';
import { ENDPOINT_CREATE, ENDPOINT_UPDATE } from '../schemas/catalog.js';
import { enforcer } from './common.js';
import { endpointView } from './views.js';

export function endpointRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;
  const view = (req: FastifyRequest, e: EndpointTable) => endpointView(e, selfLinks(req, `/endpoints/${e.id}`));
  return {
    '/v3/endpoints': {
      GET: async (req, reply) => {
        enforce(req, 'list_endpoints');
        const q = query(req);
        const rows = await catalog.listEndpoints(db, {
          interface: q.interface,
          service_id: q.service_id,
          region_id: q.region_id,
        });
        return sendJson(reply, 200, { endpoints: rows.map((e) => view(req, e)), links: collectionLinks(req) });
      },
      POST: async (req, reply) => {
        enforce(req, 'create_endpoint');
        const body = readMember<catalog.EndpointInput>(req, 'endpoint', ENDPOINT_CREATE);
        return sendJson(reply, 201, { endpoint: view(req, await catalog.createEndpoint(db, body)) });
      },
    },
    '/v3/endpoints/:endpoint_id': {
      GET: async (req, reply) => {
        enforce(req, 'get_endpoint');
        return sendJson(reply, 200, { endpoint: view(req, await catalog.getEndpoint(db, param(req, 'endpoint_id'))) });
      },
      PATCH: async (req, reply) => {
        enforce(req, 'update_endpoint');
        const body = readMember<catalog.EndpointInput>(req, 'endpoint', ENDPOINT_UPDATE);
        return sendJson(reply, 200, {
          endpoint: view(req, await catalog.updateEndpoint(db, param(req, 'endpoint_id'), body)),
        });
      },
      DELETE: async (req, reply) => {
        enforce(req, 'delete_endpoint');
        await catalog.deleteEndpoint(db, param(req, 'endpoint_id'));
        return sendEmpty(reply, 204);
      },
    },
  };
}
