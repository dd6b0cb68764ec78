// /allocations (POST, since 1.13), /allocations/{consumer_uuid} and
// /resource_providers/{uuid}/allocations.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { badRequest, conflict, notFound } from '../../common/http/errors.js';
import type { Placement } from '../context.js';
import * as codes from '../errors.js';
import { ConcurrentUpdateDetected, InvalidInventory, NotFound } from '../exceptions.js';
import {
  UUID_RE,
  authorize,
  byVersion,
  cacheHeaders,
  checkAccept,
  latest,
  normalizeUuid,
  readJson,
  requireContent,
  requireVersion,
  or404,
} from '../http.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import * as alloc from '../objects/allocation.js';
import { ConsumerGenerationConflict, findConsumer } from '../objects/consumer.js';
import { getProvider } from '../objects/resource_provider.js';
import * as schema from '../schemas/allocation.js';

type Resources = Record<string, number>;
export interface ConsumerBody {
  allocations:
    Record<string, { resources: Resources }> | { resource_provider: { uuid: string }; resources: Resources }[];
  project_id?: string;
  user_id?: string;
  consumer_generation?: number | null;
  consumer_type?: string;
}

const putSchema = (req: FastifyRequest) =>
  byVersion<object>(
    req,
    [
      ['1.38', schema.ALLOCATION_1_38],
      ['1.34', schema.ALLOCATION_1_34],
      ['1.28', schema.ALLOCATION_1_28],
      ['1.12', schema.ALLOCATION_1_12],
      ['1.8', schema.ALLOCATION_1_8],
    ],
    schema.ALLOCATION_1_0,
  );

const postSchema = (req: FastifyRequest) =>
  byVersion<object>(
    req,
    [
      ['1.38', schema.POST_ALLOCATIONS_1_38],
      ['1.34', schema.POST_ALLOCATIONS_1_34],
      ['1.28', schema.POST_ALLOCATIONS_1_28],
    ],
    schema.POST_ALLOCATIONS_1_13,
  );

/** The body of one consumer as the objects layer wants it. Before 1.8 a write names no
 * project or user: the consumer is recorded with the configured "incomplete" ones. */
export function toWrite(p: Placement, req: FastifyRequest, uuid: string, body: ConsumerBody): alloc.ConsumerWrite {
  const allocations = new Map<string, Map<string, number>>();
  if (Array.isArray(body.allocations)) {
    for (const a of body.allocations) allocations.set(a.resource_provider.uuid, new Map(Object.entries(a.resources)));
  } else {
    for (const [rp, a] of Object.entries(body.allocations)) allocations.set(rp, new Map(Object.entries(a.resources)));
  }
  const incomplete = body.project_id === undefined;
  return {
    uuid,
    projectId: incomplete ? p.config.incompleteConsumerProjectId : body.project_id!,
    userId: incomplete ? p.config.incompleteConsumerUserId : body.user_id!,
    checkGeneration: req.version.gte('1.28'),
    generation: body.consumer_generation,
    ...(req.version.gte('1.38') ? { consumerType: body.consumer_type } : {}),
    allocations,
  };
}

/** Upstream's error texts for a failed write; `what` names the consumer on PUT. */
function writeError(e: unknown, what: string): unknown {
  if (e instanceof alloc.AllocationProviderNotFound) return badRequest(e.message);
  if (e instanceof ConsumerGenerationConflict) return conflict(e.message, codes.CONCURRENT_UPDATE);
  if (e instanceof NotFound) return badRequest(`Unable to allocate inventory${what}: ${e.message}`);
  if (e instanceof InvalidInventory) return conflict(`Unable to allocate inventory: ${e.message}`);
  if (e instanceof ConcurrentUpdateDetected) {
    return conflict(
      `Inventory and/or allocations changed while attempting to allocate: ${e.message}`,
      codes.CONCURRENT_UPDATE,
    );
  }
  return e;
}

async function sendForConsumer(p: Placement, req: FastifyRequest, reply: FastifyReply, consumerUuid: string) {
  const rows = await alloc.listForConsumer(p.db, consumerUuid);
  const allocations: Record<string, { resources: Resources; generation: number }> = {};
  let lm: string | null = null;
  for (const r of rows) {
    const entry = (allocations[r.resource_provider_uuid] ??= {
      resources: {},
      generation: r.resource_provider_generation,
    });
    entry.resources[r.resource_class] = r.used;
    lm = latest(lm, r.updated_at ?? r.created_at);
  }
  const body: Record<string, unknown> = { allocations };
  const consumer = rows.length && req.version.gte('1.12') ? await findConsumer(p.db, consumerUuid) : undefined;
  if (consumer) {
    body.project_id = consumer.project;
    body.user_id = consumer.user;
    if (req.version.gte('1.28')) body.consumer_generation = consumer.generation;
    if (req.version.gte('1.38')) body.consumer_type = consumer.consumer_type ?? 'unknown';
  }
  cacheHeaders(req, reply, lm);
  return sendJson(reply, 200, body);
}

export function allocationRoutes(p: Placement): RouteTable {
  const retries = p.config.allocationConflictRetryCount;
  return {
    '/allocations': {
      POST: async (req, reply) => {
        requireVersion(req, '1.13');
        requireContent(req);
        authorize(p, req, 'placement:allocations:manage');
        const data = readJson<Record<string, ConsumerBody>>(req, postSchema(req));
        const writes = Object.entries(data).map(([uuid, body]) => toWrite(p, req, uuid, body));
        try {
          await alloc.replaceAllocations(p.db, p.ids, writes, retries);
        } catch (e) {
          throw writeError(e, '');
        }
        return sendEmpty(reply, 204);
      },
    },
    '/allocations/:consumer_uuid': {
      GET: async (req, reply) => {
        checkAccept(req);
        authorize(p, req, 'placement:allocations:list');
        return sendForConsumer(p, req, reply, param(req, 'consumer_uuid'));
      },
      PUT: async (req, reply) => {
        requireContent(req);
        authorize(p, req, 'placement:allocations:update');
        const raw = param(req, 'consumer_uuid');
        if (!UUID_RE.test(raw)) throw badRequest(`Malformed consumer_uuid: ${raw}`);
        const uuid = normalizeUuid(raw);
        const data = readJson<ConsumerBody>(req, putSchema(req));
        try {
          await alloc.replaceAllocations(p.db, p.ids, [toWrite(p, req, uuid, data)], retries);
        } catch (e) {
          throw writeError(e, ` for consumer ${uuid}`);
        }
        return sendEmpty(reply, 204);
      },
      DELETE: async (req, reply) => {
        authorize(p, req, 'placement:allocations:delete');
        const uuid = param(req, 'consumer_uuid');
        if (!(await alloc.deleteConsumerAllocations(p.db, uuid)))
          throw notFound(`No allocations for consumer '${uuid}'`);
        return sendEmpty(reply, 204);
      },
    },
    '/resource_providers/:uuid/allocations': {
      GET: async (req, reply) => {
        checkAccept(req);
        authorize(p, req, 'placement:resource_providers:allocations:list');
        const uuid = param(req, 'uuid');
        const rp = await or404(getProvider(p.db, uuid), (m) => `Resource provider '${uuid}' not found: ${m}`);
        const allocations: Record<string, { resources: Resources; consumer_generation?: number | null }> = {};
        let lm: string | null = null;
        for (const r of await alloc.listForProvider(p.db, rp)) {
          const entry = (allocations[r.consumer_uuid] ??= { resources: {} });
          entry.resources[r.resource_class] = r.used;
          if (req.version.gte('1.28')) entry.consumer_generation = r.consumer_generation;
          lm = latest(lm, r.updated_at ?? r.created_at);
        }
        cacheHeaders(req, reply, lm);
        return sendJson(reply, 200, { allocations, resource_provider_generation: rp.generation });
      },
    },
  };
}
