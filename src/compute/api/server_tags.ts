// /servers/{id}/tags (2.26; nova/api/openstack/compute/server_tags.py): list, replace, clear;
// one tag: check (204/404), add (201 with its Location, 204 when there), remove.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { RouteTable } from '../../common/http/app.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { readBody, requireVersion, resourceLinks } from '../http.js';
import {
  addTag,
  checkTaggable,
  listTags,
  MAX_TAG_COUNT,
  MAX_TAG_LENGTH,
  removeAllTags,
  removeTag,
  setTags,
} from '../objects/instance_tag.js';
import { findServer } from './servers.js';

const POLICY = 'os_compute_api:os-server-tags:';
const TAG_PATTERN = '^[^,/]*$';

const updateAllSchema = Type.Object(
  {
    tags: Type.Array(Type.String({ minLength: 1, maxLength: MAX_TAG_LENGTH, pattern: TAG_PATTERN }), {
      maxItems: MAX_TAG_COUNT,
    }),
  },
  { additionalProperties: false },
);

/** The server, in the microversion that has tags, as `rule` allows. */
function server(compute: Compute, req: FastifyRequest, rule: string) {
  requireVersion(req, '2.26');
  return findServer(compute, req, `${POLICY}${rule}`);
}

async function index(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await server(compute, req, 'index');
  return sendJson(reply, 200, { tags: await listTags(compute.db, instance.uuid) });
}

async function updateAll(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await server(compute, req, 'update_all');
  checkTaggable(instance, 'update tags');
  const { tags } = readBody(req, updateAllSchema);
  return sendJson(reply, 200, { tags: await setTags(compute.db, instance.uuid, tags) });
}

async function deleteAll(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await server(compute, req, 'delete_all');
  checkTaggable(instance, 'delete tags');
  await removeAllTags(compute.db, instance.uuid);
  return sendEmpty(reply, 204);
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await server(compute, req, 'show');
  const tag = param(req, 'tag');
  if (!(await listTags(compute.db, instance.uuid)).includes(tag)) {
    throw notFound(`Server ${instance.uuid} has no tag '${tag}'`);
  }
  return sendEmpty(reply, 204);
}

async function update(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await server(compute, req, 'update');
  checkTaggable(instance, 'update tag');
  const tag = param(req, 'tag');
  if (tag.length < 1 || tag.length > MAX_TAG_LENGTH || !new RegExp(TAG_PATTERN).test(tag)) {
    const why =
      tag.length < 1
        ? `'' is too short`
        : tag.length > MAX_TAG_LENGTH
          ? `'${tag}' is too long`
          : `'${tag}' does not match '${TAG_PATTERN}'`;
    throw badRequest(
      `Tag '${tag}' is invalid. It must be a non empty string without characters '/' and ','. ` +
        `Validation error message: ${why}`,
    );
  }
  if (!(await addTag(compute.db, instance.uuid, tag))) return sendEmpty(reply, 204);
  const self = resourceLinks(compute, req, 'servers', instance.uuid)[0]!.href;
  reply.header('location', `${self}/tags/${tag}`);
  return sendEmpty(reply, 201);
}

async function remove(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await server(compute, req, 'delete');
  checkTaggable(instance, 'delete tag');
  await removeTag(compute.db, instance.uuid, param(req, 'tag'));
  return sendEmpty(reply, 204);
}

export function serverTagRoutes(compute: Compute): RouteTable {
  return {
    '/servers/:server_id/tags': {
      GET: (req, reply) => index(compute, req, reply),
      PUT: (req, reply) => updateAll(compute, req, reply),
      DELETE: (req, reply) => deleteAll(compute, req, reply),
    },
    '/servers/:server_id/tags/:tag': {
      GET: (req, reply) => show(compute, req, reply),
      PUT: (req, reply) => update(compute, req, reply),
      DELETE: (req, reply) => remove(compute, req, reply),
    },
  };
}
