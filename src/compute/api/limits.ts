// GET /limits: the caller's project's (or, for administrators, ?tenant_id='s) absolute limits
// and what it uses; no rate limits (nova/api/openstack/compute/limits.py, views/limits.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { authorize, last, readQuery } from '../http.js';
import { MICROVERSION } from '../microversions.js';
import { projectQuotas, type QuotaValue } from '../objects/quota.js';
import * as schema from '../schemas/quota.js';

/** The absolute limits each quota resource is shown as. */
const LIMIT_NAMES: Record<string, string[]> = {
  ram: ['maxTotalRAMSize'],
  instances: ['maxTotalInstances'],
  cores: ['maxTotalCores'],
  key_pairs: ['maxTotalKeypairs'],
  floating_ips: ['maxTotalFloatingIps'],
  metadata_items: ['maxServerMeta', 'maxImageMeta'],
  injected_files: ['maxPersonality'],
  injected_file_content_bytes: ['maxPersonalitySize'],
  security_groups: ['maxSecurityGroups'],
  security_group_rules: ['maxSecurityGroupRules'],
  server_groups: ['maxServerGroups'],
  server_group_members: ['maxServerGroupMembers'],
};

const USED_NAMES: Record<string, string> = {
  totalRAMUsed: 'ram',
  totalCoresUsed: 'cores',
  totalInstancesUsed: 'instances',
  totalFloatingIpsUsed: 'floating_ips',
  totalSecurityGroupsUsed: 'security_groups',
  totalServerGroupsUsed: 'server_groups',
};

/** What a microversion no longer shows: nova-network's from 2.36, maxImageMeta from 2.39,
 * personality's from 2.57. */
function hidden(req: FastifyRequest): string[] {
  const network = req.version.gte(MICROVERSION.noNetworkProxies)
    ? ['floating_ips', 'security_groups', 'security_group_rules']
    : [];
  const personality = req.version.gte(MICROVERSION.noPersonality)
    ? ['injected_files', 'injected_file_content_bytes']
    : [];
  return [...network, ...personality];
}

function view(req: FastifyRequest, quotas: Record<string, QuotaValue>) {
  const skip = hidden(req);
  const noImageMeta = req.version.gte(MICROVERSION.noImageMetaLimit);
  const absolute: Record<string, number> = {};
  for (const [name, q] of Object.entries(quotas)) {
    if (skip.includes(name)) continue;
    for (const limitName of LIMIT_NAMES[name] ?? []) {
      if (!(noImageMeta && limitName === 'maxImageMeta')) absolute[limitName] = q.limit;
    }
  }
  for (const [display, name] of Object.entries(USED_NAMES)) {
    if (!skip.includes(name)) absolute[display] = quotas[name]!.in_use!;
  }
  return { limits: { rate: [], absolute } };
}

async function index(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const query = readQuery(req, req.version.gte(MICROVERSION.strictQuery) ? schema.limitsQueryV275 : schema.limitsQuery);
  authorize(compute, req, 'os_compute_api:limits', {});
  let projectId = req.ctx.projectId ?? '';
  const tenant = last(query, 'tenant_id');
  if (tenant !== undefined) {
    authorize(compute, req, 'os_compute_api:limits:other_project');
    projectId = tenant;
  }
  return sendJson(reply, 200, view(req, await projectQuotas(compute.db, compute.config, projectId, { usages: true })));
}

export function limitRoutes(compute: Compute): RouteTable {
  return { '/limits': { GET: (req, reply) => index(compute, req, reply) } };
}
