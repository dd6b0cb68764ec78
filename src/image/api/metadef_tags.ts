// /v2/metadefs/namespaces/{namespace_name}/tags[/{tag_name}]: a namespace's tags, as Glance's
// TagsController: one created by name, several at once (replacing the others unless
// X-OpenStack-Append says to add), listed in pages, renamed, deleted one by one or all together.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { withTransaction } from '../../common/db/index.js';
import { HttpError } from '../../common/http/errors.js';
import type { Image } from '../context.js';
import { badRequest } from '../errors.js';
import { sendJson, validateAgainst } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param, queryPairs } from '../../common/http/request_params.js';
import { checkNamespaceDeletable, deleteNamespaceContent } from '../objects/metadef_namespace.js';
import {
  deleteTag,
  findTag,
  insertTags,
  listTags,
  renameTag,
  TAG_SORT_KEYS,
  type TagRecord,
} from '../objects/metadef_tag.js';
import { METADEF_REQUEST_SCHEMAS } from '../schemas/metadefs.js';
import { listLimit, lookupNamespace, metadefBody, sortDir, sortKey, type NamespaceAccess } from './metadef_access.js';
import { tagView } from './metadef_views.js';

const READ_ONLY = ['created_at', 'updated_at'];
const NAME_LENGTH = 80;

async function found(image: Image, access: NamespaceAccess, name: string): Promise<TagRecord> {
  const tag = await findTag(image.db, access.namespace, name);
  if (!tag) throw new HttpError(404, `Could not find metadata tag ${name}`);
  return tag;
}

async function list(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const params = new URLSearchParams(queryPairs(req));
  const dir = sortDir(params.get('sort_dir'));
  const key = sortKey(params.get('sort_key'), TAG_SORT_KEYS);
  const limit = params.get('limit') ? listLimit(params.get('limit')) : undefined;
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('get_metadef_tags');
  const markerName = params.get('marker');
  const marker = markerName ? await found(image, access, markerName) : undefined;
  const tags = await listTags(image.db, access.namespace, { sortKey: key, sortDir: dir, limit, marker });
  return sendJson(reply, 200, { tags: tags.map((t) => ({ name: t.name })) });
}

/** Whether an X-OpenStack-Append header says yes (oslo's bool_from_string). */
function appending(req: FastifyRequest): boolean {
  const v = req.headers['x-openstack-append'];
  return typeof v === 'string' && ['1', 't', 'true', 'on', 'y', 'yes'].includes(v.trim().toLowerCase());
}

async function createMany(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const body = metadefBody(req, METADEF_REQUEST_SCHEMAS.tags, READ_ONLY);
  const names = ((body.tags ?? []) as { name: string }[]).map((t) => t.name);
  if (names.some((n) => n.length > NAME_LENGTH))
    throw badRequest(`A tag name is at most ${NAME_LENGTH} characters long.`);
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('add_metadef_tags');
  const ns = access.namespace;
  // Without X-OpenStack-Append the new tags replace the old ones; an empty list changes nothing.
  const created = names.length
    ? await withTransaction(image.db, async (trx) => {
        if (!appending(req)) await deleteNamespaceContent(trx, ns, 'tags');
        return insertTags(trx, ns, names);
      })
    : [];
  return sendJson(reply, 201, { tags: created.map((t) => ({ name: t.name })) });
}

async function createOne(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  const name = param(req, 'tag_name');
  validateAgainst(METADEF_REQUEST_SCHEMAS.tag, { name });
  access.enforce('add_metadef_tag');
  const [tag] = await insertTags(image.db, access.namespace, [name]);
  return sendJson(reply, 201, tagView(tag!));
}

async function show(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('get_metadef_tag');
  return sendJson(reply, 200, tagView(await found(image, access, param(req, 'tag_name'))));
}

async function update(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const body = metadefBody(req, METADEF_REQUEST_SCHEMAS.tag, READ_ONLY);
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('modify_metadef_tag');
  const tag = await found(image, access, param(req, 'tag_name'));
  return sendJson(reply, 200, tagView(await renameTag(image.db, access.namespace, tag, body.name as string)));
}

async function remove(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('delete_metadef_tag');
  await deleteTag(image.db, access.namespace, await found(image, access, param(req, 'tag_name')));
  return sendEmpty(reply, 204);
}

async function removeAll(image: Image, req: FastifyRequest, reply: FastifyReply) {
  const access = await lookupNamespace(image, req, param(req, 'namespace_name'));
  access.enforce('delete_metadef_namespace');
  access.enforce('delete_metadef_tags');
  checkNamespaceDeletable(access.namespace);
  await deleteNamespaceContent(image.db, access.namespace, 'tags');
  return sendEmpty(reply, 204);
}

export function metadefTagRoutes(image: Image): RouteTable {
  return {
    '/v2/metadefs/namespaces/:namespace_name/tags': {
      GET: (req, reply) => list(image, req, reply),
      POST: (req, reply) => createMany(image, req, reply),
      DELETE: (req, reply) => removeAll(image, req, reply),
    },
    '/v2/metadefs/namespaces/:namespace_name/tags/:tag_name': {
      GET: (req, reply) => show(image, req, reply),
      POST: (req, reply) => createOne(image, req, reply),
      PUT: (req, reply) => update(image, req, reply),
      DELETE: (req, reply) => remove(image, req, reply),
    },
  };
}
