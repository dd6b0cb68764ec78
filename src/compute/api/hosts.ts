// /os-hosts (nova/api/openstack/compute/hosts.py; removed at 2.43, os-services and
// os-hypervisors replace it): list and show. Enabling a host, its maintenance mode and its power
// (startup, shutdown, reboot) are the virt driver's in Nova; concord's drivers do none of them,
// so a known host answers those with Nova's 501 for a driver without them.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { RouteTable } from '../../common/http/app.js';
import { HttpError } from '../../common/http/errors.js';
import { param } from '../../common/http/request_params.js';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest } from '../errors.js';
import { HostNotFound } from '../exceptions.js';
import { authorize, last, readBody, readQuery, requireVersion } from '../http.js';
import { hostResources, listHosts } from '../objects/host.js';
import { findServiceByHost } from '../objects/service.js';

const POLICY = 'os_compute_api:os-hosts:';
const LAST_VERSION = '2.42';

const indexQuery = Type.Object({ zone: Type.Optional(Type.Array(Type.String())) }, { additionalProperties: true });
const toggle = Type.Unsafe<string>({
  type: 'string',
  enum: ['enable', 'disable', 'Enable', 'Disable', 'ENABLE', 'DISABLE'],
});
const updateSchema = Type.Object(
  { status: Type.Optional(toggle), maintenance_mode: Type.Optional(toggle) },
  { additionalProperties: false },
);

function allowed(compute: Compute, req: FastifyRequest, rule: string): void {
  requireVersion(req, '2.1', LAST_VERSION);
  authorize(compute, req, `${POLICY}${rule}`, {});
}

async function index(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  allowed(compute, req, 'list');
  const zone = last(readQuery(req, indexQuery), 'zone');
  return sendJson(reply, 200, { hosts: await listHosts(compute.db, compute.config, zone) });
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  allowed(compute, req, 'show');
  const resources = await hostResources(compute.db, param(req, 'host_name'));
  return sendJson(reply, 200, { host: resources.map((resource) => ({ resource })) });
}

/** What only a driver could do to a host that exists. */
async function driverOnly(compute: Compute, req: FastifyRequest): Promise<never> {
  const host = param(req, 'host_name');
  if (!(await findServiceByHost(compute.db, host))) throw new HostNotFound(host);
  throw new HttpError(501, 'The requested functionality is not supported.');
}

async function update(compute: Compute, req: FastifyRequest) {
  allowed(compute, req, 'update');
  const body = readBody(req, updateSchema);
  if (body.status === undefined && body.maintenance_mode === undefined) {
    throw badRequest(
      'Invalid input for field/attribute host. Value: {}. {} is not valid under any of the given schemas',
    );
  }
  return driverOnly(compute, req);
}

function power(compute: Compute, rule: string) {
  return (req: FastifyRequest) => {
    allowed(compute, req, rule);
    return driverOnly(compute, req);
  };
}

export function hostRoutes(compute: Compute): RouteTable {
  return {
    '/os-hosts': { GET: (req, reply) => index(compute, req, reply) },
    '/os-hosts/:host_name': {
      GET: (req, reply) => show(compute, req, reply),
      PUT: (req) => update(compute, req),
    },
    '/os-hosts/:host_name/startup': { GET: power(compute, 'start') },
    '/os-hosts/:host_name/shutdown': { GET: power(compute, 'shutdown') },
    '/os-hosts/:host_name/reboot': { GET: power(compute, 'reboot') },
  };
}
