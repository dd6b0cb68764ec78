// /images/{id}/metadata (nova/api/openstack/compute/image_metadata.py): a Glance image's extra
// properties as Nova's metadata — list, merge (POST), replace (PUT); one item: show, set, delete.
// The properties count against the caller's metadata_items quota. 404 from 2.36 on, as /images.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { readBody } from '../http.js';
import { checkMetadataQuota } from '../objects/instance_quota.js';
import { metadataSchema, metaSchema } from '../schemas/metadata.js';
import { fromGlance, glanceCall, imageProperties } from './images.js';

async function properties(compute: Compute, req: FastifyRequest) {
  const { image, call } = glanceCall(compute, req);
  const id = param(req, 'image_id');
  const found = await fromGlance(() => image.show(call, id));
  const current = imageProperties(found);
  /** Sets `changes` (and drops `removed`) after the quota check of what the image then has. */
  const save = async (changes: Record<string, string>, removed: string[] = []) => {
    const after = { ...current, ...changes };
    for (const k of removed) delete after[k];
    await checkMetadataQuota(compute.db, compute.config, req.ctx.projectId ?? '', after);
    await fromGlance(() => image.update(call, id, changes, removed));
    return after;
  };
  return { current, save };
}

async function index(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  return sendJson(reply, 200, { metadata: (await properties(compute, req)).current });
}

async function create(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const { metadata: changes } = readBody(req, metadataSchema);
  const { save } = await properties(compute, req);
  return sendJson(reply, 200, { metadata: await save(changes) });
}

async function updateAll(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const { metadata: changes } = readBody(req, metadataSchema);
  const { current, save } = await properties(compute, req);
  await save(
    changes,
    Object.keys(current).filter((k) => !Object.hasOwn(changes, k)),
  );
  return sendJson(reply, 200, { metadata: changes });
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const { current } = await properties(compute, req);
  const key = param(req, 'key');
  if (!Object.hasOwn(current, key)) throw notFound();
  return sendJson(reply, 200, { meta: { [key]: current[key] } });
}

async function update(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const { meta } = readBody(req, metaSchema);
  if (!Object.hasOwn(meta, param(req, 'key'))) throw badRequest('Request body and URI mismatch');
  const { save } = await properties(compute, req);
  await save(meta);
  return sendJson(reply, 200, { meta });
}

async function remove(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const { current, save } = await properties(compute, req);
  const key = param(req, 'key');
  if (!Object.hasOwn(current, key)) throw notFound(`Invalid metadata key`);
  await save({}, [key]);
  return sendEmpty(reply, 204);
}

export function imageMetadataRoutes(compute: Compute): RouteTable {
  return {
    '/images/:image_id/metadata': {
      GET: (req, reply) => index(compute, req, reply),
      POST: (req, reply) => create(compute, req, reply),
      PUT: (req, reply) => updateAll(compute, req, reply),
    },
    '/images/:image_id/metadata/:key': {
      GET: (req, reply) => show(compute, req, reply),
      PUT: (req, reply) => update(compute, req, reply),
      DELETE: (req, reply) => remove(compute, req, reply),
    },
  };
}
