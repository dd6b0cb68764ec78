// The one store, as Glance with enabled_backends shows its stores: /v2/info/stores (discovery),
// /v2/info/stores/detail (administrators: type and settings), and DELETE
// /v2/stores/{store_id}/{image_id}, which cannot remove an image's data from its only store.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { HttpError } from '../../common/http/errors.js';
import type { Image } from '../context.js';
import { conflict, forbidden } from '../errors.js';
import { sendJson } from '../http.js';
import { param } from '../../common/http/request_params.js';
import { callerOf, lookupImage, notAuthorized } from './access.js';

/** glance_store's file driver reads and writes in chunks of this many bytes. */
const FILE_CHUNK_SIZE = 65536;

function stores(image: Image) {
  return [{ id: image.storeId, default: 'true' }];
}

async function detail(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const caller = callerOf(image, req);
  if (!image.policy.allowed(caller.ctx, 'stores_info_detail', { project_id: caller.project ?? undefined })) {
    throw notAuthorized('stores_info_detail');
  }
  return sendJson(reply, 200, {
    stores: stores(image).map((s) => ({
      ...s,
      type: 'file',
      properties: { data_dir: image.store.dir, chunk_size: FILE_CHUNK_SIZE, thin_provisioning: false },
    })),
  });
}

async function deleteFromStore(image: Image, req: FastifyRequest) {
  const storeId = param(req, 'store_id');
  if (storeId !== image.storeId) throw conflict(`The selected store ${storeId} is not available on this node.`);
  const id = param(req, 'image_id');
  const access = await lookupImage(image, req, id, () => new HttpError(404, `Failed to find image ${id}`));
  access.enforce('get_image_location');
  access.enforce('delete_image_location');
  if (access.record.status !== 'active') {
    throw conflict("It's not allowed to remove image data from store if image status is not 'active'");
  }
  throw forbidden('Cannot delete image data from the only store containing it. Consider deleting the image instead.');
}

export function storeRoutes(image: Image): RouteTable {
  return {
    '/v2/info/stores': { GET: async (_req, reply) => sendJson(reply, 200, { stores: stores(image) }) },
    '/v2/info/stores/detail': { GET: (req, reply) => detail(image, req, reply) },
    '/v2/stores/:store_id/:image_id': { DELETE: (req) => deleteFromStore(image, req) },
  };
}
