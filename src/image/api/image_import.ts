// Interoperable image import (Glance API 2.6+): data staged with PUT /v2/images/{id}/stage and
// imported with method glance-direct, or fetched by the server from a URL with web-download
// (only URLs that pass [import_filtering_opts], at every redirect hop: see import/web_download.ts).
// The import runs in the background, as Glance's task does: POST .../import answers 202, the image is 'importing' until its data is stored and
// then 'active'; a failed import puts it back to 'queued' (its staged data is dropped).
import type { FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { RouteTable } from '../../common/http/app.js';
import type { Image } from '../context.js';
import { badRequest, conflict } from '../errors.js';
import { isObject, requireJson, sendJson } from '../http.js';
import { param } from '../../common/http/request_params.js';
import { lookupImage } from './access.js';
import { activeWith, uploadLimit } from './image_data.js';
import { filterUri } from '../import/uri_filter.js';
import { openWebDownload } from '../import/web_download.js';
import { UploadLease } from '../uploads.js';
import { importEnded, importStarted } from '../objects/import_progress.js';

export const IMPORT_METHODS_HEADER = 'openstack-image-import-methods';

/** Where the data of an import comes from. */
type Source = () => Promise<Readable>;

async function fromStaging(image: Image, id: string): Promise<Readable> {
  const staged = await image.staging.open(id);
  if (!staged) throw new Error('no staged data');
  if (staged.size) return staged.stream(0, staged.size - 1);
  await staged.close();
  return Readable.from([]);
}

/** Stores the data and activates the image; on failure the image goes back to 'queued', the
 * stores it was imported to marked failed. */
async function runImport(image: Image, lease: UploadLease, stores: string[], source: Source): Promise<void> {
  const importing = lease.record;
  const id = importing.id;
  try {
    const limit = await uploadLimit(image, importing);
    const data = await source();
    // The store leaves its source open when it fails; nobody else reads this one.
    const stored = await lease.store.write(id, data, limit.bytes, lease.writeOptions).finally(() => data.destroy());
    // Deleted meanwhile: its data has no image to belong to.
    if (!(await lease.finish(importEnded(activeWith(importing, stored), stores, false)))) await image.store.remove(id);
  } catch (err) {
    image.log.warn({ err, image: id }, 'image import failed');
    await lease.abort(importEnded({ ...importing, status: 'queued', size: null }, stores, true)).catch(() => undefined);
  } finally {
    await image.staging.remove(id).catch(() => undefined);
  }
}

/** The stores an import goes to, as Glance's get_stores_from_request reads them: `all_stores`,
 * `stores`, or the X-Image-Meta-Store header, else the default store; here there is one store. */
function importStores(image: Image, req: FastifyRequest, body: Record<string, unknown>): string[] {
  const header = req.headers['x-image-meta-store'];
  if (body.all_stores === true) {
    if (Object.hasOwn(body, 'stores') || header !== undefined) {
      throw badRequest("All_stores parameter can't be used with x-image-meta-store header or stores parameter");
    }
    return [image.storeId];
  }
  let stores: unknown = [typeof header === 'string' ? header : image.storeId];
  if (Object.hasOwn(body, 'stores')) {
    if (header !== undefined)
      throw badRequest("Stores parameter and x-image-meta-store header can't be both specified");
    stores = body.stores;
  }
  if (!Array.isArray(stores) || !stores.length || !stores.every((s) => typeof s === 'string')) {
    throw badRequest("'stores' must be a list of store identifiers.");
  }
  const unknown = stores.find((s) => s !== image.storeId);
  if (unknown !== undefined) throw conflict(`Store for identifier ${unknown} not found`);
  return [image.storeId];
}

/** Checks the request as Glance does, takes the image to 'importing' and starts the import. */
async function importImage(image: Image, req: FastifyRequest): Promise<void> {
  const body = requireJson(req);
  const method = isObject(body) && isObject(body.method) ? body.method : null;
  const name = method && typeof method.name === 'string' ? method.name : null;
  if (!name) throw badRequest("Import request requires a 'method' field with a 'name'.");
  if (!image.config.enabledImportMethods.includes(name)) throw badRequest(`Import method ${name} is not valid.`);
  const access = await lookupImage(image, req, param(req, 'image_id'));
  const rec = access.record;
  if (rec.status === 'active') throw conflict('Image with status active cannot be target for import');
  if (name === 'web-download' && rec.status !== 'queued') {
    throw conflict(`Image needs to be in 'queued' state to use '${name}' method`);
  }
  if (name === 'glance-direct' && rec.status !== 'uploading') {
    throw conflict("Image needs to be staged before 'glance-direct' method can be used");
  }
  if (!rec.container_format) throw conflict("'container_format' needs to be set before import");
  if (!rec.disk_format) throw conflict("'disk_format' needs to be set before import");
  // Only the owner (or an administrator) imports data into an image.
  access.enforce('modify_image');
  const stores = importStores(image, req, body as Record<string, unknown>);
  let source: Source;
  if (name === 'web-download') {
    const uri = typeof method!.uri === 'string' ? method!.uri : '';
    // The address checks wait for the fetch, which resolves the name: an unresolvable host fails the
    // import, as in Glance, rather than the request.
    if (!filterUri(image.importFilters, uri)) throw badRequest(`URI for web-download does not pass filtering: ${uri}`);
    source = () => openWebDownload(image.importFilters, uri);
  } else {
    source = () => fromStaging(image, rec.id);
  }
  // The status is the lock: a second import finds the image no longer queued or uploading.
  const lease = await UploadLease.begin(image, rec, importStarted({ ...rec, status: 'importing' }, stores), 'store');
  if (!lease) {
    throw conflict(`New operation on image '${rec.id}' is not permitted as prior operation is still in progress`);
  }
  // The import goes on after the answer; its outcome shows in the image's status.
  void runImport(image, lease, stores, source);
}

export function imageImportRoutes(image: Image): RouteTable {
  return {
    '/v2/info/import': {
      GET: async (_req, reply) =>
        sendJson(reply, 200, {
          'import-methods': {
            description: 'Import methods available.',
            type: 'array',
            value: image.config.enabledImportMethods,
          },
        }),
    },
    '/v2/images/:image_id/import': {
      POST: async (req, reply) => {
        await importImage(image, req);
        return reply.code(202).send();
      },
    },
  };
}
