// /v2/images and /v2/images/{image_id}: create, list, show, update (JSON patch), delete.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { HttpError } from '../../common/http/errors.js';
import type { Image } from '../context.js';
import { badRequest, conflict, forbidden } from '../errors.js';
import { applicationUrl, requireJson, sendJson } from '../http.js';
import { mediaType } from '../../common/http/request_body.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param, queryPairs } from '../../common/http/request_params.js';
import { IMPORT_METHODS_HEADER } from './image_import.js';
import { checkPropertyQuota, checkTagQuota, setAttribute } from '../objects/attributes.js';
import { parseCreate } from './create_request.js';
import {
  checkTransition,
  findImage,
  idTaken,
  insertImage,
  markDeleted,
  saveImage,
  WRITABLE_ATTRIBUTES,
  type ImageRecord,
  type WritableAttribute,
} from '../objects/image.js';
import { now } from '../../common/time.js';
import { listImages } from '../objects/image_list.js';
import { parseListQuery } from '../objects/list_query.js';
import { parsePatch, PATCH_MEDIA_TYPES, type Change } from './patch.js';
import { findMember, membershipsOf } from '../objects/member.js';
import { callerOf, ImageAccess, isVisible, lookupImage, notAuthorized } from './access.js';
import { imageView } from './views.js';
import { removePartialData } from '../uploads.js';

const isWritable = (k: string): k is WritableAttribute => (WRITABLE_ATTRIBUTES as readonly string[]).includes(k);

async function create(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const body = parseCreate(requireJson(req));
  const caller = callerOf(image, req);
  const ts = now();
  const rec: ImageRecord = {
    id: body.id ?? randomUUID(),
    name: null,
    status: 'queued',
    visibility: 'shared',
    owner: caller.project,
    size: null,
    virtual_size: null,
    checksum: null,
    os_hash_algo: null,
    os_hash_value: null,
    disk_format: null,
    container_format: null,
    min_disk: 0,
    min_ram: 0,
    protected: false,
    os_hidden: false,
    created_at: ts,
    updated_at: ts,
    properties: body.properties,
    tags: [],
  };
  for (const [k, v] of Object.entries(body.attributes)) setAttribute(rec, k as WritableAttribute, v);
  const access = new ImageAccess(image, caller, rec, undefined);
  // The image's owner is the project it is created in: only an administrator creates for another.
  if (!access.allowed('add_image')) throw notAuthorized('add_image');
  access.enforceVisibility(rec.visibility);
  checkPropertyQuota(rec);
  checkTagQuota(rec.tags);
  if (await idTaken(image.db, rec.id)) throw conflict(`Image with identifier ${rec.id} already exists!`);
  await insertImage(image.db, rec).catch(async (e) => {
    // Two creates racing for one id: the loser is told so, not given a 500.
    if (await idTaken(image.db, rec.id)) throw conflict(`Image with identifier ${rec.id} already exists!`);
    throw e;
  });
  reply.header('location', `${applicationUrl(req)}/v2/images/${rec.id}`);
  // How the data may be imported (openstacksdk reads it before `image create --import`).
  if (image.config.enabledImportMethods.length)
    reply.header(IMPORT_METHODS_HEADER, image.config.enabledImportMethods.join(','));
  // And where it may be stored (Glance with enabled_backends says so).
  reply.header('openstack-image-store-ids', image.storeId);
  return sendJson(reply, 201, imageView(rec, image.storeId));
}

async function list(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const caller = callerOf(image, req);
  if (!image.policy.allowed(caller.ctx, 'get_images', { project_id: caller.project ?? undefined })) {
    throw notAuthorized('get_images');
  }
  const pairs = queryPairs(req);
  const q = parseListQuery(pairs);
  let marker: ImageRecord | undefined;
  if (q.marker !== undefined) {
    marker = await findImage(image.db, q.marker);
    if (!marker) throw badRequest(`No image found with ID ${q.marker}`);
    const membership = caller.project !== null ? await findMember(image.db, marker.id, caller.project) : undefined;
    if (!isVisible(caller, marker, membership)) throw forbidden(`Forbidding request, image ${q.marker} not visible`);
  }
  const page = await listImages(image.db, { project: caller.project, isAdmin: caller.isAdmin }, q, marker);
  const memberships = await membershipsOf(
    image.db,
    page.map((r) => r.id),
    caller.project,
  );
  const shown = page.filter((rec) => new ImageAccess(image, caller, rec, memberships.get(rec.id)).allowed('get_image'));
  const rest = pairs.filter(([k]) => k !== 'marker');
  const body: Record<string, unknown> = {
    images: shown.map((r) => imageView(r, image.storeId)),
    first: rest.length ? `/v2/images?${new URLSearchParams(rest)}` : '/v2/images',
    schema: '/v2/schemas/images',
  };
  // A full page from the database means there may be more, even when policy hid some of it.
  if (shown.length && page.length === q.limit) {
    body.next = `/v2/images?${new URLSearchParams([...rest, ['marker', shown[shown.length - 1]!.id]])}`;
  }
  return sendJson(reply, 200, body);
}

async function show(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupImage(image, req, param(req, 'image_id'));
  access.enforce('get_image');
  return sendJson(reply, 200, imageView(access.record, image.storeId));
}

/** Applies one change to `rec` with the checks Glance's ImagesController._do_* make. */
function apply(access: ImageAccess, rec: ImageRecord, c: Change): void {
  const root = c.path[0]!;
  if (root === 'locations') {
    if (c.op === 'replace' && Array.isArray(c.value) && c.value.length === 0) {
      throw forbidden('Cannot set locations to empty list.');
    }
    const verb = c.op === 'replace' ? 'update' : c.op;
    throw forbidden(`It's not allowed to ${verb} locations if locations are invisible.`);
  }
  if (c.op !== 'remove' && root === 'visibility') access.enforceVisibility(c.value);
  access.enforce('modify_image');
  const exists = Object.hasOwn(rec.properties, root);
  if (c.op === 'remove') {
    if (isWritable(root)) throw forbidden(`Property ${root} may not be removed.`);
    if (!exists) throw conflict(`Property ${root} does not exist.`);
    delete rec.properties[root];
    return;
  }
  if (c.op === 'add' && c.draft === 4 && (isWritable(root) || exists))
    throw conflict(`Property ${root} already present.`);
  if (c.op === 'replace' && !isWritable(root) && !exists) throw conflict(`Property ${root} does not exist.`);
  if (root === 'owner' && !access.caller.isAdmin && c.value !== rec.owner) {
    throw forbidden("Owner can't be updated by non admin.");
  }
  if (isWritable(root)) setAttribute(rec, root, c.value);
  else rec.properties[root] = c.value as string | null;
}

async function update(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const ctype = mediaType(req) ?? '';
  const draft = PATCH_MEDIA_TYPES[ctype];
  if (!draft) {
    throw new HttpError(415, `The request media type ${ctype || 'None'} is not supported by this server.`, undefined, {
      'accept-patch': Object.keys(PATCH_MEDIA_TYPES).sort().join(', '),
    });
  }
  const changes = parsePatch(requireJson(req), draft);
  const id = param(req, 'image_id');
  const access = await lookupImage(image, req, id);
  const before = access.record;
  const after: ImageRecord = {
    ...before,
    properties: Object.assign(Object.create(null) as Record<string, string | null>, before.properties),
    tags: [...before.tags],
  };
  for (const c of changes) apply(access, after, c);
  if (changes.length) {
    checkPropertyQuota(after);
    if (!(await saveImage(image.db, before, after))) throw new HttpError(404, `No image found with ID ${id}`);
  }
  return sendJson(reply, 200, imageView(after, image.storeId));
}

async function remove(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const id = param(req, 'image_id');
  const gone = () => new HttpError(404, `Failed to find image ${id} to delete`);
  const access = await lookupImage(image, req, id, gone);
  access.enforce('delete_image');
  if (access.record.protected) throw forbidden(`Image ${id} is protected and cannot be deleted.`);
  checkTransition(access.record, 'deleted');
  if (!(await markDeleted(image.db, id))) throw gone();
  // An upload still writing loses its partial data now; it then fails, and answers 410.
  await removePartialData(image, id);
  await image.store.remove(id);
  // Data staged for an import that will not happen now.
  await image.staging.remove(id);
  return sendEmpty(reply, 204);
}

export function imageRoutes(image: Image): RouteTable {
  return {
    '/v2/images': {
      GET: (req, reply) => list(image, req, reply),
      POST: (req, reply) => create(image, req, reply),
    },
    '/v2/images/:image_id': {
      GET: (req, reply) => show(image, req, reply),
      PATCH: (req, reply) => update(image, req, reply),
      DELETE: (req, reply) => remove(image, req, reply),
    },
  };
}
