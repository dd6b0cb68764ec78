// /os-keypairs: a user's key pairs — list (paged from 2.35), show, create (import, or generate
// until 2.91), delete; types from 2.2, other users' key pairs for administrators from 2.10
// (nova/api/openstack/compute/keypairs.py, views/keypairs.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest } from '../errors.js';
import { MarkerNotFound } from '../exceptions.js';
import { authorize, first, limitAndMarker, nextLinks, novaTime, readBody, readQuery } from '../http.js';
import { MICROVERSION } from '../microversions.js';
import {
  checkKeypairName,
  createKeypair,
  deleteKeypair,
  getKeypair,
  listKeypairs,
  type Keypair,
  type KeypairType,
} from '../objects/keypair.js';
import * as schema from '../schemas/keypair.js';

const POLICY = 'os_compute_api:os-keypairs:';

/** The query schema of show and delete. */
function userQuerySchema(req: FastifyRequest) {
  if (req.version.lt(MICROVERSION.keypairUserId)) return schema.anyQuery;
  return req.version.gte(MICROVERSION.strictQuery) ? schema.userQueryV275 : schema.userQuery;
}

/** Whose key pairs: ?user_id= (the first) from 2.10, else the caller's. */
function userOf(req: FastifyRequest, query: Record<string, string[]>): string {
  const asked = req.version.gte(MICROVERSION.keypairUserId) ? first(query, 'user_id') : undefined;
  return asked || (req.ctx.userId ?? '');
}

const typed = (req: FastifyRequest) => req.version.gte(MICROVERSION.keypairType);

function brief(req: FastifyRequest, k: Keypair) {
  return {
    name: k.name,
    public_key: k.public_key,
    fingerprint: k.fingerprint,
    ...(typed(req) ? { type: k.type } : {}),
  };
}

async function index(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const paged = req.version.gte(MICROVERSION.keypairPagination);
  const query = readQuery(
    req,
    req.version.gte(MICROVERSION.strictQuery)
      ? schema.indexQueryV275
      : paged
        ? schema.indexQueryV235
        : userQuerySchema(req),
  );
  const userId = userOf(req, query);
  authorize(compute, req, `${POLICY}index`, { user_id: userId });
  const page = paged ? limitAndMarker(compute, query) : undefined;
  let keypairs: Keypair[];
  try {
    keypairs = await listKeypairs(compute.db, userId, page ?? {});
  } catch (e) {
    if (e instanceof MarkerNotFound) throw badRequest(e.message);
    throw e;
  }
  const links = page
    ? nextLinks(compute, req, 'os-keypairs', keypairs.length, page.limit, keypairs[keypairs.length - 1]?.name)
    : [];
  return sendJson(reply, 200, {
    keypairs: keypairs.map((k) => ({ keypair: brief(req, k) })),
    ...(links.length ? { keypairs_links: links } : {}),
  });
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const userId = userOf(req, readQuery(req, userQuerySchema(req)));
  authorize(compute, req, `${POLICY}show`, { user_id: userId });
  const k = await getKeypair(compute.db, userId, param(req, 'keypair_name'));
  return sendJson(reply, 200, {
    keypair: {
      ...brief(req, k),
      user_id: k.user_id,
      created_at: novaTime(k.created_at),
      deleted: false,
      deleted_at: null,
      id: k.id,
      updated_at: k.updated_at === null ? null : novaTime(k.updated_at),
    },
  });
}

function bodySchema(req: FastifyRequest) {
  if (req.version.gte(MICROVERSION.keypairImportOnly)) return schema.createV292;
  if (req.version.gte(MICROVERSION.keypairUserId)) return schema.createV210;
  return typed(req) ? schema.createV22 : schema.create;
}

async function create(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const { keypair: body } = readBody(req, bodySchema(req)) as {
    keypair: {
      name: string;
      public_key?: string;
      type?: KeypairType;
      user_id?: string;
    };
  };
  checkKeypairName(body.name, req.version.gte(MICROVERSION.keypairImportOnly));
  const userId = body.user_id || (req.ctx.userId ?? '');
  authorize(compute, req, `${POLICY}create`, { user_id: userId });
  const { keypair, privateKey } = await createKeypair(compute.db, compute.config, {
    userId,
    name: body.name.trim(),
    type: body.type ?? 'ssh',
    projectId: req.ctx.projectId ?? '',
    ...(body.public_key !== undefined ? { publicKey: body.public_key } : {}),
  });
  return sendJson(reply, typed(req) ? 201 : 200, {
    keypair: {
      ...(privateKey !== undefined ? { private_key: privateKey } : {}),
      ...(typed(req) ? { type: keypair.type } : {}),
      name: keypair.name,
      public_key: keypair.public_key,
      fingerprint: keypair.fingerprint,
      user_id: keypair.user_id,
    },
  });
}

async function remove(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const userId = userOf(req, readQuery(req, userQuerySchema(req)));
  authorize(compute, req, `${POLICY}delete`, { user_id: userId });
  await deleteKeypair(compute.db, userId, param(req, 'keypair_name'));
  return sendEmpty(reply, typed(req) ? 204 : 202);
}

export function keypairRoutes(compute: Compute): RouteTable {
  return {
    '/os-keypairs': {
      GET: (req, reply) => index(compute, req, reply),
      POST: (req, reply) => create(compute, req, reply),
    },
    '/os-keypairs/:keypair_name': {
      GET: (req, reply) => show(compute, req, reply),
      DELETE: (req, reply) => remove(compute, req, reply),
    },
  };
}
