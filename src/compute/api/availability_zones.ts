// /os-availability-zone[/detail]: the zones, available (some enabled service in them) or not, the
// internal zone hidden from the list; in detail, for administrators, each zone's hosts and their
// services (nova/api/openstack/compute/availability_zone.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { authorize, novaTime } from '../http.js';
import { servicesWithZones, zonesOf, type ZonedService } from '../objects/availability_zone.js';

const POLICY = 'os_compute_api:os-availability-zone:';
/** Services of the API itself, which no zone lists. */
const API_SERVICES = ['nova-osapi_compute', 'nova-metadata'];

async function index(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, `${POLICY}list`, {});
  const { available, unavailable } = zonesOf(await servicesWithZones(compute.db, compute.config));
  const internal = compute.config.internalServiceAvailabilityZone;
  const entry = (zoneName: string, isAvailable: boolean) => ({
    zoneName,
    zoneState: { available: isAvailable },
    hosts: null,
  });
  return sendJson(reply, 200, {
    availabilityZoneInfo: [
      ...available.filter((z) => z !== internal).map((z) => entry(z, true)),
      ...unavailable.filter((z) => z !== internal).map((z) => entry(z, false)),
    ],
  });
}

function hostsOf(services: ZonedService[], zone: string) {
  const hosts: Record<string, Record<string, unknown>> = {};
  for (const s of services) {
    if (s.disabled || s.zone !== zone || API_SERVICES.includes(s.binary)) continue;
    (hosts[s.host] ??= {})[s.binary] = {
      available: s.up,
      active: true,
      updated_at: s.updated_at === null ? null : novaTime(s.updated_at),
    };
  }
  return hosts;
}

async function detail(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, `${POLICY}detail`, {});
  const services = await servicesWithZones(compute.db, compute.config);
  const { available, unavailable } = zonesOf(services);
  return sendJson(reply, 200, {
    availabilityZoneInfo: [
      ...available.map((z) => ({ zoneName: z, zoneState: { available: true }, hosts: hostsOf(services, z) })),
      ...unavailable.map((z) => ({ zoneName: z, zoneState: { available: false }, hosts: null })),
    ],
  });
}

export function availabilityZoneRoutes(compute: Compute): RouteTable {
  return {
    '/os-availability-zone': { GET: (req, reply) => index(compute, req, reply) },
    '/os-availability-zone/detail': { GET: (req, reply) => detail(compute, req, reply) },
  };
}
