// /resource_providers/{uuid}/aggregates (since 1.1; generation-checked since 1.19).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { conflict } from '../../common/http/errors.js';
import type { Placement } from '../context.js';
import * as codes from '../errors.js';
import { ConcurrentUpdateDetected, GenerationMismatch } from '../exceptions.js';
import { authorize, requireContent, cacheHeaders, checkAccept, readJsonFor, requireVersion } from '../http.js';
import { param } from '../../common/http/request_params.js';
import { sendJson } from '../../common/http/reply.js';
import { providerAggregates, setProviderAggregates } from '../objects/aggregate.js';
import { getProvider } from '../objects/resource_provider.js';
import * as schema from '../schemas/aggregate.js';

const POLICY = 'placement:resource_providers:aggregates:';

function send(req: FastifyRequest, reply: FastifyReply, rp: { generation: number }, aggregates: string[]) {
  const body: Record<string, unknown> = { aggregates };
  if (req.version.gte('1.19')) body.resource_provider_generation = rp.generation;
  // Upstream has no modification time for memberships and reports "now".
  cacheHeaders(req, reply, null);
  return sendJson(reply, 200, body);
}

export function aggregateRoutes(p: Placement): RouteTable {
  return {
    '/resource_providers/:uuid/aggregates': {
      GET: async (req, reply) => {
        requireVersion(req, '1.1');
        checkAccept(req);
        authorize(p, req, `${POLICY}list`);
        const rp = await getProvider(p.db, param(req, 'uuid'));
        return send(req, reply, rp, await providerAggregates(p.db, rp));
      },
      PUT: async (req, reply) => {
        requireVersion(req, '1.1');
        requireContent(req);
        authorize(p, req, `${POLICY}update`);
        const uuid = param(req, 'uuid');
        const exists = () => getProvider(p.db, uuid);
        let aggregates: string[];
        let expected: number | null = null;
        if (req.version.gte('1.19')) {
          const data = await readJsonFor<{ aggregates: string[]; resource_provider_generation: number }>(
            req,
            schema.PUT_AGGREGATES_1_19,
            exists,
          );
          aggregates = data.aggregates;
          expected = data.resource_provider_generation;
        } else {
          aggregates = await readJsonFor<string[]>(req, schema.PUT_AGGREGATES_1_1, exists);
        }
        let rp;
        try {
          rp = await setProviderAggregates(p.db, p.engine, p.ids, uuid, aggregates, expected);
        } catch (e) {
          if (e instanceof GenerationMismatch) {
            throw conflict(
              "Resource provider's generation already changed. Please update the generation and try again.",
              codes.CONCURRENT_UPDATE,
            );
          }
          if (e instanceof ConcurrentUpdateDetected)
            throw conflict(`Update conflict: ${e.message}`, codes.CONCURRENT_UPDATE);
          throw e;
        }
        return send(req, reply, rp, aggregates);
      },
    },
  };
}
