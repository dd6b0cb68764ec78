// /v2/metadefs/resource_types (every resource type) and
// /v2/metadefs/namespaces/{namespace_name}/resource_types[/{name}] (a namespace's associations with
// them), as Glance's ResourceTypeController.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { withTransaction } from '../../common/db/index.js';
import { HttpError } from '../../common/http/errors.js';
import type { Image } from '../context.js';
import { sendJson } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import {
  addAssociation,
  associationsOf,
  listResourceTypes,
  removeAssociation,
} from '../objects/metadef_resource_type.js';
import { METADEF_REQUEST_SCHEMAS } from '../schemas/metadefs.js';
import { lookupNamespace, metadefAccess, metadefBody } from './metadef_access.js';
import { associationView, resourceTypeView } from './metadef_views.js';

async function listTypes(image: Image, req: FastifyRequest, reply: FastifyReply) {
  metadefAccess(image, req).enforce('list_metadef_resource_types');
  return sendJson(reply, 200, { resource_types: (await listResourceTypes(image.db)).map(resourceTypeView) });
}

async function listAssociations(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('list_metadef_resource_types');
  const associations = access.allowed('get_metadef_resource_type')
    ? await associationsOf(image.db, [access.namespace.id])
    : [];
  return sendJson(reply, 200, { resource_type_associations: associations.map(associationView) });
}

async function associate(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const body = metadefBody(req, METADEF_REQUEST_SCHEMAS.resourceTypeAssociation, ['created_at', 'updated_at']);
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('add_metadef_resource_type_association');
  // A new resource type is created with the association, or not at all.
  const a = await withTransaction(image.db, (trx) =>
    addAssociation(trx, access.namespace, {
      name: body.name as string,
      prefix: (body.prefix as string | undefined) ?? null,
      properties_target: (body.properties_target as string | undefined) ?? null,
    }),
  );
  return sendJson(reply, 201, associationView(a));
}

async function dissociate(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('remove_metadef_resource_type_association');
  const name = param(req, 'name');
  const a = (await associationsOf(image.db, [access.namespace.id])).find((x) => x.name === name);
  if (!a) throw new HttpError(404, `Failed to find resource type ${name} to delete`);
  await removeAssociation(image.db, access.namespace, a);
  return sendEmpty(reply, 204);
}

export function metadefResourceTypeRoutes(image: Image): RouteTable {
  return {
    '/v2/metadefs/resource_types': { GET: (req, reply) => listTypes(image, req, reply) },
    '/v2/metadefs/namespaces/:namespace_name/resource_types': {
      GET: (req, reply) => listAssociations(image, req, reply),
      POST: (req, reply) => associate(image, req, reply),
    },
    '/v2/metadefs/namespaces/:namespace_name/resource_types/:name': {
      DELETE: (req, reply) => dissociate(image, req, reply),
    },
  };
}
