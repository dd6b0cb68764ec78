// /os-services: the compute services with their state (up or down by their heartbeats) and
// status (enabled or disabled for the scheduler); enabling, disabling and forcing down a
// nova-compute service; deleting one (nova/api/openstack/compute/services.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { authorize, last, novaTime, readBody, readQuery } from '../http.js';
import { MICROVERSION } from '../microversions.js';
import {
  availabilityZonesOf,
  COMPUTE_BINARY,
  deleteService,
  findService,
  findServiceByHost,
  listServices,
  updateService,
  type Service,
  type ServiceChanges,
} from '../objects/service.js';
import { parseBoolean } from '../objects/flavor.js';
import { isUp } from '../objects/servicegroup.js';
import * as schema from '../schemas/services.js';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const INTEGER = /^\s*[+-]?\d+\s*$/;

/** A service as the API shows it; `zone` from its host's aggregates. */
function serviceView(compute: Compute, req: FastifyRequest, s: Service, zone: string) {
  return {
    binary: s.binary,
    host: s.host,
    id: req.version.gte(MICROVERSION.serviceUuids) ? s.uuid : s.id,
    zone,
    status: s.disabled ? 'disabled' : 'enabled',
    state: isUp(s, compute.config.serviceDownTime) ? 'up' : 'down',
    updated_at: s.updated_at === null ? null : novaTime(s.updated_at),
    disabled_reason: s.disabled_reason,
    ...(req.version.gte(MICROVERSION.servicesForcedDown) ? { forced_down: s.forced_down } : {}),
  };
}

async function views(compute: Compute, req: FastifyRequest, services: Service[]) {
  const zones = await availabilityZonesOf(compute.db, services, {
    defaultZone: compute.config.defaultAvailabilityZone,
    internalZone: compute.config.internalServiceAvailabilityZone,
  });
  return services.map((s) => serviceView(compute, req, s, zones.get(s.id)!));
}

async function list(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const query = readQuery(req, req.version.gte(MICROVERSION.strictQuery) ? schema.indexQueryV275 : schema.indexQuery);
  authorize(compute, req, 'os_compute_api:os-services:list', {});
  const host = last(query, 'host');
  const binary = last(query, 'binary');
  const services = await listServices(compute.db, { ...(host ? { host } : {}), ...(binary ? { binary } : {}) });
  return sendJson(reply, 200, { services: await views(compute, req, services) });
}

/** The nova-compute service `body` names by host and binary (before 2.53). */
async function byHostAndBinary(compute: Compute, host: string, binary: string): Promise<Service> {
  if (binary !== COMPUTE_BINARY) {
    throw badRequest(`Updating a ${binary} service is not supported. Only nova-compute services can be updated.`);
  }
  const service = await findServiceByHost(compute.db, host, binary);
  if (!service) {
    // A host nova has no service of is one no cell maps.
    const any = await listServices(compute.db, { host });
    throw notFound(
      any.length ? `Could not find binary ${binary} on host ${host}.` : `Host '${host}' is not mapped to any cell`,
    );
  }
  return service;
}

async function save(compute: Compute, service: Service, changes: ServiceChanges): Promise<Service> {
  const saved = await updateService(compute.db, compute.jobs, service, changes, compute.config.serviceDownTime);
  // The scheduler's shared host states hold the service as it was.
  compute.hostStateCache?.forget();
  return saved;
}

/** PUT /os-services/{enable,disable,disable-log-reason,force-down} (2.1-2.52). */
async function action(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const withForcedDown = req.version.gte(MICROVERSION.servicesForcedDown);
  const body = readBody(req, withForcedDown ? schema.updateV211 : schema.update) as {
    host: string;
    binary: string;
    disabled_reason?: string;
    forced_down?: boolean | string;
  };
  authorize(compute, req, 'os_compute_api:os-services:update', {});
  const name = param(req, 'service_id');
  const ref = { host: body.host, binary: body.binary };
  if (name === 'enable') {
    await save(compute, await byHostAndBinary(compute, body.host, body.binary), {
      disabled: false,
      disabled_reason: null,
    });
    return sendJson(reply, 200, { service: { ...ref, status: 'enabled' } });
  }
  if (name === 'disable' || name === 'disable-log-reason') {
    if (name === 'disable-log-reason' && body.disabled_reason === undefined)
      throw badRequest('Missing disabled reason field');
    const reason = name === 'disable-log-reason' ? body.disabled_reason! : null;
    await save(compute, await byHostAndBinary(compute, body.host, body.binary), {
      disabled: true,
      disabled_reason: reason,
    });
    return sendJson(reply, 200, {
      service: { ...ref, status: 'disabled', ...(reason ? { disabled_reason: reason } : {}) },
    });
  }
  if (name === 'force-down' && withForcedDown) {
    if (body.forced_down === undefined) throw badRequest('Missing forced_down field');
    const forcedDown = parseBoolean(body.forced_down) ?? false;
    await save(compute, await byHostAndBinary(compute, body.host, body.binary), { forced_down: forcedDown });
    return sendJson(reply, 200, { service: { ...ref, forced_down: forcedDown } });
  }
  throw notFound('Unknown action');
}

/** PUT /os-services/{uuid} (2.53): status (with an optional reason) and/or forced_down. */
async function update(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const body = readBody(req, schema.updateV253);
  const id = param(req, 'service_id');
  if (!UUID.test(id)) throw badRequest(`Invalid uuid ${id}`);
  authorize(compute, req, 'os_compute_api:os-services:update', {});
  const service = await findService(compute.db, { uuid: id });
  if (!service) throw notFound(`Service ${id} could not be found.`);
  if (service.binary !== COMPUTE_BINARY) {
    throw badRequest(
      `Updating a ${service.binary} service is not supported. Only nova-compute services can be updated.`,
    );
  }
  const changes: ServiceChanges = {};
  if (body.status === 'enabled') {
    if (body.disabled_reason) throw badRequest("Specifying 'disabled_reason' with status 'enabled' is invalid.");
    Object.assign(changes, { disabled: false, disabled_reason: null });
  } else if (body.status === 'disabled') {
    Object.assign(changes, { disabled: true, disabled_reason: body.disabled_reason ?? null });
  }
  if (body.forced_down !== undefined) {
    const forcedDown = parseBoolean(body.forced_down);
    // oslo's strict bool_from_string: the schema's enum already holds only what it reads.
    changes.forced_down = forcedDown === true;
  }
  if (!Object.keys(changes).length) {
    throw badRequest("No updates were requested. Fields 'status' or 'forced_down' should be specified.");
  }
  const saved = await save(compute, service, changes);
  return sendJson(reply, 200, { service: (await views(compute, req, [saved]))[0] });
}

async function put(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  return req.version.gte(MICROVERSION.serviceUuids) ? update(compute, req, reply) : action(compute, req, reply);
}

async function remove(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, 'os_compute_api:os-services:delete', {});
  const id = param(req, 'service_id');
  let service: Service | undefined;
  if (req.version.gte(MICROVERSION.serviceUuids)) {
    if (!UUID.test(id)) throw badRequest(`Invalid uuid ${id}`);
    service = await findService(compute.db, { uuid: id });
  } else {
    if (!INTEGER.test(id)) throw badRequest('Invalid input received: id must be an integer');
    const n = Number(id);
    service = Number.isSafeInteger(n) ? await findService(compute.db, { id: n }) : undefined;
  }
  if (!service) throw notFound(`Service ${id} not found.`);
  await deleteService(compute.db, compute.clients?.placement, service, compute.log);
  compute.hostStateCache?.forget();
  return sendEmpty(reply, 204);
}

export function serviceRoutes(compute: Compute): RouteTable {
  return {
    '/os-services': { GET: (req, reply) => list(compute, req, reply) },
    '/os-services/:service_id': {
      PUT: (req, reply) => put(compute, req, reply),
      DELETE: (req, reply) => remove(compute, req, reply),
    },
  };
}
