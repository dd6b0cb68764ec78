// /v2/metadefs/namespaces/{namespace_name}/objects[/{object_name}]: a namespace's objects, as
// Glance's MetadefObjectsController (and NamespaceController.delete_objects for DELETE of them all).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { HttpError } from '../../common/http/errors.js';
import type { Image } from '../context.js';
import { badRequest } from '../errors.js';
import { sendJson, validateAgainst } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param, queryPairs } from '../../common/http/request_params.js';
import { checkNamespaceDeletable, deleteNamespaceContent } from '../objects/metadef_namespace.js';
import {
  deleteObject,
  findObject,
  insertObject,
  listObjects,
  updateObject,
  type ObjectInput,
} from '../objects/metadef_object.js';
import { propertyDefinition } from '../objects/metadef_property.js';
import { METADEF_REQUEST_SCHEMAS } from '../schemas/metadefs.js';
import { listLimit, lookupNamespace, metadefBody, sortDir, type NamespaceAccess } from './metadef_access.js';
import { objectView } from './metadef_views.js';

const READ_ONLY = ['self', 'schema', 'created_at', 'updated_at'];

function objectInput(body: Record<string, unknown>): ObjectInput {
  const properties = (body.properties ?? {}) as Record<string, Record<string, unknown>>;
  return {
    name: body.name as string,
    description: (body.description as string | undefined) ?? null,
    required: (body.required as string[] | undefined) ?? [],
    properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, propertyDefinition(v)])),
  };
}

async function found(image: Image, access: NamespaceAccess, req: FastifyRequest) {
  const name = param(req, 'object_name');
  const o = await findObject(image.db, access.namespace, name);
  if (!o) throw new HttpError(404, `Could not find metadata object ${name}`);
  return o;
}

async function list(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const params = new URLSearchParams(queryPairs(req));
  // Accepted and checked as Glance does, though objects come in one page.
  sortDir(params.get('sort_dir'));
  listLimit(params.get('limit'), { positive: true });
  const visibility = params.get('visibility');
  if (visibility && !['public', 'private', 'shared'].includes(visibility)) {
    throw badRequest(`Invalid visibility value: ${visibility}`);
  }
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'), 'specific');
  access.enforce('get_metadef_objects');
  const objects = access.allowed('get_metadef_object') ? await listObjects(image.db, access.namespace) : [];
  // Glance's own link here lacks the leading slash; clients ignore it.
  return sendJson(reply, 200, {
    objects: objects.map((o) => objectView(access.namespace.namespace, o)),
    schema: 'v2/schemas/metadefs/objects',
  });
}

async function create(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const body = metadefBody(req, METADEF_REQUEST_SCHEMAS.object, READ_ONLY);
  for (const def of Object.values((body.properties ?? {}) as Record<string, unknown>)) {
    validateAgainst(METADEF_REQUEST_SCHEMAS.objectProperty, def);
  }
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'), 'specific');
  access.enforce('add_metadef_object');
  const o = await insertObject(image.db, access.namespace, objectInput(body));
  return sendJson(reply, 201, objectView(access.namespace.namespace, o));
}

async function show(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'), 'specific');
  access.enforce('get_metadef_object');
  return sendJson(reply, 200, objectView(access.namespace.namespace, await found(image, access, req)));
}

async function update(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const body = metadefBody(req, METADEF_REQUEST_SCHEMAS.object, READ_ONLY);
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'), 'specific');
  access.enforce('modify_metadef_object');
  const o = await updateObject(image.db, access.namespace, await found(image, access, req), objectInput(body));
  return sendJson(reply, 200, objectView(access.namespace.namespace, o));
}

async function remove(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'), 'specific');
  access.enforce('delete_metadef_object');
  await deleteObject(image.db, access.namespace, await found(image, access, req));
  return sendEmpty(reply, 204);
}

async function removeAll(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  // Deleting all of a namespace's objects is deleting part of the namespace.
  access.enforce('delete_metadef_namespace');
  checkNamespaceDeletable(access.namespace);
  await deleteNamespaceContent(image.db, access.namespace, 'objects');
  return sendEmpty(reply, 204);
}

export function metadefObjectRoutes(image: Image): RouteTable {
  return {
    '/v2/metadefs/namespaces/:namespace_name/objects': {
      GET: (req, reply) => list(image, req, reply),
      POST: (req, reply) => create(image, req, reply),
      DELETE: (req, reply) => removeAll(image, req, reply),
    },
    '/v2/metadefs/namespaces/:namespace_name/objects/:object_name': {
      GET: (req, reply) => show(image, req, reply),
      PUT: (req, reply) => update(image, req, reply),
      DELETE: (req, reply) => remove(image, req, reply),
    },
  };
}
