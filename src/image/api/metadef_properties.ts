// /v2/metadefs/namespaces/{namespace_name}/properties[/{property_name}]: a namespace's property
// definitions, as Glance's NamespacePropertiesController (and NamespaceController.delete_properties
// for DELETE of them all). Showing one for a resource type takes its name with that type's prefix.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { HttpError } from '../../common/http/errors.js';
import type { Image } from '../context.js';
import { sendJson } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param, queryPairs } from '../../common/http/request_params.js';
import { checkNamespaceDeletable, deleteNamespaceContent } from '../objects/metadef_namespace.js';
import {
  deleteProperty,
  findProperty,
  insertProperty,
  listProperties,
  propertyDefinition,
  updateProperty,
} from '../objects/metadef_property.js';
import { associationsOf, findResourceType } from '../objects/metadef_resource_type.js';
import { METADEF_REQUEST_SCHEMAS } from '../schemas/metadefs.js';
import { lookupNamespace, metadefBody, type NamespaceAccess } from './metadef_access.js';
import { propertyView } from './metadef_views.js';

const READ_ONLY = ['created_at', 'updated_at'];

async function found(image: Image, access: NamespaceAccess, name: string) {
  const p = await findProperty(image.db, access.namespace, name);
  if (!p) throw new HttpError(404, `Could not find property ${name}`);
  return p;
}

async function list(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('get_metadef_properties');
  const properties = await listProperties(image.db, access.namespace);
  return sendJson(reply, 200, {
    properties: Object.fromEntries(properties.map((p) => [p.name, propertyView(p.name, p.definition)])),
  });
}

/** The property's own name, given with the prefix of a resource type's association. */
async function unprefixed(image: Image, access: NamespaceAccess, name: string, resourceType: string): Promise<string> {
  access.enforce('get_metadef_resource_type');
  const ns = access.namespace;
  if (!(await findResourceType(image.db, resourceType))) {
    throw new HttpError(404, `The metadata definition resource-type with name=${resourceType}, was not found.`);
  }
  const association = (await associationsOf(image.db, [ns.id])).find((a) => a.name === resourceType);
  if (!association) {
    throw new HttpError(
      404,
      `The metadata definition resource-type association of resource-type=${resourceType} to ` +
        `namespace=${ns.namespace}, was not found.`,
    );
  }
  const prefix = association.prefix;
  if (!prefix || !name.startsWith(prefix)) {
    throw new HttpError(
      404,
      `Property ${name} does not start with the expected resource type association prefix of ` + `'${prefix ?? ''}'.`,
    );
  }
  return name.slice(prefix.length);
}

async function show(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('get_metadef_property');
  const resourceType = new URLSearchParams(queryPairs(req)).get('resource_type');
  let name = param(req, 'property_name');
  if (resourceType) name = await unprefixed(image, access, name, resourceType);
  const p = await found(image, access, name);
  return sendJson(reply, 200, propertyView(p.name, p.definition));
}

async function create(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const body = metadefBody(req, METADEF_REQUEST_SCHEMAS.property, READ_ONLY);
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('add_metadef_property');
  const p = await insertProperty(image.db, access.namespace, body.name as string, propertyDefinition(body));
  return sendJson(reply, 201, propertyView(p.name, p.definition));
}

async function update(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const body = metadefBody(req, METADEF_REQUEST_SCHEMAS.property, READ_ONLY);
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('modify_metadef_property');
  const before = await found(image, access, param(req, 'property_name'));
  const p = await updateProperty(image.db, access.namespace, before, body.name as string, propertyDefinition(body));
  return sendJson(reply, 200, propertyView(p.name, p.definition));
}

async function remove(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('remove_metadef_property');
  await deleteProperty(image.db, access.namespace, await found(image, access, param(req, 'property_name')));
  return sendEmpty(reply, 204);
}

async function removeAll(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('delete_metadef_namespace');
  checkNamespaceDeletable(access.namespace);
  await deleteNamespaceContent(image.db, access.namespace, 'properties');
  return sendEmpty(reply, 204);
}

export function metadefPropertyRoutes(image: Image): RouteTable {
  return {
    '/v2/metadefs/namespaces/:namespace_name/properties': {
      GET: (req, reply) => list(image, req, reply),
      POST: (req, reply) => create(image, req, reply),
      DELETE: (req, reply) => removeAll(image, req, reply),
    },
    '/v2/metadefs/namespaces/:namespace_name/properties/:property_name': {
      GET: (req, reply) => show(image, req, reply),
      PUT: (req, reply) => update(image, req, reply),
      DELETE: (req, reply) => remove(image, req, reply),
    },
  };
}
