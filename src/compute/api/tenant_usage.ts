// /os-simple-tenant-usage[/{tenant_id}]: what every project (administrators) or one project used
// over a period (?start=&end=, default now; the end no later than now), per server with
// ?detailed=1; paged from 2.40 (nova/api/openstack/compute/simple_tenant_usage.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { param, queryPairs } from '../../common/http/request_params.js';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { MarkerNotFound } from '../exceptions.js';
import { authorize, limitAndMarker, nextLinks, novaTime, readQuery } from '../http.js';
import { MICROVERSION } from '../microversions.js';
import { tenantUsages, type ServerUsage, type TenantUsage } from '../objects/tenant_usage.js';
import * as schema from '../schemas/tenant_usage.js';

const POLICY = 'os_compute_api:os-simple-tenant-usage:';
const COLLECTION = 'os-simple-tenant-usage';

/** A time as Nova's _parse_datetime reads it (strptime's %Y-%m-%dT%H:%M:%S[.%f] or
 * %Y-%m-%d %H:%M:%S.%f, in UTC), in milliseconds; blank or absent: now. */
function parseTime(raw: string | undefined, now: number): number {
  if (!raw) return now;
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(T| )(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?$/.exec(raw);
  const invalid = () => badRequest('Invalid datetime string: Datetime is in invalid format');
  if (!m || (m[4] === ' ' && m[8] === undefined)) throw invalid();
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[5], m[6], m[7]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s, Math.floor(Number((m[8] ?? '0').padEnd(6, '0')) / 1000));
  const back = new Date(ms);
  // Python's datetime refuses days a month does not have, and times past 23:59:59.
  if (y < 1 || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw invalid();
  return ms;
}

/** start, end and detailed as Nova reads them (parse_qs: the first non-blank value). */
function period(req: FastifyRequest): { start: number; stop: number; detailed: boolean } {
  const params = new Map<string, string>();
  for (const [k, v] of queryPairs(req)) if (v !== '' && !params.has(k)) params.set(k, v);
  const now = Date.now();
  const start = parseTime(params.get('start'), now);
  // Neither given: the period is the instant between the two readings of the clock, as in Nova.
  const stop = parseTime(params.get('end'), params.has('end') ? now : now + 1);
  if (!(start < stop)) throw badRequest('Invalid start time. The start time cannot occur after the end time.');
  return { start, stop: Math.min(stop, Date.now() + 1), detailed: params.get('detailed') === '1' };
}

function serverView(s: ServerUsage) {
  return {
    ...s,
    started_at: novaTime(new Date(s.started_at).toISOString()),
    ended_at: s.ended_at === null ? null : novaTime(new Date(s.ended_at).toISOString()),
  };
}

function usageView(u: TenantUsage) {
  return {
    ...u,
    ...(u.server_usages ? { server_usages: u.server_usages.map(serverView) } : {}),
    start: novaTime(new Date(u.start).toISOString()),
    stop: novaTime(new Date(u.stop).toISOString()),
  };
}

/** The page asked for: from 2.40, limit and marker; before, up to [api] max_limit. Unknown
 * parameters are refused from 2.75, as everywhere. */
function pageOf(
  compute: Compute,
  req: FastifyRequest,
  forProject: boolean,
): { limit: number; marker?: string } | undefined {
  const paged = req.version.gte(MICROVERSION.tenantUsagePagination);
  const strict = req.version.gte(MICROVERSION.strictQuery);
  const query = readQuery(
    req,
    forProject
      ? strict
        ? schema.showQueryV275
        : paged
          ? schema.showQueryV240
          : schema.showQuery
      : strict
        ? schema.indexQueryV275
        : paged
          ? schema.indexQueryV240
          : schema.indexQuery,
  );
  return paged ? limitAndMarker(compute, query) : undefined;
}

async function usages(
  compute: Compute,
  req: FastifyRequest,
  page: { limit: number; marker?: string } | undefined,
  opts: { projectId?: string; detailed: boolean; start: number; stop: number },
) {
  try {
    const found = await tenantUsages(compute.db, opts.start, opts.stop, {
      ...opts,
      ...(page ?? { limit: compute.config.computeMaxLimit }),
    });
    const collection = opts.projectId === undefined ? COLLECTION : `${COLLECTION}/${opts.projectId}`;
    const links = page
      ? nextLinks(
          compute,
          req,
          collection,
          found.servers.length,
          page.limit,
          found.servers[found.servers.length - 1]?.instance_id,
        )
      : [];
    return { usages: found.usages.map(usageView), links };
  } catch (e) {
    if (e instanceof MarkerNotFound) throw badRequest(e.message);
    throw e;
  }
}

async function index(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const page = pageOf(compute, req, false);
  authorize(compute, req, `${POLICY}list`);
  const { start, stop, detailed } = period(req);
  const { usages: all, links } = await usages(compute, req, page, { detailed, start, stop });
  return sendJson(reply, 200, { tenant_usages: all, ...(links.length ? { tenant_usages_links: links } : {}) });
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const page = pageOf(compute, req, true);
  const projectId = param(req, 'tenant_id');
  // `/os-simple-tenant-usage/` names no project: Nova's router matches no route there.
  if (projectId === '') throw notFound();
  authorize(compute, req, `${POLICY}show`, { project_id: projectId });
  const { start, stop } = period(req);
  const { usages: found, links } = await usages(compute, req, page, { projectId, detailed: true, start, stop });
  return sendJson(reply, 200, { tenant_usage: found[0] ?? {}, ...(links.length ? { tenant_usage_links: links } : {}) });
}

export function tenantUsageRoutes(compute: Compute): RouteTable {
  return {
    [`/${COLLECTION}`]: { GET: (req, reply) => index(compute, req, reply) },
    [`/${COLLECTION}/:tenant_id`]: { GET: (req, reply) => show(compute, req, reply) },
  };
}
