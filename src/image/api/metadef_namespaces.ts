// /v2/metadefs/namespaces and /v2/metadefs/namespaces/{namespace_name}: list (paged, filtered by
// visibility and resource types), create (with resource type associations, objects, properties and
// tags in the same request), show (with everything in it, property names prefixed for a resource
// type on request), update (rename included) and delete, as Glance's NamespaceController.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { HttpError } from '../../common/http/errors.js';
import type { Image } from '../context.js';
import { badRequest, forbidden } from '../errors.js';
import { applicationUrl, isObject, sendJson } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param, queryPairs } from '../../common/http/request_params.js';
import {
  checkNamespaceDeletable,
  createNamespace,
  deleteNamespace,
  findNamespace,
  isNamespaceVisible,
  listNamespaces,
  NAMESPACE_SORT_KEYS,
  updateNamespace,
  type NamespaceContent,
  type NamespaceInput,
  type NamespaceRecord,
} from '../objects/metadef_namespace.js';
import { listObjects } from '../objects/metadef_object.js';
import { listProperties, propertyDefinition, type PropertyDefinition } from '../objects/metadef_property.js';
import { associationsOf } from '../objects/metadef_resource_type.js';
import { listTags } from '../objects/metadef_tag.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../objects/list_query.js';
import { METADEF_REQUEST_SCHEMAS } from '../schemas/metadefs.js';
import {
  compact,
  lookupNamespace,
  listLimit,
  metadefAccess,
  metadefBody,
  MetadefAccess,
  namespaceHref,
  sortDir,
  sortKey,
} from './metadef_access.js';
import { associationView, namespaceView, objectView, propertyView } from './metadef_views.js';

const READ_ONLY = ['self', 'schema', 'created_at', 'updated_at'];
const NAME_LENGTH = 80;

async function list(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = metadefAccess(image, req);
  access.enforce('get_metadef_namespaces');
  // Each namespace comes with its resource type associations.
  access.enforce('list_metadef_resource_types');
  const pairs = queryPairs(req);
  const params = new URLSearchParams(pairs);
  const limit = Math.min(MAX_LIMIT, listLimit(params.get('limit')) ?? DEFAULT_LIMIT);
  const visibility = params.get('visibility');
  if (visibility && !['public', 'private'].includes(visibility))
    throw badRequest(`Invalid visibility value: ${visibility}`);
  const markerName = params.get('marker');
  let marker: NamespaceRecord | undefined;
  if (markerName !== null) {
    marker = await findNamespace(image.db, markerName);
    if (!marker) throw new HttpError(404, `Metadata definition namespace=${markerName} was not found.`);
    if (!isNamespaceVisible(access.caller, marker)) {
      throw forbidden(`Forbidding request, metadata definition namespace=${markerName} is not visible.`);
    }
  }
  const resourceTypes = params.get('resource_types');
  const found = await listNamespaces(image.db, access.caller, {
    limit,
    marker,
    sortKey: sortKey(params.get('sort_key'), NAMESPACE_SORT_KEYS),
    sortDir: sortDir(params.get('sort_dir')),
    ...(visibility !== null ? { visibility } : {}),
    ...(resourceTypes !== null ? { resourceTypes: resourceTypes.split(',') } : {}),
  });
  const shown = found.filter((ns) => new MetadefAccess(image, access.caller, ns).allowed('get_metadef_namespace'));
  const associations = await associationsOf(
    image.db,
    shown.map((ns) => ns.id),
  );
  const rest = pairs.filter(([k]) => k !== 'marker');
  const body: Record<string, unknown> = {
    namespaces: shown.map((ns) => {
      const mine = associations.filter((a) => a.namespace_id === ns.id).map(associationView);
      return { ...namespaceView(ns), ...(mine.length ? { resource_type_associations: mine } : {}) };
    }),
    first: rest.length ? `/v2/metadefs/namespaces?${new URLSearchParams(rest)}` : '/v2/metadefs/namespaces',
    schema: '/v2/schemas/metadefs/namespaces',
  };
  if (shown.length && shown.length === limit) {
    body.next = `/v2/metadefs/namespaces?${new URLSearchParams([...rest, ['marker', shown.at(-1)!.namespace]])}`;
  }
  return sendJson(reply, 200, body);
}

/** The attributes of a create or update body (already validated), with Glance's defaults. */
function namespaceInput(body: Record<string, unknown>, owner: string | null): NamespaceInput {
  const o = (body.owner as string | undefined) ?? owner;
  if (o === null) throw badRequest('The namespace needs an owner: name one, or ask with a project-scoped token.');
  return {
    namespace: body.namespace as string,
    display_name: (body.display_name as string | undefined) ?? null,
    description: (body.description as string | undefined) ?? null,
    visibility: (body.visibility as string | undefined) ?? 'private',
    protected: (body.protected as boolean | undefined) ?? false,
    owner: o,
  };
}

const list_ = (v: unknown) => (Array.isArray(v) ? v.filter(isObject) : []);
const text = (v: unknown) => (typeof v === 'string' ? v : null);

/** A name the database keeps (the namespace schema does not bound the ones nested in it). */
function boundedName(what: string, v: unknown): string {
  if (typeof v !== 'string' || !v || v.length > NAME_LENGTH) {
    throw badRequest(
      `Couldn't create metadata namespace: every ${what} needs a name of 1 to ${NAME_LENGTH} characters.`,
    );
  }
  return v;
}

function definitions(v: unknown): [string, PropertyDefinition][] {
  return Object.entries(isObject(v) ? v : {}).map(([name, def]) => [
    boundedName('property', name),
    propertyDefinition(def as Record<string, unknown>),
  ]);
}

/** The content a create request carries, checked where the schema leaves names unbounded. */
function namespaceContent(body: Record<string, unknown>): NamespaceContent {
  return {
    associations: list_(body.resource_type_associations).map((a) => ({
      name: boundedName('resource type association', a.name),
      prefix: text(a.prefix),
      properties_target: text(a.properties_target),
    })),
    objects: list_(body.objects).map((o) => ({
      name: boundedName('object', o.name),
      description: text(o.description),
      required: Array.isArray(o.required) ? (o.required as string[]) : [],
      properties: Object.fromEntries(definitions(o.properties)),
    })),
    properties: definitions(body.properties),
    tags: list_(body.tags).map((t) => boundedName('tag', t.name)),
  };
}

async function create(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const body = metadefBody(req, METADEF_REQUEST_SCHEMAS.namespace, READ_ONLY);
  const access = metadefAccess(image, req);
  access.enforce('add_metadef_namespace');
  const content = namespaceContent(body);
  // Creating the content needs the rules for each kind of it, too.
  if (content.associations.length) access.enforce('add_metadef_resource_type_association');
  if (content.objects.length) access.enforce('add_metadef_object');
  if (content.properties.length) access.enforce('add_metadef_property');
  if (content.tags.length) access.enforce('add_metadef_tag');
  const ns = await createNamespace(image.db, namespaceInput(body, access.caller.project), content);
  reply.header('location', `${applicationUrl(req)}${namespaceHref(ns.namespace)}`);
  // What was created is told back as it was asked for.
  const view: Record<string, unknown> = namespaceView(ns);
  if (body.resource_type_associations !== undefined)
    view.resource_type_associations = content.associations.map((a) => compact({ ...a }));
  if (body.objects !== undefined) view.objects = content.objects.map((o) => compact({ ...o }));
  if (body.properties !== undefined) view.properties = Object.fromEntries(content.properties);
  if (body.tags !== undefined) view.tags = content.tags.map((name) => ({ name }));
  return sendJson(reply, 201, view);
}

/** Property names as a resource type sees them: with the prefix of its association, if any. */
function prefixer(prefix: string | null) {
  return (name: string) => (prefix ? `${prefix}${name}` : name);
}

async function show(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'), 'show');
  access.enforce('get_metadef_namespace');
  // Showing a namespace shows its content: the rules for reading each kind apply.
  for (const rule of [
    'list_metadef_resource_types',
    'get_metadef_objects',
    'get_metadef_properties',
    'get_metadef_tags',
  ]) {
    access.enforce(rule);
  }
  const ns = access.namespace;
  const associations = await associationsOf(image.db, [ns.id]);
  const resourceType = new URLSearchParams(queryPairs(req)).get('resource_type');
  const prefix = prefixer(associations.find((a) => a.name === resourceType)?.prefix ?? null);
  const view: Record<string, unknown> = namespaceView(ns);
  const objects = await listObjects(image.db, ns);
  if (objects.length) {
    view.objects = objects.map((o) =>
      objectView(ns.namespace, {
        ...o,
        required: o.required.map(prefix),
        properties: Object.fromEntries(Object.entries(o.properties).map(([k, v]) => [prefix(k), v])),
      }),
    );
  }
  if (associations.length) view.resource_type_associations = associations.map(associationView);
  const properties = await listProperties(image.db, ns);
  if (properties.length) {
    view.properties = Object.fromEntries(properties.map((p) => [prefix(p.name), propertyView(p.name, p.definition)]));
  }
  const tags = await listTags(image.db, ns, { sortKey: 'created_at', sortDir: 'asc' });
  if (tags.length) view.tags = tags.map((t) => ({ name: t.name }));
  return sendJson(reply, 200, view);
}

async function update(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const body = metadefBody(req, METADEF_REQUEST_SCHEMAS.namespace, READ_ONLY);
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('modify_metadef_namespace');
  const updated = await updateNamespace(image.db, access.namespace, namespaceInput(body, access.caller.project));
  return sendJson(reply, 200, namespaceView(updated));
}

async function remove(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('delete_metadef_namespace');
  checkNamespaceDeletable(access.namespace);
  await deleteNamespace(image.db, access.namespace);
  return sendEmpty(reply, 204);
}

export function metadefNamespaceRoutes(image: Image): RouteTable {
  return {
    '/v2/metadefs/namespaces': {
      GET: (req, reply) => list(image, req, reply),
      POST: (req, reply) => create(image, req, reply),
    },
    '/v2/metadefs/namespaces/:namespace_name': {
      GET: (req, reply) => show(image, req, reply),
      PUT: (req, reply) => update(image, req, reply),
      DELETE: (req, reply) => remove(image, req, reply),
    },
  };
}
