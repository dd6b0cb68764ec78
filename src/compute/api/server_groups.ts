// /os-server-groups: create (policies before 2.64, policy and rules from it), list (all_projects
// for administrators; limit and offset), show, delete (nova/api/openstack/compute/server_groups.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { InvalidName } from '../exceptions.js';
import { authorize, isAdmin, last, readBody, readQuery } from '../http.js';
import {
  createServerGroup,
  deleteServerGroup,
  getServerGroup,
  listServerGroups,
  type ServerGroup,
} from '../objects/server_group.js';
import { isValidName, NAME_RULE } from '../objects/text.js';
import * as schema from '../schemas/server_groups.js';

const RULE = 'os_compute_api:os-server-groups';

function view(req: FastifyRequest, g: ServerGroup) {
  return {
    id: g.id,
    name: g.name,
    ...(req.version.gte('2.64') ? { policy: g.policy, rules: g.rules } : { policies: [g.policy], metadata: {} }),
    members: g.members,
    ...(req.version.gte('2.13') ? { project_id: g.project_id, user_id: g.user_id } : {}),
  };
}

async function create(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const v = req.version;
  const body: { server_group: schema.CreateServerGroup } = readBody(
    req,
    v.gte('2.64') ? schema.createV264 : v.gte('2.15') ? schema.createV215 : schema.create,
  ) as never;
  const projectId = req.ctx.projectId ?? '';
  authorize(compute, req, `${RULE}:create`, { project_id: projectId });
  const g = body.server_group;
  if (!isValidName(g.name)) throw new InvalidName(NAME_RULE);
  const rules: Record<string, number> =
    g.rules?.max_server_per_host !== undefined ? { max_server_per_host: Number(g.rules.max_server_per_host) } : {};
  const group = await createServerGroup(compute.db, compute.config, {
    name: g.name,
    policy: g.policy ?? g.policies![0]!,
    rules,
    projectId,
    userId: req.ctx.userId ?? '',
  });
  return sendJson(reply, 200, { server_group: view(req, group) });
}

/** Nova's common.limited: offset and limit (at most [api] max_limit). */
function page(compute: Compute, query: Record<string, string[]>) {
  const max = compute.config.computeMaxLimit;
  const limit = Math.min(max, Number(last(query, 'limit') ?? max));
  return { limit, offset: Number(last(query, 'offset') ?? 0) };
}

async function list(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const query = readQuery(req, req.version.gte('2.75') ? schema.indexQueryV275 : schema.indexQuery);
  const projectId = req.ctx.projectId ?? '';
  authorize(compute, req, `${RULE}:index`, { project_id: projectId });
  // As Nova: a non-administrator asking for every project gets their own, without an error.
  const all = query.all_projects !== undefined && isAdmin(req);
  if (all) authorize(compute, req, `${RULE}:index:all_projects`, { project_id: projectId });
  const groups = await listServerGroups(compute.db, all ? null : projectId, page(compute, query));
  return sendJson(reply, 200, { server_groups: groups.map((g) => view(req, g)) });
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const group = await getServerGroup(compute.db, param(req, 'id'), null);
  authorize(compute, req, `${RULE}:show`, { project_id: group.project_id });
  return sendJson(reply, 200, { server_group: view(req, group) });
}

async function remove(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const group = await getServerGroup(compute.db, param(req, 'id'), null);
  authorize(compute, req, `${RULE}:delete`, { project_id: group.project_id });
  await deleteServerGroup(compute.db, group.id, null);
  return sendEmpty(reply, 204);
}

export function serverGroupRoutes(compute: Compute): RouteTable {
  return {
    '/os-server-groups': {
      GET: (req, reply) => list(compute, req, reply),
      POST: (req, reply) => create(compute, req, reply),
    },
    '/os-server-groups/:id': {
      GET: (req, reply) => show(compute, req, reply),
      DELETE: (req, reply) => remove(compute, req, reply),
    },
  };
}
