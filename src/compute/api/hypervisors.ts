// /os-hypervisors: the compute nodes with the state and status of their service — list (paged from
// 2.33; searched by name and with their servers from 2.53), detail, show, and until 2.87 the
// statistics, uptime, search and servers routes (nova/api/openstack/compute/hypervisors.py). A
// host's uptime is asked of its agent (objects/host_uptime.ts): by the uptime route, and from 2.88
// by a show. A detailed list asks none (its uptime is null): Zed asks every listed host in turn,
// each call waiting for its answer (Nova bug 2122036, fixed after Zed by reading it from the
// hosts' resource reports).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { param } from '../../common/http/request_params.js';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { authorize, last, limitAndMarker, nextLinks, readQuery, requireVersion } from '../http.js';
import { MICROVERSION } from '../microversions.js';
import {
  computeNodeStatistics,
  findComputeNode,
  HYPERVISOR_STATISTICS,
  listComputeNodes,
  searchComputeNodes,
  serversOnHost,
  type ComputeNode,
} from '../objects/compute_node.js';
import { computeServicesOf, type Service } from '../objects/service.js';
import { isUp } from '../objects/servicegroup.js';
import { parseBoolean } from '../objects/flavor.js';
import { getHostUptime } from '../objects/host_uptime.js';
import { ComputeServiceUnavailable, FeatureNotSupported, HostCallFailed, HostCallTimeout } from '../exceptions.js';
import * as schema from '../schemas/hypervisors.js';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const INTEGER = /^\s*[+-]?\d+\s*$/;
const P = 'os_compute_api:os-hypervisors';

type Server = { name: string; uuid: string };

function hypervisorView(
  compute: Compute,
  req: FastifyRequest,
  cn: ComputeNode,
  service: Service,
  o: {
    detail: boolean;
    servers?: Server[] | undefined;
    withServers?: boolean;
    /** 2.88's uptime of a detail (a show's; lists say none). */
    uptime?: string | null;
  },
) {
  const uuids = req.version.gte(MICROVERSION.serviceUuids);
  const view: Record<string, unknown> = {
    id: uuids ? cn.uuid : cn.id,
    hypervisor_hostname: cn.hypervisor_hostname,
    state: isUp(service, compute.config.serviceDownTime) ? 'up' : 'down',
    status: service.disabled ? 'disabled' : 'enabled',
  };
  if (o.detail) {
    Object.assign(view, {
      hypervisor_type: cn.hypervisor_type,
      hypervisor_version: cn.hypervisor_version,
      host_ip: cn.host_ip,
      service: { id: uuids ? service.uuid : service.id, host: cn.host, disabled_reason: service.disabled_reason },
    });
    if (req.version.lt(MICROVERSION.hypervisorsWithoutStatistics)) {
      for (const f of HYPERVISOR_STATISTICS) view[f] = cn[f];
      // 2.28: cpu_info as the object it encodes.
      view.cpu_info = req.version.lt(MICROVERSION.hypervisorCpuInfoObject)
        ? cn.cpu_info
        : cn.cpu_info
          ? (JSON.parse(cn.cpu_info) as unknown)
          : {};
    } else {
      view.uptime = o.uptime ?? null;
    }
  }
  if (o.servers?.length) view.servers = o.servers;
  else if (o.withServers && req.version.gte(MICROVERSION.strictQuery)) view.servers = [];
  return view;
}

/** Each node with its service; nodes whose service is gone are left out, as Nova leaves them. */
async function withServices(compute: Compute, nodes: ComputeNode[]): Promise<[ComputeNode, Service][]> {
  const services = await computeServicesOf(
    compute.db,
    nodes.map((n) => n.host),
  );
  return nodes.flatMap((n) => {
    const s = services.get(n.host);
    return s ? [[n, s] as [ComputeNode, Service]] : [];
  });
}

async function byPattern(compute: Compute, pattern: string): Promise<ComputeNode[]> {
  const nodes = await searchComputeNodes(compute.db, pattern);
  if (!nodes.length) throw notFound(`No hypervisor matching '${pattern}' could be found.`);
  return nodes;
}

async function list(compute: Compute, req: FastifyRequest, reply: FastifyReply, detail: boolean) {
  const paged = req.version.gte(MICROVERSION.hypervisorPagination);
  const uuids = req.version.gte(MICROVERSION.serviceUuids);
  const query = paged ? readQuery(req, uuids ? schema.listQueryV253 : schema.listQueryV233) : {};
  authorize(compute, req, `${P}:${detail ? 'list-detail' : 'list'}`, {});
  const pattern = uuids ? last(query, 'hypervisor_hostname_pattern') : undefined;
  const withServers = uuids && parseBoolean(last(query, 'with_servers') ?? false) === true;
  let nodes: ComputeNode[];
  let limit = 0;
  if (pattern !== undefined) {
    if (query.limit !== undefined || query.marker !== undefined) {
      throw badRequest(
        'Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.',
      );
    }
    nodes = await byPattern(compute, pattern);
  } else {
    const page = paged ? limitAndMarker(compute, query) : { limit: 0 };
    limit = page.limit;
    let marker: { uuid: string } | { id: number } | undefined;
    if (page.marker !== undefined) {
      if (uuids && UUID.test(page.marker)) marker = { uuid: page.marker };
      else if (!uuids && INTEGER.test(page.marker) && Number.isSafeInteger(Number(page.marker)))
        marker = { id: Number(page.marker) };
      else throw badRequest(`marker [${page.marker}] not found`);
    }
    const found = await listComputeNodes(compute.db, {
      ...(paged ? { limit: page.limit } : {}),
      ...(marker ? { marker } : {}),
    });
    if (!found) throw badRequest(`marker [${page.marker}] not found`);
    nodes = found;
  }
  const hypervisors = [];
  for (const [cn, service] of await withServices(compute, nodes)) {
    const servers = withServers ? await serversOnHost(compute.db, cn.host) : undefined;
    hypervisors.push(hypervisorView(compute, req, cn, service, { detail, servers, withServers }));
  }
  const links =
    paged && pattern === undefined
      ? nextLinks(
          compute,
          req,
          detail ? 'os-hypervisors/detail' : 'os-hypervisors',
          hypervisors.length,
          limit,
          hypervisors.length ? String(hypervisors[hypervisors.length - 1]!.id) : undefined,
        )
      : [];
  return sendJson(reply, 200, { hypervisors, ...(links.length ? { hypervisors_links: links } : {}) });
}

// The search and servers routes take a hostname pattern where the others take an id: one
// parameter name for both, as the router wants one per position.

/** The node the path names: a uuid from 2.53 (else 400), an integer id before (else 404). */
async function nodeOf(compute: Compute, req: FastifyRequest): Promise<[ComputeNode, Service]> {
  const id = param(req, 'hypervisor_id');
  const missing = () => notFound(`Hypervisor with ID '${id}' could not be found.`);
  let node: ComputeNode | undefined;
  if (req.version.gte(MICROVERSION.serviceUuids)) {
    if (!UUID.test(id)) throw badRequest(`Invalid uuid ${id}`);
    node = await findComputeNode(compute.db, { uuid: id });
  } else {
    if (!INTEGER.test(id) || !Number.isSafeInteger(Number(id))) throw missing();
    node = await findComputeNode(compute.db, { id: Number(id) });
  }
  const [found] = node ? await withServices(compute, [node]) : [];
  if (!found) throw missing();
  return found;
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const uuids = req.version.gte(MICROVERSION.serviceUuids);
  const query = uuids ? readQuery(req, schema.showQueryV253) : {};
  authorize(compute, req, `${P}:show`, {});
  const withServers = uuids && parseBoolean(last(query, 'with_servers') ?? false) === true;
  const [cn, service] = await nodeOf(compute, req);
  const servers = withServers ? await serversOnHost(compute.db, cn.host) : undefined;
  const uptime = req.version.gte(MICROVERSION.hypervisorsWithoutStatistics)
    ? await shownUptime(compute, req, cn.host)
    : undefined;
  return sendJson(reply, 200, {
    hypervisor: hypervisorView(compute, req, cn, service, { detail: true, servers, withServers, uptime }),
  });
}

/** A show's uptime from 2.88: none (null) for a host whose service is down or whose driver cannot
 * tell, as Nova's; none too, logged, for a host that does not answer or fails to (a 500 in Nova):
 * the rest of the show stands without it. */
async function shownUptime(compute: Compute, req: FastifyRequest, host: string): Promise<string | null> {
  try {
    return await getHostUptime(compute.db, compute.jobs, compute.config, host);
  } catch (e) {
    if (e instanceof HostCallTimeout || e instanceof HostCallFailed) {
      req.log.warn({ host, err: e.message }, 'no uptime for the hypervisor shown');
      return null;
    }
    if (e instanceof ComputeServiceUnavailable || e instanceof FeatureNotSupported) return null;
    throw e;
  }
}

async function uptime(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  requireVersion(req, '2.1', '2.87');
  authorize(compute, req, `${P}:uptime`, {});
  const [cn, service] = await nodeOf(compute, req);
  const answer = await getHostUptime(compute.db, compute.jobs, compute.config, cn.host);
  return sendJson(reply, 200, {
    hypervisor: { ...hypervisorView(compute, req, cn, service, { detail: false }), uptime: answer },
  });
}

async function search(compute: Compute, req: FastifyRequest, reply: FastifyReply, withServers: boolean) {
  requireVersion(req, '2.1', '2.52');
  authorize(compute, req, `${P}:${withServers ? 'servers' : 'search'}`, {});
  const nodes = await byPattern(compute, param(req, 'hypervisor_id'));
  const hypervisors = [];
  for (const [cn, service] of await withServices(compute, nodes)) {
    const servers = withServers ? await serversOnHost(compute.db, cn.host) : undefined;
    hypervisors.push(hypervisorView(compute, req, cn, service, { detail: false, servers }));
  }
  return sendJson(reply, 200, { hypervisors });
}

async function statistics(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  requireVersion(req, '2.1', '2.87');
  authorize(compute, req, `${P}:statistics`, {});
  return sendJson(reply, 200, { hypervisor_statistics: await computeNodeStatistics(compute.db) });
}

export function hypervisorRoutes(compute: Compute): RouteTable {
  return {
    '/os-hypervisors': { GET: (req, reply) => list(compute, req, reply, false) },
    '/os-hypervisors/detail': { GET: (req, reply) => list(compute, req, reply, true) },
    '/os-hypervisors/statistics': { GET: (req, reply) => statistics(compute, req, reply) },
    '/os-hypervisors/:hypervisor_id': { GET: (req, reply) => show(compute, req, reply) },
    '/os-hypervisors/:hypervisor_id/uptime': { GET: (req, reply) => uptime(compute, req, reply) },
    '/os-hypervisors/:hypervisor_id/search': { GET: (req, reply) => search(compute, req, reply, false) },
    '/os-hypervisors/:hypervisor_id/servers': { GET: (req, reply) => search(compute, req, reply, true) },
  };
}
