// /servers/{id}/ips (nova/api/openstack/compute/ips.py): a server's addresses by network. Without
// a network service no server has a port, so every server is on no network.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { notFound } from '../errors.js';
import { findServer } from './servers.js';

async function index(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  await findServer(compute, req, 'os_compute_api:ips:index');
  return sendJson(reply, 200, { addresses: {} });
}

async function show(compute: Compute, req: FastifyRequest) {
  await findServer(compute, req, 'os_compute_api:ips:show');
  throw notFound('Instance is not a member of specified network');
}

export function serverIpRoutes(compute: Compute): RouteTable {
  return {
    '/servers/:server_id/ips': { GET: (req, reply) => index(compute, req, reply) },
    '/servers/:server_id/ips/:network_label': { GET: (req) => show(compute, req) },
  };
}
