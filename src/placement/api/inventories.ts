// /resource_providers/{uuid}/inventories[/{resource_class}].
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { badRequest, conflict, notFound, HttpError } from '../../common/http/errors.js';
import type { Placement } from '../context.js';
import * as codes from '../errors.js';
import {
  ConcurrentUpdateDetected,
  DuplicateEntry,
  GenerationMismatch,
  InvalidInventoryCapacity,
  InventoryInUse,
  InventoryWithResourceClassNotFound,
  NotFound,
  ResourceClassNotFound,
} from '../exceptions.js';
import {
  absoluteUrl,
  authorize,
  requireContent,
  cacheHeaders,
  checkAccept,
  latest,
  readJson,
  readJsonFor,
  or404,
} from '../http.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import * as inv from '../objects/inventory.js';
import { getProvider, type ProviderRef, type ResourceProvider } from '../objects/resource_provider.js';
import * as schema from '../schemas/inventory.js';

const POLICY = 'placement:resource_providers:inventories:';
const FIELDS = ['total', 'reserved', 'min_unit', 'max_unit', 'step_size', 'allocation_ratio'] as const;

function serialize(i: inv.InventoryFields, generation?: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of FIELDS) out[f] = i[f];
  // Upstream omits a generation of 0 here (a falsy check); kept for wire compatibility.
  if (generation) out.resource_provider_generation = generation;
  return out;
}

function sendInventories(req: FastifyRequest, reply: FastifyReply, rp: { generation: number }, list: inv.Inventory[]) {
  let lm: string | null = null;
  const inventories: Record<string, unknown> = {};
  for (const i of list) {
    lm = latest(lm, i.updated_at ?? i.created_at ?? new Date().toISOString());
    inventories[i.resource_class] = serialize(i);
  }
  cacheHeaders(req, reply, lm);
  return sendJson(reply, 200, { resource_provider_generation: rp.generation, inventories });
}

function sendInventory(req: FastifyRequest, reply: FastifyReply, rp: ResourceProvider, i: inv.Inventory, status = 200) {
  cacheHeaders(req, reply, i.updated_at ?? i.created_at ?? null);
  return sendJson(reply, status, serialize(i, rp.generation));
}

function withDefaults(rc: string, data: Partial<inv.InventoryFields> & { total: number }): inv.Inventory {
  return {
    ...inv.INVENTORY_DEFAULTS,
    ...data,
    resource_class: rc,
    allocation_ratio: Number(data.allocation_ratio ?? 1.0),
  };
}

/** Reserved may equal total since 1.26; before, the capacity must stay positive. */
function checkCapacity(req: FastifyRequest, rp: { uuid: string }, list: inv.Inventory[]) {
  const reservedMayEqualTotal = req.version.gte('1.26');
  for (const i of list) {
    const cap = inv.capacity(i);
    if (reservedMayEqualTotal ? cap < 0 : cap <= 0) {
      throw new InvalidInventoryCapacity(i.resource_class, rp.uuid, reservedMayEqualTotal);
    }
  }
}

/** A fresh view of the inventory just written (timestamps, generation). */
async function reread(p: Placement, rp: ResourceProvider, rc: string): Promise<inv.Inventory | undefined> {
  return (await inv.listInventories(p.db, rp)).find((i) => i.resource_class === rc);
}

function checkGeneration(rp: ResourceProvider, generation: number) {
  if (generation !== rp.generation) {
    throw conflict('resource provider generation conflict', codes.CONCURRENT_UPDATE);
  }
}

export function inventoryRoutes(p: Placement): RouteTable {
  const provider = (req: FastifyRequest, wrap = false) => {
    const uuid = param(req, 'uuid');
    return wrap
      ? or404(getProvider(p.db, uuid), (m) => `No resource provider with uuid ${uuid} found : ${m}`)
      : getProvider(p.db, uuid);
  };
  return {
    '/resource_providers/:uuid/inventories': {
      GET: async (req, reply) => {
        checkAccept(req);
        authorize(p, req, `${POLICY}list`);
        const rp = await provider(req, true);
        return sendInventories(req, reply, rp, await inv.listInventories(p.db, rp));
      },
      POST: async (req, reply) => {
        requireContent(req);
        authorize(p, req, `${POLICY}create`);
        const rp = await provider(req);
        const data = readJson<inv.InventoryFields & { resource_class: string }>(req, schema.POST_INVENTORY);
        const i = withDefaults(data.resource_class, data);
        try {
          checkCapacity(req, rp, [i]);
          await inv.addInventory(p.db, rp, i);
        } catch (e) {
          if (e instanceof ConcurrentUpdateDetected || e instanceof DuplicateEntry) {
            throw conflict(`Update conflict: ${e.message}`, codes.CONCURRENT_UPDATE);
          }
          if (e instanceof InvalidInventoryCapacity || e instanceof NotFound) {
            throw badRequest(`Unable to create inventory for resource provider ${rp.uuid}: ${e.message}`);
          }
          throw e;
        }
        reply.header('location', absoluteUrl(req, `/resource_providers/${rp.uuid}/inventories/${i.resource_class}`));
        return sendInventory(req, reply, rp, (await reread(p, rp, i.resource_class)) ?? i, 201);
      },
      PUT: async (req, reply) => {
        requireContent(req);
        authorize(p, req, `${POLICY}update`);
        const uuid = param(req, 'uuid');
        // The provider is not read beforehand: the write claims it by generation. Only a bad
        // body needs a look first, since a missing provider is a 404 whatever the body.
        const data = await readJsonFor<{
          resource_provider_generation: number;
          inventories: Record<string, inv.InventoryFields>;
        }>(req, schema.PUT_INVENTORIES, () => provider(req));
        const list = Object.entries(data.inventories).map(([rc, d]) => withDefaults(rc, d));
        let rp: ProviderRef;
        try {
          rp = await inv.setInventories(
            p.db,
            p.engine,
            p.log,
            uuid,
            data.resource_provider_generation,
            list,
            (claimed) => checkCapacity(req, claimed, list),
          );
        } catch (e) {
          if (e instanceof GenerationMismatch)
            throw conflict('resource provider generation conflict', codes.CONCURRENT_UPDATE);
          if (e instanceof ResourceClassNotFound) {
            throw badRequest(`Unknown resource class in inventory for resource provider ${uuid}: ${e.message}`);
          }
          if (e instanceof InventoryWithResourceClassNotFound) {
            throw conflict(
              `Race condition detected when setting inventory. No inventory record with resource class for resource provider ${uuid}: ${e.message}`,
            );
          }
          if (e instanceof ConcurrentUpdateDetected)
            throw conflict(`update conflict: ${e.message}`, codes.CONCURRENT_UPDATE);
          if (e instanceof InventoryInUse) throw conflict(`update conflict: ${e.message}`, codes.INVENTORY_INUSE);
          if (e instanceof InvalidInventoryCapacity) {
            throw badRequest(`Unable to update inventory for resource provider ${uuid}: ${e.message}`);
          }
          throw e;
        }
        // What was written is what is there: no need to read it back.
        const written = new Date().toISOString();
        return sendInventories(
          req,
          reply,
          rp,
          list.map((i) => ({ ...i, updated_at: written })),
        );
      },
      DELETE: async (req, reply) => {
        // Deleting all inventory at once exists since 1.5; before, the method is not allowed.
        if (req.version.lt('1.5')) {
          throw new HttpError(
            405,
            'The method specified is not allowed for this resource.',
            undefined,
            { allow: 'GET, POST, PUT' },
            `The method ${req.method} is not allowed for this resource.`,
          );
        }
        authorize(p, req, `${POLICY}delete`);
        const rp = await provider(req);
        try {
          await inv.setInventories(p.db, p.engine, p.log, rp.uuid, rp.generation, []);
        } catch (e) {
          if (e instanceof ConcurrentUpdateDetected) {
            throw conflict(
              `Unable to delete inventory for resource provider ${rp.uuid} because the inventory was updated by another process. Please retry your request.`,
              codes.CONCURRENT_UPDATE,
            );
          }
          if (e instanceof InventoryInUse) throw conflict(e.message, codes.INVENTORY_INUSE);
          throw e;
        }
        return sendEmpty(reply, 204);
      },
    },
    '/resource_providers/:uuid/inventories/:resource_class': {
      GET: async (req, reply) => {
        checkAccept(req);
        authorize(p, req, `${POLICY}show`);
        const rp = await provider(req, true);
        const rc = param(req, 'resource_class');
        const i = (await inv.listInventories(p.db, rp)).find((x) => x.resource_class === rc);
        if (!i) throw notFound(`No inventory of class ${rc} for ${rp.uuid}`);
        return sendInventory(req, reply, rp, i);
      },
      PUT: async (req, reply) => {
        requireContent(req);
        authorize(p, req, `${POLICY}update`);
        const rp = await provider(req);
        const rc = param(req, 'resource_class');
        const data = readJson<inv.InventoryFields & { resource_provider_generation: number }>(
          req,
          schema.BASE_INVENTORY,
        );
        checkGeneration(rp, data.resource_provider_generation);
        const { resource_provider_generation: _gen, ...fields } = data;
        const i = withDefaults(rc, fields);
        try {
          checkCapacity(req, rp, [i]);
          await inv.updateInventory(p.db, p.log, rp, i);
        } catch (e) {
          if (e instanceof ConcurrentUpdateDetected)
            throw conflict(`update conflict: ${e.message}`, codes.CONCURRENT_UPDATE);
          if (e instanceof InventoryWithResourceClassNotFound || e instanceof ResourceClassNotFound) {
            throw badRequest(`No inventory record with resource class for resource provider ${rp.uuid}: ${e.message}`);
          }
          if (e instanceof InvalidInventoryCapacity) {
            throw badRequest(`Unable to update inventory for resource provider ${rp.uuid}: ${e.message}`);
          }
          throw e;
        }
        return sendInventory(req, reply, rp, (await reread(p, rp, rc)) ?? i);
      },
      DELETE: async (req, reply) => {
        authorize(p, req, `${POLICY}delete`);
        const rp = await provider(req);
        const rc = param(req, 'resource_class');
        try {
          await inv.deleteInventory(p.db, rp, rc);
        } catch (e) {
          if (e instanceof ConcurrentUpdateDetected || e instanceof InventoryInUse) {
            throw conflict(`Unable to delete inventory of class ${rc}: ${e.message}`, codes.CONCURRENT_UPDATE);
          }
          if (e instanceof NotFound) throw notFound(`No inventory of class ${rc} found for delete: ${e.message}`);
          throw e;
        }
        return sendEmpty(reply, 204);
      },
    },
  };
}
