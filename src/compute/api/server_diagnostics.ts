// GET /servers/{id}/diagnostics (nova/api/openstack/compute/server_diagnostics.py): what the
// server's host tells of it (objects/instance_diagnostics.ts) — before 2.48 the driver's own dict,
// from 2.48 the standard body, every field there even when the driver leaves it out (null).
// Administrators only by default. 409 while the server has no host, its host's service is down
// or its guest is not running; 501 for a driver that cannot tell; 504 when the host does not
// answer in time, 502 when it fails to.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { MICROVERSION } from '../microversions.js';
import { getDiagnostics, getInstanceDiagnostics } from '../objects/instance_diagnostics.js';
import type { InstanceDiagnostics } from '../virt/driver.js';
import { findServer } from './servers.js';

const PRIMITIVE_FIELDS = [
  'state',
  'driver',
  'hypervisor',
  'hypervisor_os',
  'uptime',
  'config_drive',
  'num_cpus',
  'num_nics',
  'num_disks',
] as const;
const LIST_FIELDS = {
  disk_details: ['read_bytes', 'read_requests', 'write_bytes', 'write_requests', 'errors_count'],
  cpu_details: ['id', 'time', 'utilisation'],
  nic_details: [
    'mac_address',
    'rx_octets',
    'rx_errors',
    'rx_drop',
    'rx_packets',
    'rx_rate',
    'tx_octets',
    'tx_errors',
    'tx_drop',
    'tx_packets',
    'tx_rate',
  ],
} as const;
const MEMORY_FIELDS = ['maximum', 'used'] as const;

/** `fields` of `o`, each null where `o` has none. */
function pick(o: object | null | undefined, fields: readonly string[]): Record<string, unknown> {
  const from = (o ?? {}) as Record<string, unknown>;
  return Object.fromEntries(fields.map((f) => [f, from[f] ?? null]));
}

/** Nova's view of the standard diagnostics (views/server_diagnostics.py). */
function diagnosticsView(d: InstanceDiagnostics): Record<string, unknown> {
  const counted = {
    ...d,
    num_cpus: d.cpu_details.length,
    num_nics: d.nic_details.length,
    num_disks: d.disk_details.length,
  };
  const view = pick(counted, PRIMITIVE_FIELDS);
  for (const [list, fields] of Object.entries(LIST_FIELDS)) {
    view[list] = (d[list as keyof typeof LIST_FIELDS] as object[]).map((item) => pick(item, fields));
  }
  view.memory_details = pick(d.memory_details, MEMORY_FIELDS);
  return view;
}

async function index(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await findServer(compute, req, 'os_compute_api:os-server-diagnostics');
  const { db, jobs, config } = compute;
  const body = req.version.gte(MICROVERSION.standardDiagnostics)
    ? diagnosticsView(await getInstanceDiagnostics(db, jobs, config, instance))
    : await getDiagnostics(db, jobs, config, instance);
  return sendJson(reply, 200, body);
}

export function serverDiagnosticsRoutes(compute: Compute): RouteTable {
  return { '/servers/:server_id/diagnostics': { GET: (req, reply) => index(compute, req, reply) } };
}
