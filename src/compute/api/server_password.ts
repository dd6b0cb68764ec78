// /servers/{id}/os-server-password (nova/api/openstack/compute/server_password.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { clearPassword, getPassword } from '../objects/instance_password.js';
import { findServer } from './servers.js';

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await findServer(compute, req, 'os_compute_api:os-server-password:show');
  return sendJson(reply, 200, { password: await getPassword(compute.db, instance.uuid) });
}

async function clear(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await findServer(compute, req, 'os_compute_api:os-server-password:clear');
  await clearPassword(compute.db, instance.uuid);
  return sendEmpty(reply, 204);
}

export function serverPasswordRoutes(compute: Compute): RouteTable {
  return {
    '/servers/:server_id/os-server-password': {
      GET: (req, reply) => show(compute, req, reply),
      DELETE: (req, reply) => clear(compute, req, reply),
    },
  };
}
