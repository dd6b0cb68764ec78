// /v2/images/{image_id}/file: upload (streamed to the store, hashed on the way, never held in
// memory) and download (streamed, with Range support), as Glance's ImageDataController.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { RouteTable } from '../../common/http/app.js';
import { HttpError } from '../../common/http/errors.js';
import type { Image } from '../context.js';
import { badRequest, conflict, forbidden, tooLarge, unsupportedMediaType } from '../errors.js';
import { mediaType } from '../../common/http/request_body.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import { checkTransition, storageUsage, type ImageRecord } from '../objects/image.js';
import { DataStreamError, DataTooLarge, type StoredData } from '../store/filesystem.js';
import { virtualSize } from '../store/inspect.js';
import { lookupImage } from './access.js';
import { UploadLease } from '../uploads.js';

const UPLOAD_ROUTE = '/v2/images/:image_id/file';
const STAGE_ROUTE = '/v2/images/:image_id/stage';

/** Whether a request is an upload (or staging), whose body the handler streams itself (no body
 * limit applies). */
export function isUpload(req: FastifyRequest): boolean {
  const route = req.routeOptions.url ?? '';
  return req.method === 'PUT' && (route.endsWith(UPLOAD_ROUTE) || route.endsWith(STAGE_ROUTE));
}

/** Glance's messages for data over the size cap or over the owner's storage quota. */
export function overCap(): HttpError {
  return tooLarge('The incoming image is too large: The provided image is too large.', { connection: 'close' });
}
export function overQuota(remaining: number, size?: number): HttpError {
  const data = size === undefined ? 'data' : `data ${size}`;
  return tooLarge(
    `Image exceeds the storage quota: The size of the ${data} will exceed the limit. ${remaining} bytes ` +
      'remaining.',
    { connection: 'close' },
  );
}

/** Why storing failed, as Glance reports store and client errors; anything else is a fault here. */
export function storeError(e: unknown, limit: UploadLimit): unknown {
  if (e instanceof DataTooLarge) return limit.byCap ? overCap() : overQuota(limit.remaining);
  if (e instanceof DataStreamError) {
    // The client stopped sending (the server's 408) rather than sent something wrong.
    return e.cause instanceof HttpError ? e.cause : badRequest(`Error reading the image data: ${e.message}`);
  }
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return tooLarge('Image storage media is full.', { connection: 'close' });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new HttpError(503, 'Insufficient permissions on image storage media.');
  }
  return e;
}

export interface UploadLimit {
  /** The most bytes this upload may store. */
  bytes: number;
  /** Whether the size cap, rather than the owner's quota, is what limits it. */
  byCap: boolean;
  /** What is left of the owner's quota (0 when it has none). */
  remaining: number;
}

export async function uploadLimit(image: Image, rec: ImageRecord): Promise<UploadLimit> {
  const cap = image.config.imageSizeCap;
  const quota = image.userStorageQuota;
  const remaining =
    quota > 0 && rec.owner !== null ? Math.max(0, quota - (await storageUsage(image.db, rec.owner, rec.id))) : Infinity;
  return {
    bytes: Math.min(cap, remaining),
    byCap: cap <= remaining,
    remaining: Number.isFinite(remaining) ? remaining : 0,
  };
}

/** The image once `stored` is its data: active, with its size, checksums and virtual size. */
export function activeWith(rec: ImageRecord, stored: StoredData): ImageRecord {
  return {
    ...rec,
    status: 'active',
    size: stored.size,
    checksum: stored.md5,
    os_hash_algo: 'sha512',
    os_hash_value: stored.sha512,
    virtual_size: virtualSize(rec.disk_format, stored.size, stored.head),
  };
}

/** PUT .../file stores the data and makes the image active; PUT .../stage (interoperable
 * import) keeps it in the staging area, the image 'uploading' until it is imported. */
type Receive = 'upload' | 'stage';

async function receive(image: Image, req: FastifyRequest, reply: FastifyReply, mode: Receive) {
  const ctype = mediaType(req);
  if (ctype !== 'application/octet-stream') {
    throw unsupportedMediaType(`Invalid content type ${req.headers['content-type'] ? ctype : 'None'}`);
  }
  const id = param(req, 'image_id');
  const store = req.headers['x-image-meta-store'];
  if (mode === 'upload' && store !== undefined && store !== image.storeId) {
    throw badRequest(`Store for identifier ${String(store)} not found`);
  }
  const access = await lookupImage(image, req, id);
  access.enforce('upload_image');
  const before = access.record;
  const interim = mode === 'upload' ? 'saving' : 'uploading';
  checkTransition(before, interim);
  const limit = await uploadLimit(image, before);
  const lease = await UploadLease.begin(
    image,
    before,
    { ...before, status: interim },
    mode === 'upload' ? 'store' : 'staging',
  );
  if (!lease) throw conflict(`Image status transition from ${before.status} to ${interim} is not allowed`);
  const receiving = lease.record;

  const declared = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
  let stored;
  try {
    // A declared size over the limit is refused before any data is read.
    if (declared !== undefined && declared > limit.bytes) {
      throw limit.byCap ? overCap() : overQuota(limit.remaining, declared);
    }
    // A request without a body at all reaches no parser: it uploads nothing.
    const body = req.body instanceof Readable ? req.body : Readable.from([]);
    stored = await lease.store.write(id, body, limit.bytes, lease.writeOptions);
  } catch (e) {
    // Deleted meanwhile (which also removed the partial data): that is what went wrong.
    if (!(await lease.abort(before))) throw goneDuringUpload(id);
    throw storeError(e, limit);
  }
  // Two uploads to one project racing past the quota: the later one to finish gives way.
  const quota = image.userStorageQuota;
  if (quota > 0 && before.owner !== null && stored.size + (await storageUsage(image.db, before.owner, id)) > quota) {
    await lease.store.remove(id);
    await lease.abort(before);
    throw overQuota(Math.max(0, quota - (await storageUsage(image.db, before.owner, id))), stored.size);
  }
  const after: ImageRecord = mode === 'stage' ? { ...receiving, size: stored.size } : activeWith(receiving, stored);
  if (!(await lease.finish(after))) {
    await lease.store.remove(id);
    throw goneDuringUpload(id);
  }
  return sendEmpty(reply, 204);
}

function goneDuringUpload(id: string): HttpError {
  return new HttpError(
    410,
    `Image ${id} could not be found after upload. The image may have been deleted during ` +
      'the upload, cleaning up the chunks uploaded.',
  );
}

/** The byte range a Range header asks for, or null for the whole image; 416 when unsatisfiable. */
export function requestedRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const unsatisfiable = () =>
    new HttpError(416, 'Requested range not satisfiable', undefined, { 'content-range': `bytes */${size}` });
  if (!m || (m[1] === '' && m[2] === '')) throw unsatisfiable();
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) throw unsatisfiable();
  return { start, end };
}

async function download(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupImage(image, req, param(req, 'image_id'));
  const rec = access.record;
  if (rec.status === 'deactivated' && !access.caller.isAdmin) {
    throw forbidden('The requested image has been deactivated. Image data download is forbidden.');
  }
  access.enforce('download_image');
  const opened = rec.status === 'active' || rec.status === 'deactivated' ? await image.store.open(rec.id) : null;
  if (!opened) return sendEmpty(reply, 204);
  let range;
  try {
    range = requestedRange(req.headers.range, opened.size);
  } catch (e) {
    await opened.close();
    throw e;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? opened.size - 1;
  reply.header('content-type', 'application/octet-stream').header('content-length', String(end - start + 1));
  if (rec.checksum) reply.header('content-md5', rec.checksum);
  if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${opened.size}`);
  return reply.send(opened.stream(start, end));
}

export function imageDataRoutes(image: Image): RouteTable {
  return {
    [UPLOAD_ROUTE]: {
      GET: (req, reply) => download(image, req, reply),
      PUT: (req, reply) => receive(image, req, reply, 'upload'),
    },
    [STAGE_ROUTE]: {
      PUT: (req, reply) => receive(image, req, reply, 'stage'),
    },
  };
}
