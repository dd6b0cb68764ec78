// /resource_providers and /resource_providers/{uuid}.
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { badRequest, conflict, notFound } from '../../common/http/errors.js';
import type { Placement } from '../context.js';
import * as codes from '../errors.js';
import {
  CannotDeleteParentResourceProvider,
  DuplicateEntry,
  NotFound,
  ObjectActionError,
  ResourceClassNotFound,
  ResourceProviderInUse,
  TraitNotFound,
} from '../exceptions.js';
import {
  absoluteUrl,
  authorize,
  byVersion,
  requireContent,
  cacheHeaders,
  checkAccept,
  latest,
  normalizeUuid,
  readJson,
  readQuery,
  allValues,
  sendJsonBody,
} from '../http.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import { jsonList, ownBuffer } from '../json_chunks.js';
import { filterProviders, type ProviderFilters } from '../provider_index/provider_filter.js';
import type { ProviderNode } from '../provider_index/model.js';
import * as rpObj from '../objects/resource_provider.js';
import { parseInTree, parseMemberOf, parseResources, parseTraits } from '../query.js';
import * as schema from '../schemas/resource_provider.js';

const POLICY = 'placement:resource_providers:';

export interface ProviderView {
  uuid: string;
  name: string;
  generation: number;
  parent_provider_uuid: string | null;
  root_provider_uuid: string;
}

function links(req: FastifyRequest, uuid: string) {
  const url = `${req.scriptName}/resource_providers/${uuid}`;
  const rels = ['inventories', 'usages'];
  if (req.version.gte('1.1')) rels.push('aggregates');
  if (req.version.gte('1.6')) rels.push('traits');
  if (req.version.gte('1.11')) rels.push('allocations');
  return [{ rel: 'self', href: url }, ...rels.map((rel) => ({ rel, href: `${url}/${rel}` }))];
}

export function serializeProvider(req: FastifyRequest, rp: ProviderView): Record<string, unknown> {
  const out: Record<string, unknown> = {
    uuid: rp.uuid,
    name: rp.name,
    generation: rp.generation,
    links: links(req, rp.uuid),
  };
  if (req.version.gte('1.14')) {
    out.parent_provider_uuid = rp.parent_provider_uuid;
    out.root_provider_uuid = rp.root_provider_uuid;
  }
  return out;
}

const listSchema = (req: FastifyRequest) =>
  byVersion<object>(
    req,
    [
      ['1.18', schema.GET_RPS_1_18],
      ['1.14', schema.GET_RPS_1_14],
      ['1.4', schema.GET_RPS_1_4],
      ['1.3', schema.GET_RPS_1_3],
    ],
    schema.GET_RPS_1_0,
  );

function filtersFrom(req: FastifyRequest, q: Record<string, string>): ProviderFilters {
  const f: ProviderFilters = {};
  if ('member_of' in q) f.memberOf = parseMemberOf(allValues(req, 'member_of'), req);
  if ('required' in q) f.traits = parseTraits(allValues(req, 'required'), req);
  if (q.uuid) f.uuid = q.uuid;
  if (q.name) f.name = q.name;
  if (q.in_tree) f.inTree = parseInTree(q.in_tree);
  if ('resources' in q) f.resources = parseResources(q.resources);
  return f;
}

function nodeView(p: Placement, n: ProviderNode): ProviderView {
  return {
    uuid: n.uuid,
    name: n.name,
    generation: n.generation,
    parent_provider_uuid: p.index.parentUuid(n),
    root_provider_uuid: p.index.rootUuid(n),
  };
}

export function resourceProviderRoutes(p: Placement): RouteTable {
  return {
    '/resource_providers': {
      GET: async (req, reply) => {
        checkAccept(req);
        authorize(p, req, `${POLICY}list`);
        const q = readQuery(req, listSchema(req));
        const filters = filtersFrom(req, q);
        await p.index.sync();
        let nodes: ProviderNode[];
        try {
          nodes = filterProviders(p.index, filters);
        } catch (e) {
          if (e instanceof ResourceClassNotFound)
            throw badRequest(`Invalid resource class in resources parameter: ${e.message}`);
          if (e instanceof TraitNotFound) throw badRequest(`Invalid trait(s) in "required" parameter: ${e.message}`);
          throw e;
        }
        let lm: string | null = null;
        // Each provider's text is cached on its index node (replaced whenever it changes), as
        // the candidates' summaries are: listing thousands of providers is then a concatenation.
        const key = `${req.scriptName}|${req.version}`;
        const items = nodes.map((n) => {
          lm = latest(lm, n.modifiedAt);
          const cache = (n.rendered ??= {});
          if (cache.providerKey !== key) {
            cache.provider = ownBuffer(JSON.stringify(serializeProvider(req, nodeView(p, n))));
            cache.providerKey = key;
          }
          return cache.provider!;
        });
        cacheHeaders(req, reply, lm);
        return sendJsonBody(reply, 200, jsonList(items, '{"resource_providers":[', ']}'));
      },
      POST: async (req, reply) => {
        requireContent(req);
        authorize(p, req, `${POLICY}create`);
        const data = readJson<{ name: string; uuid?: string; parent_provider_uuid?: string | null }>(
          req,
          req.version.gte('1.14') ? schema.POST_RP_1_14 : schema.POST_RP,
        );
        const uuid = data.uuid ? normalizeUuid(data.uuid) : randomUUID();
        let rp: rpObj.ResourceProvider;
        try {
          rp = await rpObj.createProvider(p.db, {
            uuid,
            name: data.name,
            parent_provider_uuid: data.parent_provider_uuid,
          });
        } catch (e) {
          if (e instanceof DuplicateEntry) {
            const dups = e.columns.map((c) =>
              c === 'uuid' ? `uuid: ${uuid}` : c === 'name' ? `name: ${data.name}` : c,
            );
            throw conflict(`Conflicting resource provider ${dups.join(', ')} already exists.`, codes.DUPLICATE_NAME);
          }
          if (e instanceof ObjectActionError) {
            throw badRequest(`Unable to create resource provider "${data.name}", ${uuid}: ${e.message}`);
          }
          throw e;
        }
        reply.header('location', absoluteUrl(req, `/resource_providers/${rp.uuid}`));
        if (req.version.lt('1.20')) return sendEmpty(reply, 201);
        cacheHeaders(req, reply, rp.updated_at ?? rp.created_at);
        return sendJson(reply, 200, serializeProvider(req, rp));
      },
    },
    '/resource_providers/:uuid': {
      GET: async (req, reply) => {
        checkAccept(req);
        authorize(p, req, `${POLICY}show`);
        const rp = await rpObj.getProvider(p.db, param(req, 'uuid'));
        cacheHeaders(req, reply, rp.updated_at ?? rp.created_at);
        return sendJson(reply, 200, serializeProvider(req, rp));
      },
      PUT: async (req, reply) => {
        requireContent(req);
        authorize(p, req, `${POLICY}update`);
        const uuid = param(req, 'uuid');
        await rpObj.getProvider(p.db, uuid);
        const data = readJson<{ name: string; parent_provider_uuid?: string | null }>(
          req,
          req.version.gte('1.14') ? schema.PUT_RP_1_14 : schema.PUT_RP,
        );
        let rp: rpObj.ResourceProvider;
        try {
          rp = await rpObj.updateProvider(p.db, uuid, data, req.version.gte('1.37'));
        } catch (e) {
          if (e instanceof DuplicateEntry) {
            throw conflict(`Conflicting resource provider ${data.name} already exists.`, codes.DUPLICATE_NAME);
          }
          if (e instanceof ObjectActionError)
            throw badRequest(`Unable to save resource provider ${uuid}: ${e.message}`);
          throw e;
        }
        cacheHeaders(req, reply, rp.updated_at);
        return sendJson(reply, 200, serializeProvider(req, rp));
      },
      DELETE: async (req, reply) => {
        authorize(p, req, `${POLICY}delete`);
        const uuid = param(req, 'uuid');
        try {
          await rpObj.deleteProvider(p.db, uuid);
        } catch (e) {
          if (e instanceof ResourceProviderInUse) {
            throw conflict(`Unable to delete resource provider ${uuid}: ${e.message}`, codes.PROVIDER_IN_USE);
          }
          if (e instanceof CannotDeleteParentResourceProvider) {
            throw conflict(
              `Unable to delete parent resource provider ${uuid}: It has child resource providers.`,
              codes.PROVIDER_CANNOT_DELETE_PARENT,
            );
          }
          if (e instanceof NotFound) throw notFound(e.message);
          throw e;
        }
        return sendEmpty(reply, 204);
      },
    },
  };
}
