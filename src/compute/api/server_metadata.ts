// /servers/{id}/metadata (nova/api/openstack/compute/server_metadata.py): list, merge (POST),
// replace (PUT); one item: show, set, delete.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest } from '../errors.js';
import { MetadataItemNotFound } from '../exceptions.js';
import { readBody } from '../http.js';
import { deleteMetadataItem, updateMetadata } from '../objects/instance_metadata.js';
import { metadataSchema, metaSchema } from '../schemas/metadata.js';
import { callerOf, findServer } from './servers.js';

const POLICY = 'os_compute_api:server-metadata:';

async function index(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await findServer(compute, req, `${POLICY}index`);
  return sendJson(reply, 200, { metadata: instance.metadata });
}

async function merge(compute: Compute, req: FastifyRequest, reply: FastifyReply, replace: boolean) {
  const { metadata } = readBody(req, metadataSchema);
  const instance = await findServer(compute, req, `${POLICY}${replace ? 'update_all' : 'create'}`);
  const result = await updateMetadata(compute.db, compute.config, instance, callerOf(req), metadata, replace);
  return sendJson(reply, 200, { metadata: result });
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await findServer(compute, req, `${POLICY}show`);
  const key = param(req, 'key');
  if (!Object.hasOwn(instance.metadata, key)) throw new MetadataItemNotFound();
  return sendJson(reply, 200, { meta: { [key]: instance.metadata[key] } });
}

async function update(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const { meta } = readBody(req, metaSchema);
  const instance = await findServer(compute, req, `${POLICY}update`);
  if (!Object.hasOwn(meta, param(req, 'key'))) throw badRequest('Request body and URI mismatch');
  await updateMetadata(compute.db, compute.config, instance, callerOf(req), meta, false);
  return sendJson(reply, 200, { meta });
}

async function remove(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await findServer(compute, req, `${POLICY}delete`);
  await deleteMetadataItem(compute.db, instance, callerOf(req), param(req, 'key'));
  return sendEmpty(reply, 204);
}

export function serverMetadataRoutes(compute: Compute): RouteTable {
  return {
    '/servers/:server_id/metadata': {
      GET: (req, reply) => index(compute, req, reply),
      POST: (req, reply) => merge(compute, req, reply, false),
      PUT: (req, reply) => merge(compute, req, reply, true),
    },
    '/servers/:server_id/metadata/:key': {
      GET: (req, reply) => show(compute, req, reply),
      PUT: (req, reply) => update(compute, req, reply),
      DELETE: (req, reply) => remove(compute, req, reply),
    },
  };
}
