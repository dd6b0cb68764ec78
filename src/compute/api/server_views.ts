// Server bodies as Nova's views/servers.py builds them, per microversion and per caller: the
// extended attributes (OS-EXT-SRV-ATTR:*) for administrators, the fault of a server in ERROR, the
// embedded flavor from 2.47.
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Compute } from '../context.js';
import { allowed, resourceLinks, serviceUrl } from '../http.js';
import { instanceName, statusOf, type Instance } from '../objects/instance.js';
import type { Fault } from '../objects/instance_fault.js';

/** Statuses whose bodies carry progress. */
const PROGRESS_STATUSES = new Set(['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING']);

/** Nova's datetime as its views print it (UTC, seconds, Z). */
export const isotime = (ts: string | null) => (ts === null ? null : `${ts.slice(0, 19)}Z`);
/** OS-SRV-USG's naive microsecond timestamps. */
const usageTime = (ts: string | null) =>
  ts === null ? null : `${ts.slice(0, 19)}.${(ts.slice(20, 23) || '000').padEnd(6, '0')}`;

/** hostId: the host hashed with the project, so a project can tell its servers' hosts apart
 * without learning their names. */
export function hostId(projectId: string, host: string | null): string {
  return host
    ? createHash('sha224')
        .update(projectId + host)
        .digest('hex')
    : '';
}

/** An IPv6 address as Nova's IPV6Address field prints it: compressed, lower case (the API takes
 * any spelling the ipv6 format allows, `0:0::babe:220.12.22.2` included). */
const compactIPv6 = (ip: string) => new URL(`http://[${ip}]`).hostname.slice(1, -1);

/** Decisions and host ids of one request: a list shows hundreds of servers of a few projects and
 * hosts, each asking the same policy rules and hashing the same project and host again. */
const perRequest = new WeakMap<FastifyRequest, Map<string, unknown>>();
function memo<T>(req: FastifyRequest, key: string, make: () => T): T {
  let m = perRequest.get(req);
  if (!m) perRequest.set(req, (m = new Map<string, unknown>()));
  if (m.has(key)) return m.get(key) as T;
  const v = make();
  m.set(key, v);
  return v;
}

/** allowed() for a rule on a server of `projectId`, once per request. */
const allowedFor = (compute: Compute, req: FastifyRequest, rule: string, projectId: string) =>
  memo(req, `${rule}\0${projectId}`, () => allowed(compute, req, rule, { project_id: projectId }));

export interface ViewOptions {
  fault?: Fault;
  isAdmin: boolean;
  /** Show (not a list): server groups from 2.71. */
  groups?: string[];
  /** The host's status (2.16, for those the policy allows). */
  hostStatus?: string;
  lockedReason?: string | null;
  /** The answer to an update or a rebuild: before 2.75 Nova leaves out the zone, config drive, key
   * name (rebuild shows it from 2.54), usage times, extended attributes and states, volumes. */
  answerTo?: 'update' | 'rebuild';
}

export function briefView(compute: Compute, req: FastifyRequest, i: Instance) {
  return { id: i.uuid, name: i.display_name ?? '', links: resourceLinks(compute, req, 'servers', i.uuid) };
}

function flavorView(compute: Compute, req: FastifyRequest, i: Instance) {
  const f = i.flavor.cur['nova_object.data'];
  if (req.version.lt('2.47')) {
    return {
      id: f.flavorid,
      links: [{ rel: 'bookmark', href: `${serviceUrl(compute, req)}/flavors/${encodeURIComponent(f.flavorid)}` }],
    };
  }
  const withSpecs = allowedFor(compute, req, 'os_compute_api:servers:show:flavor-extra-specs', i.project_id);
  return {
    vcpus: f.vcpus,
    ram: f.memory_mb,
    disk: f.root_gb,
    ephemeral: f.ephemeral_gb,
    swap: f.swap,
    original_name: f.name,
    ...(withSpecs ? { extra_specs: f.extra_specs } : {}),
  };
}

function imageView(compute: Compute, req: FastifyRequest, i: Instance) {
  if (!i.image_ref) return '';
  return {
    id: i.image_ref,
    links: [{ rel: 'bookmark', href: `${serviceUrl(compute, req)}/images/${encodeURIComponent(i.image_ref)}` }],
  };
}

function faultView(fault: Fault, isAdmin: boolean) {
  return {
    code: fault.code,
    created: isotime(fault.created_at),
    message: fault.message,
    // Nova shows the details of a 500 (a traceback there) to administrators only.
    ...(isAdmin || fault.code !== 500 ? { details: fault.details ?? '' } : {}),
  };
}

export function detailView(compute: Compute, req: FastifyRequest, i: Instance, o: ViewOptions) {
  const status = statusOf(i.vm_state, i.task_state);
  const v = req.version;
  const all = o.answerTo === undefined || v.gte('2.75');
  const extended = all && allowedFor(compute, req, 'os_compute_api:os-extended-server-attributes', i.project_id);
  const body: Record<string, unknown> = {
    id: i.uuid,
    name: i.display_name ?? '',
    status,
    tenant_id: i.project_id,
    user_id: i.user_id,
    metadata: i.metadata,
    hostId: memo(req, `hostId\0${i.project_id}\0${i.host ?? ''}`, () => hostId(i.project_id, i.host)),
    image: imageView(compute, req, i),
    flavor: flavorView(compute, req, i),
    created: isotime(i.created_at),
    updated: isotime(i.updated_at ?? i.created_at),
    addresses: {},
    accessIPv4: i.access_ip_v4 ?? '',
    accessIPv6: i.access_ip_v6 ? compactIPv6(i.access_ip_v6) : '',
    links: resourceLinks(compute, req, 'servers', i.uuid),
    'OS-DCF:diskConfig': i.auto_disk_config ? 'AUTO' : 'MANUAL',
    ...(PROGRESS_STATUSES.has(status) ? { progress: i.progress ?? 0 } : {}),
  };
  if (all) {
    Object.assign(body, {
      'OS-EXT-AZ:availability_zone': i.availability_zone ?? '',
      config_drive: i.config_drive ?? '',
      key_name: i.key_name,
      'OS-SRV-USG:launched_at': usageTime(i.launched_at),
      'OS-SRV-USG:terminated_at': usageTime(i.terminated_at),
      'OS-EXT-STS:task_state': i.task_state,
      'OS-EXT-STS:vm_state': i.vm_state,
      'OS-EXT-STS:power_state': i.power_state ?? 0,
      'os-extended-volumes:volumes_attached': [],
    });
  } else if (o.answerTo === 'rebuild' && v.gte('2.54')) body.key_name = i.key_name;
  if (extended) {
    Object.assign(body, {
      'OS-EXT-SRV-ATTR:host': i.host,
      'OS-EXT-SRV-ATTR:hypervisor_hostname': i.node,
      'OS-EXT-SRV-ATTR:instance_name': instanceName(i.id),
    });
    if (v.gte('2.3')) {
      Object.assign(body, {
        'OS-EXT-SRV-ATTR:reservation_id': i.reservation_id,
        'OS-EXT-SRV-ATTR:launch_index': i.launch_index,
        'OS-EXT-SRV-ATTR:hostname': i.hostname,
        'OS-EXT-SRV-ATTR:kernel_id': '',
        'OS-EXT-SRV-ATTR:ramdisk_id': '',
        'OS-EXT-SRV-ATTR:root_device_name': i.root_device_name,
        // A rebuild's answer has user_data at the top from 2.57 instead.
        ...(o.answerTo === 'rebuild' ? {} : { 'OS-EXT-SRV-ATTR:user_data': i.user_data }),
      });
    }
  }
  if (v.gte('2.9')) body.locked = i.locked === 1;
  if (v.gte('2.16') && all && o.hostStatus !== undefined) body.host_status = o.hostStatus;
  if (v.gte('2.19')) body.description = i.display_description;
  if (v.gte('2.26')) body.tags = i.tags;
  if (v.gte('2.63')) body.trusted_image_certificates = null;
  if (v.gte('2.71') && o.groups) body.server_groups = o.groups;
  if (v.gte('2.73')) body.locked_reason = o.lockedReason ?? null;
  if (o.answerTo === 'rebuild' && v.gte('2.57')) body.user_data = i.user_data;
  if (o.fault && (status === 'ERROR' || status === 'DELETED')) body.fault = faultView(o.fault, o.isAdmin);
  return body;
}
