// Nova's image proxy, /images (nova/api/openstack/compute/images.py and views/images.py): Glance
// v2 images listed, shown and deleted as the caller, in Nova's view (status and progress from
// Glance's status, minRam/minDisk, the extra properties as metadata, the snapshot's server,
// OS-EXT-IMG-SIZE:size). Deprecated at 2.36: 404 from then on. Nova checks no policy of its own
// here; Glance's decides what the caller sees and may delete.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientError, onBehalfOf, type Call } from '../../common/clients/index.js';
import type { Image } from '../../common/clients/image.js';
import type { RouteTable } from '../../common/http/app.js';
import { HttpError } from '../../common/http/errors.js';
import { param, queryPairs } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { forbidden, notFound } from '../errors.js';
import { last, limitAndMarker, nextLinks, requireVersion, resourceLinks } from '../http.js';

const LAST_VERSION = '2.35';

/** Glance v2's own attributes: what is not among them is an extra property (Nova's metadata). */
const CORE = new Set([
  'id', 'name', 'status', 'visibility', 'protected', 'checksum', 'owner', 'size', 'virtual_size',
  'min_ram', 'min_disk', 'container_format', 'disk_format', 'created_at', 'updated_at', 'tags',
  'direct_url', 'locations', 'self', 'file', 'schema', 'os_hidden', 'os_hash_algo',
  'os_hash_value', 'stores',
]); // prettier-ignore

const STATUS: Record<string, string> = {
  active: 'ACTIVE',
  queued: 'SAVING',
  saving: 'SAVING',
  deleted: 'DELETED',
  pending_delete: 'DELETED',
  killed: 'ERROR',
};
const PROGRESS: Record<string, number> = { queued: 25, saving: 50, active: 100 };

/** Nova's query filters and the Glance filters they become. */
const FILTERS: Record<string, string> = {
  name: 'name',
  status: 'status',
  'changes-since': 'changes-since',
  server: 'instance_uuid',
  type: 'image_type',
  minRam: 'min_ram',
  minDisk: 'min_disk',
};

export function imageProperties(image: Image): Record<string, string> {
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(image)) if (!CORE.has(k)) props[k] = String(v);
  return props;
}

/** The caller's call to Glance, and the answer without a service user. */
export function glanceCall(compute: Compute, req: FastifyRequest) {
  requireVersion(req, '2.1', LAST_VERSION);
  if (!compute.clients)
    throw new HttpError(503, 'This compute API has no service user to reach the image service with.');
  return { image: compute.clients.image, call: onBehalfOf(req.ctx, req) };
}

/** Glance's refusals as Nova's images API answers them. */
export async function fromGlance<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ClientError && e.status === 404) throw notFound('Image not found.');
    if (e instanceof ClientError && e.status === 403) throw forbidden('You are not allowed to access the image.');
    throw e;
  }
}

const isoTime = (ts: string) => `${new Date(ts).toISOString().slice(0, 19)}Z`;

async function links(compute: Compute, req: FastifyRequest, call: Call, id: string) {
  const glance = await compute.clients!.image.api.url(call);
  return [
    ...resourceLinks(compute, req, 'images', id),
    { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${glance}/images/${id}` },
  ];
}

async function view(compute: Compute, req: FastifyRequest, call: Call, image: Image, detail: boolean) {
  const basic = { id: image.id, name: image.name, links: await links(compute, req, call, image.id) };
  if (!detail) return basic;
  const metadata = imageProperties(image);
  return {
    ...basic,
    minRam: image.min_ram ?? 0,
    minDisk: image.min_disk ?? 0,
    metadata,
    created: isoTime(image.created_at),
    updated: isoTime(image.updated_at),
    status: STATUS[image.status] ?? 'UNKNOWN',
    progress: PROGRESS[image.status] ?? 0,
    'OS-EXT-IMG-SIZE:size': image.size,
    ...(metadata.instance_uuid
      ? {
          server: { id: metadata.instance_uuid, links: resourceLinks(compute, req, 'servers', metadata.instance_uuid) },
        }
      : {}),
  };
}

async function list(compute: Compute, req: FastifyRequest, reply: FastifyReply, detail: boolean) {
  const { image, call } = glanceCall(compute, req);
  // Nova validates no query here: what it does not know, it ignores.
  const query: Record<string, string[]> = {};
  for (const [k, v] of queryPairs(req)) (query[k] ??= []).push(v);
  const filters: Record<string, string> = {};
  for (const [name, glanceName] of Object.entries(FILTERS)) {
    const value = last(query, name);
    if (value !== undefined) filters[glanceName] = value;
  }
  for (const [name, values] of Object.entries(query)) {
    if (name.startsWith('property-')) filters[name.slice('property-'.length)] = values[values.length - 1]!;
  }
  // A server's reference may be its URL; Glance has the uuid.
  if (filters.instance_uuid) filters.instance_uuid = filters.instance_uuid.split('/').pop()!;
  if (filters.status) filters.status = filters.status.toLowerCase();
  if (filters['changes-since']) {
    filters.updated_at = `gte:${filters['changes-since']}`;
    delete filters['changes-since'];
  }
  // Glance v2 filters neither by a minimum RAM nor disk: they are applied to what it answers.
  const minimum = { min_ram: Number(filters.min_ram ?? 0), min_disk: Number(filters.min_disk ?? 0) };
  delete filters.min_ram;
  delete filters.min_disk;
  const { limit, marker } = limitAndMarker(compute, query);
  const page = await fromGlance(() =>
    image.page(call, { ...filters, limit: String(limit), ...(marker ? { marker } : {}) }),
  );
  const images = page.filter((i) => (i.min_ram ?? 0) >= minimum.min_ram && (i.min_disk ?? 0) >= minimum.min_disk);
  const collection = detail ? 'images/detail' : 'images';
  const next = nextLinks(compute, req, collection, page.length, limit, page[page.length - 1]?.id);
  return sendJson(reply, 200, {
    images: await Promise.all(images.map((i) => view(compute, req, call, i, detail))),
    ...(next.length ? { images_links: next } : {}),
  });
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const { image, call } = glanceCall(compute, req);
  const found = await fromGlance(() => image.show(call, param(req, 'image_id')));
  return sendJson(reply, 200, { image: await view(compute, req, call, found, true) });
}

async function remove(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const { image, call } = glanceCall(compute, req);
  try {
    await image.delete(call, param(req, 'image_id'));
  } catch (e) {
    if (e instanceof ClientError && e.status === 403) throw forbidden('You are not allowed to delete the image.');
    if (e instanceof ClientError && e.status === 404) throw notFound('Image not found.');
    throw e;
  }
  return sendEmpty(reply, 204);
}

export function imageRoutes(compute: Compute): RouteTable {
  return {
    '/images': { GET: (req, reply) => list(compute, req, reply, false) },
    '/images/detail': { GET: (req, reply) => list(compute, req, reply, true) },
    '/images/:image_id': {
      GET: (req, reply) => show(compute, req, reply),
      DELETE: (req, reply) => remove(compute, req, reply),
    },
  };
}
