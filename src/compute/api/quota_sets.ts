// /os-quota-sets/{tenant_id}[/defaults|/detail]: a project's (or, with ?user_id=, a user's)
// limits — shown, shown with usages, set, reverted to the defaults — and the defaults
// (nova/api/openstack/compute/quota_sets.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest } from '../errors.js';
import { authorize, first, last, readBody, readQuery } from '../http.js';
import { MICROVERSION } from '../microversions.js';
import { parseBoolean } from '../objects/flavor.js';
import {
  defaultQuotas,
  deleteQuotas,
  projectQuotas,
  QUOTA_RESOURCES,
  updateQuotas,
  userQuotas,
  type QuotaValue,
} from '../objects/quota.js';
import * as schema from '../schemas/quota.js';
import { verifyProjectId } from './identity.js';

const POLICY = 'os_compute_api:os-quota-sets:';
const NETWORK = ['fixed_ips', 'floating_ips', 'security_group_rules', 'security_groups'];
const PERSONALITY = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];

/** What a microversion no longer shows: nova-network's limits from 2.36, personality's from 2.57. */
function hidden(req: FastifyRequest): string[] {
  if (req.version.gte(MICROVERSION.noPersonality)) return [...NETWORK, ...PERSONALITY];
  return req.version.gte(MICROVERSION.noNetworkProxies) ? NETWORK : [];
}

/** `{quota_set: {id?, resource: value ...}}` in the quota engine's order. */
export function quotaSetView<T>(req: FastifyRequest, id: string | undefined, values: Record<string, T>) {
  const skip = hidden(req);
  const body: Record<string, unknown> = id === undefined ? {} : { id };
  for (const { name } of QUOTA_RESOURCES) if (!skip.includes(name) && name in values) body[name] = values[name];
  return { quota_set: body };
}

const limitsOf = (q: Record<string, QuotaValue>) => Object.fromEntries(Object.entries(q).map(([k, v]) => [k, v.limit]));

/** ?user_id= as Nova reads it: parse_qs (the first, blank meaning none) or req.GET (the last). */
function userOf(query: Record<string, string[]>, pick: typeof first): string | undefined {
  return pick(query, 'user_id') || undefined;
}

function queryOf(req: FastifyRequest) {
  return readQuery(req, req.version.gte(MICROVERSION.strictQuery) ? schema.showQueryV275 : schema.showQuery);
}

async function quotas(compute: Compute, projectId: string, userId: string | undefined, usages: boolean) {
  return userId === undefined
    ? projectQuotas(compute.db, compute.config, projectId, { usages })
    : userQuotas(compute.db, compute.config, projectId, userId, { usages });
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const query = queryOf(req);
  const id = param(req, 'tenant_id');
  authorize(compute, req, `${POLICY}show`, { project_id: id });
  await verifyProjectId(compute, req, id);
  const values = await quotas(compute, id, userOf(query, first), false);
  return sendJson(reply, 200, quotaSetView(req, id, limitsOf(values)));
}

async function detail(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const query = queryOf(req);
  const id = param(req, 'tenant_id');
  authorize(compute, req, `${POLICY}detail`, { project_id: id });
  await verifyProjectId(compute, req, id);
  const values = await quotas(compute, id, userOf(query, last), true);
  const withReserved = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { ...v, reserved: 0 }]));
  return sendJson(reply, 200, quotaSetView(req, id, withReserved));
}

function bodySchema(req: FastifyRequest) {
  if (req.version.gte(MICROVERSION.noPersonality)) return schema.updateV257;
  return req.version.gte(MICROVERSION.noNetworkProxies) ? schema.updateV236 : schema.update;
}

async function update(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const body = readBody(req, bodySchema(req)).quota_set;
  const query = queryOf(req);
  const id = param(req, 'tenant_id');
  authorize(compute, req, `${POLICY}update`, { project_id: id });
  await verifyProjectId(compute, req, id);
  if ('networks' in body) throw badRequest('The networks quota has been removed');
  const userId = userOf(query, first);
  const force = body.force !== undefined && parseBoolean(body.force as string | boolean) === true;
  const values = Object.fromEntries(
    Object.entries(body)
      .filter(([k]) => k !== 'force')
      .map(([k, v]) => [k, Number(v)]),
  );
  await updateQuotas(compute.db, compute.config, id, userId, values, force);
  return sendJson(reply, 200, quotaSetView(req, undefined, limitsOf(await quotas(compute, id, userId, false))));
}

async function remove(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const query = queryOf(req);
  const id = param(req, 'tenant_id');
  authorize(compute, req, `${POLICY}delete`, { project_id: id });
  await deleteQuotas(compute.db, id, userOf(query, first));
  return sendEmpty(reply, 202);
}

async function defaults(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const id = param(req, 'tenant_id');
  authorize(compute, req, `${POLICY}defaults`, { project_id: id });
  await verifyProjectId(compute, req, id);
  return sendJson(reply, 200, quotaSetView(req, id, await defaultQuotas(compute.db, compute.config)));
}

export function quotaSetRoutes(compute: Compute): RouteTable {
  return {
    '/os-quota-sets/:tenant_id': {
      GET: (req, reply) => show(compute, req, reply),
      PUT: (req, reply) => update(compute, req, reply),
      DELETE: (req, reply) => remove(compute, req, reply),
    },
    '/os-quota-sets/:tenant_id/defaults': { GET: (req, reply) => defaults(compute, req, reply) },
    '/os-quota-sets/:tenant_id/detail': { GET: (req, reply) => detail(compute, req, reply) },
  };
}
