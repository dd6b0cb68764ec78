// POST /reshaper (since 1.30).
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { HttpError, badRequest, conflict } from '../../common/http/errors.js';
import type { Placement } from '../context.js';
import * as codes from '../errors.js';
import { ConcurrentUpdateDetected, InvalidInventory, InventoryInUse, NotFound } from '../exceptions.js';
import { authorize, byVersion, readJson, requireContent, requireVersion } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { AllocationProviderNotFound } from '../objects/allocation.js';
import { ConsumerGenerationConflict } from '../objects/consumer.js';
import { INVENTORY_DEFAULTS, type Inventory, type InventoryFields } from '../objects/inventory.js';
import { reshape, type Reshape } from '../objects/reshaper.js';
import { findProvider } from '../objects/resource_provider.js';
import * as schema from '../schemas/reshaper.js';
import { toWrite, type ConsumerBody } from './allocations.js';

interface Body {
  inventories: Record<string, { resource_provider_generation: number; inventories: Record<string, InventoryFields> }>;
  allocations: Record<string, ConsumerBody>;
}

const bodySchema = (req: FastifyRequest) =>
  byVersion<object>(
    req,
    [
      ['1.38', schema.POST_RESHAPER_1_38],
      ['1.34', schema.POST_RESHAPER_1_34],
    ],
    schema.POST_RESHAPER,
  );

export function reshaperRoutes(p: Placement): RouteTable {
  return {
    '/reshaper': {
      POST: async (req, reply) => {
        requireVersion(req, '1.30');
        requireContent(req);
        authorize(p, req, 'placement:reshaper:reshape');
        const data = readJson<Body>(req, bodySchema(req));
        const plan: Reshape = { inventories: [], allocations: [] };
        for (const [uuid, inv] of Object.entries(data.inventories)) {
          const rp = await findProvider(p.db, uuid);
          if (!rp) {
            throw new HttpError(
              400,
              `Resource provider ${uuid} in inventories not found: No resource provider with uuid ${uuid} found`,
              codes.RESOURCE_PROVIDER_NOT_FOUND,
            );
          }
          if (inv.resource_provider_generation !== rp.generation) {
            throw conflict(
              `resource provider generation conflict for provider ${uuid}: actual: ${rp.generation}, given: ${inv.resource_provider_generation}`,
              codes.CONCURRENT_UPDATE,
            );
          }
          const list: Inventory[] = Object.entries(inv.inventories).map(([rc, f]) => ({
            ...INVENTORY_DEFAULTS,
            ...f,
            resource_class: rc,
          }));
          plan.inventories.push({ rp, inventories: list });
        }
        plan.allocations = Object.entries(data.allocations).map(([uuid, body]) => toWrite(p, req, uuid, body));
        try {
          await reshape(p.db, p.log, p.ids, plan);
        } catch (e) {
          if (e instanceof AllocationProviderNotFound) throw badRequest(e.message);
          if (e instanceof ConsumerGenerationConflict) throw conflict(e.message, codes.CONCURRENT_UPDATE);
          if (e instanceof ConcurrentUpdateDetected)
            throw conflict(`update conflict: ${e.message}`, codes.CONCURRENT_UPDATE);
          if (e instanceof NotFound) throw badRequest(`malformed reshaper data: ${e.message}`);
          if (e instanceof InventoryInUse) throw conflict(`update conflict: ${e.message}`, codes.INVENTORY_INUSE);
          if (e instanceof InvalidInventory) throw conflict(`Unable to allocate inventory: ${e.message}`);
          throw e;
        }
        return sendEmpty(reply, 204);
      },
    },
  };
}
