// /v3/regions.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import type { RegionTable } from '../db/schema.js';
import { invalid } from '../exceptions.js';
import { collectionLinks, query, readMember, selfLinks, sendJson } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import * as catalog from '../objects/catalog.js';
import { REGION_CREATE, REGION_UPDATE } from '../schemas/catalog.js';
import { enforcer } from './common.js';
import { regionView } from './views.js';

export function regionRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;
  const link = (req: FastifyRequest, r: RegionTable) => selfLinks(req, `/regions/${encodeURIComponent(r.id)}`);
  const view = (req: FastifyRequest, r: RegionTable) => regionView(r, link(req, r));
  return {
    '/v3/regions': {
      GET: async (req, reply) => {
        enforce(req, 'list_regions');
        const rows = await catalog.listRegions(db, { parent_region_id: query(req).parent_region_id });
        return sendJson(reply, 200, { regions: rows.map((r) => view(req, r)), links: collectionLinks(req) });
      },
      POST: async (req, reply) => {
        enforce(req, 'create_region');
        const body = readMember<catalog.RegionInput>(req, 'region', REGION_CREATE);
        const r = await catalog.createRegion(db, body);
        return sendJson(reply.header('location', link(req, r).self), 201, { region: view(req, r) });
      },
    },
    '/v3/regions/:region_id': {
      GET: async (req, reply) => {
        enforce(req, 'get_region');
        return sendJson(reply, 200, { region: view(req, await catalog.getRegion(db, param(req, 'region_id'))) });
      },
      PUT: async (req, reply) => {
        enforce(req, 'create_region');
        const id = param(req, 'region_id');
        const body = readMember<catalog.RegionInput>(req, 'region', REGION_CREATE);
        if (body.id !== undefined && body.id !== id) {
          throw invalid(`Conflicting region IDs specified: "${id}" and "${body.id}"`);
        }
        const r = await catalog.createRegion(db, { ...body, id });
        return sendJson(reply.header('location', link(req, r).self), 201, { region: view(req, r) });
      },
      PATCH: async (req, reply) => {
        enforce(req, 'update_region');
        const body = readMember<catalog.RegionInput>(req, 'region', REGION_UPDATE);
        return sendJson(reply, 200, {
          region: view(req, await catalog.updateRegion(db, param(req, 'region_id'), body)),
        });
      },
      DELETE: async (req, reply) => {
        enforce(req, 'delete_region');
        await catalog.deleteRegion(db, param(req, 'region_id'));
        return sendEmpty(reply, 204);
      },
    },
  };
}
