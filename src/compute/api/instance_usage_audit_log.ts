// /os-instance_usage_audit_log[/{before}] (nova/api/openstack/compute/instance_usage_audit_log.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { param } from '../../common/http/request_params.js';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest } from '../errors.js';
import { authorize } from '../http.js';
import { auditLog } from '../objects/instance_usage_audit.js';

const POLICY = 'os_compute_api:os-instance-usage-audit-log:';

async function index(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, `${POLICY}list`, {});
  return sendJson(reply, 200, { instance_usage_audit_logs: await auditLog(compute.db, new Date()) });
}

/** `%Y-%m-%d %H:%M:%S[.%f]`, as Nova's strptime takes it (UTC). */
function parseBefore(raw: string): Date | undefined {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?$/.exec(raw);
  if (!m || (raw.includes('.') && m[7] === undefined)) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s, Number((m[7] ?? '0').padEnd(6, '0')) / 1000));
  const valid = t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
  return valid ? t : undefined;
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, `${POLICY}show`, {});
  const raw = param(req, 'before');
  const before = parseBefore(raw);
  if (!before) throw badRequest(`Invalid timestamp for date ${raw}`);
  return sendJson(reply, 200, { instance_usage_audit_log: await auditLog(compute.db, before) });
}

export function instanceUsageAuditLogRoutes(compute: Compute): RouteTable {
  return {
    '/os-instance_usage_audit_log': { GET: (req, reply) => index(compute, req, reply) },
    '/os-instance_usage_audit_log/:before': { GET: (req, reply) => show(compute, req, reply) },
  };
}
