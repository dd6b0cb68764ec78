// /os-quota-class-sets/{id}: a quota class's limits, shown and set; the class `default` holds the
// defaults of every project (nova/api/openstack/compute/quota_classes.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { param } from '../../common/http/request_params.js';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest } from '../errors.js';
import { authorize, readBody } from '../http.js';
import { MICROVERSION } from '../microversions.js';
import { classQuotas, QUOTA_RESOURCES, updateClassQuotas } from '../objects/quota.js';
import * as schema from '../schemas/quota.js';

const POLICY = 'os_compute_api:os-quota-class-sets:';
const NETWORK = ['fixed_ips', 'floating_ips', 'security_group_rules', 'security_groups'];
const PERSONALITY = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];
const SERVER_GROUPS = ['server_groups', 'server_group_members'];

/** Before 2.50 the server group limits are not shown; from 2.50 nova-network's are not, nor
 * from 2.57 personality's. */
function hidden(req: FastifyRequest): string[] {
  if (req.version.gte(MICROVERSION.noPersonality)) return [...NETWORK, ...PERSONALITY];
  return req.version.gte(MICROVERSION.quotaClassServerGroups) ? NETWORK : SERVER_GROUPS;
}

function view(req: FastifyRequest, id: string | undefined, values: Record<string, number>) {
  const skip = hidden(req);
  const body: Record<string, unknown> = id === undefined ? {} : { id };
  for (const { name } of QUOTA_RESOURCES) if (!skip.includes(name)) body[name] = values[name];
  return { quota_class_set: body };
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, `${POLICY}show`, {});
  const id = param(req, 'id');
  return sendJson(reply, 200, view(req, id, await classQuotas(compute.db, compute.config, id)));
}

function bodySchema(req: FastifyRequest) {
  if (req.version.gte(MICROVERSION.noPersonality)) return schema.classUpdateV257;
  return req.version.gte(MICROVERSION.quotaClassServerGroups) ? schema.classUpdateV250 : schema.classUpdate;
}

async function update(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const body = readBody(req, bodySchema(req)).quota_class_set;
  authorize(compute, req, `${POLICY}update`, {});
  const id = param(req, 'id');
  if (id.length > 255) throw badRequest('quota_class_name has more than 255 characters.');
  const values = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Number(v)]));
  await updateClassQuotas(compute.db, id, values);
  return sendJson(reply, 200, view(req, undefined, await classQuotas(compute.db, compute.config, id)));
}

export function quotaClassRoutes(compute: Compute): RouteTable {
  return {
    '/os-quota-class-sets/:id': {
      GET: (req, reply) => show(compute, req, reply),
      PUT: (req, reply) => update(compute, req, reply),
    },
  };
}
