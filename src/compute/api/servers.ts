// /servers: create (202, built by the conductor and a compute host), list (brief and detailed,
// filters, sorting, pages, all_tenants), show, update (name, description 2.19, hostname 2.90) and
// delete (nova/api/openstack/compute/servers.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import type { RouteTable } from '../../common/http/app.js';
import { HttpError } from '../../common/http/errors.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import { ClientError, onBehalfOf, type Image } from '../../common/clients/index.js';
import type { Compute } from '../context.js';
import { badRequest } from '../errors.js';
import { FlavorNotFound, InvalidName, MarkerNotFound } from '../exceptions.js';
import {
  authorize,
  allowed,
  isAdmin,
  last,
  limitAndMarker,
  nextLinks,
  parseDateTime,
  readBody,
  readQuery,
  resourceLinks,
} from '../http.js';
import { getFlavor } from '../objects/flavor.js';
import { getInstance, STATUSES, updateInstance, VmState, type Instance } from '../objects/instance.js';
import { createInstances } from '../objects/instance_create.js';
import { diskConfigOf } from '../objects/instance_disk_config.js';
import { latestFaults, type Fault } from '../objects/instance_fault.js';
import { checkLocked, type Caller } from '../objects/instance_lifecycle.js';
import { deleteInstance } from '../objects/instance_delete.js';
import { deleteShelvedImage, shelvedImageOf } from '../objects/instance_shelve.js';
import { listInstances, SORT_KEYS, type InstanceFilters, type TagFilters } from '../objects/instance_list.js';
import type { ImageMeta } from '../objects/request_spec.js';
import { isValidName, NAME_RULE } from '../objects/text.js';
import { releaseClaim } from '../scheduler/index.js';
import * as schema from '../schemas/servers.js';
import { briefView, detailView } from './server_views.js';

/** The schema of the newest version in `table` the request is at or above. */
export function schemaFor(req: FastifyRequest, table: [string, TSchema][]): TSchema {
  return table.find(([v]) => req.version.gte(v))![1];
}

export function callerOf(req: FastifyRequest): Caller {
  return { projectId: req.ctx.projectId, userId: req.ctx.userId, isAdmin: isAdmin(req), requestId: req.requestId };
}

/** The server the caller may see: administrators any, others their project's. */
export function findServer(compute: Compute, req: FastifyRequest, rule: string): Promise<Instance> {
  return getInstance(compute.db, param(req, 'server_id'), { projectId: isAdmin(req) ? null : req.ctx.projectId }).then(
    (i) => {
      authorize(compute, req, rule, { project_id: i.project_id, user_id: i.user_id });
      return i;
    },
  );
}

/** A server's body for a show, or the answer to an update or rebuild (server groups from 2.71 in
 * all three, as Nova). */
export async function detailOf(compute: Compute, req: FastifyRequest, i: Instance, answerTo?: 'update' | 'rebuild') {
  const fault = (await latestFaults(compute.db, [i.uuid])).get(i.uuid);
  const groups = req.version.gte('2.71')
    ? (
        await compute.db
          .selectFrom('instance_group_member')
          .innerJoin('instance_groups', 'instance_groups.id', 'instance_group_member.group_id')
          .select('instance_groups.uuid')
          .where('instance_group_member.instance_uuid', '=', i.uuid)
          .execute()
      ).map((g) => g.uuid)
    : undefined;
  const reason = await compute.db
    .selectFrom('instance_system_metadata')
    .select('value')
    .where('instance_uuid', '=', i.uuid)
    .where('key', '=', 'locked_reason')
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return detailView(compute, req, i, {
    isAdmin: isAdmin(req),
    lockedReason: reason?.value ?? null,
    ...(fault ? { fault } : {}),
    ...(groups ? { groups } : {}),
    ...(answerTo ? { answerTo } : {}),
  });
}

/** The image a server boots (or is rebuilt) from, as the user sees it in Glance; `notFound` is
 * what a missing one is called. */
export async function bootImage(
  compute: Compute,
  req: FastifyRequest,
  ref: string,
  notFound = 'Can not find requested image',
): Promise<ImageMeta> {
  if (!compute.clients) {
    throw new HttpError(
      503,
      'This compute API has no service user ([keystone_authtoken]) to reach the image service with.',
    );
  }
  let image: Image;
  try {
    image = await compute.clients.image.show(onBehalfOf(req.ctx, req), ref);
  } catch (e) {
    if (e instanceof ClientError && e.status === 404) throw badRequest(notFound);
    throw e;
  }
  if (image.status !== 'active') throw badRequest(`Image ${image.id} is not active.`);
  const core = new Set([
    'id',
    'name',
    'status',
    'visibility',
    'disk_format',
    'container_format',
    'size',
    'virtual_size',
    'checksum',
    'os_hash_algo',
    'os_hash_value',
    'min_ram',
    'min_disk',
    'owner',
    'protected',
    'tags',
    'created_at',
    'updated_at',
    'self',
    'file',
    'schema',
    'direct_url',
    'locations',
    'os_hidden',
    'stores',
  ]);
  const properties = Object.fromEntries(
    Object.entries(image).filter(([k, v]) => !core.has(k) && typeof v === 'string') as [string, string][],
  );
  return { id: image.id, min_ram: image.min_ram, min_disk: image.min_disk, size: image.size, properties };
}

/** Hints as Nova keeps them: every value a list. */
function hintsOf(body: Record<string, unknown>): Record<string, string[]> {
  const raw = (body['os:scheduler_hints'] ?? body['OS-SCH-HNT:scheduler_hints'] ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [
      k,
      (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'string' ? x : JSON.stringify(x))),
    ]),
  );
}

/** The destination an administrator forces: availability_zone `az:host:node` (or host and
 * hypervisor_hostname from 2.74, which the scheduler still checks). */
function destinationOf(compute: Compute, req: FastifyRequest, s: schema.CreateServer) {
  let az = s.availability_zone ?? null;
  const forceHosts: string[] = [];
  const forceNodes: string[] = [];
  if (az !== null && az.includes(':')) {
    const [zone, host, node] = az.split(':');
    authorize(compute, req, 'os_compute_api:servers:create:forced_host', {});
    az = zone || null;
    if (host) forceHosts.push(host);
    if (node) forceNodes.push(node);
  }
  if (s.host !== undefined || s.hypervisor_hostname !== undefined) {
    authorize(compute, req, 'os_compute_api:servers:create:requested_destination', {});
    if (s.host !== undefined) forceHosts.push(s.host);
    if (s.hypervisor_hostname !== undefined) forceNodes.push(s.hypervisor_hostname);
  }
  return { az, forceHosts, forceNodes };
}

/** Nova without a network service: `auto` and `none` both mean no ports; a named network or
 * port cannot be found. */
function checkNetworks(networks: schema.CreateServer['networks']): void {
  if (networks === undefined || typeof networks === 'string') return;
  for (const n of networks) {
    if (n.port) throw badRequest(`Port ${n.port} could not be found.`);
    if (n.uuid !== undefined) throw badRequest(`Network ${n.uuid} could not be found.`);
  }
}

/** Nova's _check_requested_secgroups with no security group service: `default` is the only group
 * there is. */
function checkSecurityGroups(groups: schema.CreateServer['security_groups']): void {
  for (const g of groups ?? []) if (g.name !== 'default') throw badRequest(`Security group ${g.name} not found.`);
}

const refId = (ref: string | number) => String(ref).replace(/\/+$/, '').split('/').pop()!;

async function create(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const body = readBody(req, schemaFor(req, schema.CREATE)) as Record<string, unknown> & {
    server: schema.CreateServer;
  };
  const s = body.server;
  const projectId = req.ctx.projectId ?? '';
  const userId = req.ctx.userId ?? '';
  authorize(compute, req, 'os_compute_api:servers:create', { project_id: projectId, user_id: userId });
  if (!isValidName(s.name)) throw new InvalidName(NAME_RULE);
  checkNetworks(s.networks);
  checkSecurityGroups(s.security_groups);
  const { az, forceHosts, forceNodes } = destinationOf(compute, req, s);
  let flavor;
  try {
    flavor = await getFlavor(compute.db, refId(s.flavorRef), { isAdmin: isAdmin(req), projectId });
  } catch (e) {
    // A flavor that is not there is the request's fault here.
    if (e instanceof FlavorNotFound) throw badRequest(e.message);
    throw e;
  }
  const imageRef = s.imageRef ? refId(s.imageRef) : null;
  if (imageRef === null) {
    throw badRequest(
      'Block Device Mapping is Invalid: Boot sequence for the instance and image/block device ' +
        'mapping combination is not valid.',
    );
  }
  const image = await bootImage(compute, req, imageRef);
  const count = (v: number | string | undefined) => (v === undefined ? undefined : Number(v));
  const minCount = count(s.min_count) ?? 1;
  const maxCount = count(s.max_count) ?? minCount;
  const booted = await createInstances(compute.db, compute.config, compute.jobs, {
    projectId,
    userId,
    requestId: req.requestId,
    flavor,
    image,
    name: s.name,
    description: s.description ?? null,
    metadata: s.metadata ?? {},
    tags: s.tags ?? [],
    keyName: s.key_name ?? null,
    userData: s.user_data ?? null,
    availabilityZone: az,
    minCount,
    maxCount,
    schedulerHints: hintsOf(body),
    accessIPv4: s.accessIPv4 ?? null,
    accessIPv6: s.accessIPv6 ?? null,
    forceHosts,
    forceNodes,
    hostname: s.hostname ?? null,
    autoDiskConfig: diskConfigOf(s['OS-DCF:diskConfig']),
  });
  const returnReservation =
    s.return_reservation_id === true || /^(1|t|true|on|y|yes)$/i.test(String(s.return_reservation_id ?? ''));
  if (returnReservation) return sendJson(reply, 202, { reservation_id: booted.reservationId });
  const uuid = booted.uuids[0]!;
  const links = resourceLinks(compute, req, 'servers', uuid);
  reply.header('location', links[0]!.href);
  return sendJson(reply, 202, {
    server: {
      id: uuid,
      links,
      'OS-DCF:diskConfig': booted.autoDiskConfig ? 'AUTO' : 'MANUAL',
      security_groups: [{ name: 'default' }],
      ...(compute.config.enableInstancePassword ? { adminPass: s.adminPass ?? randomPassword() } : {}),
    },
  });
}

/** Nova's generate_password: 12 characters of an alphabet without look-alikes. */
export function randomPassword(): string {
  const symbols = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => symbols[b % symbols.length]).join('');
}

/** The tag filters (2.26): each parameter's last value, a comma-separated list, as Nova splits it. */
function tagFiltersOf(query: Record<string, string[]>): TagFilters {
  const tags: TagFilters = {};
  for (const [key, field] of [
    ['tags', 'all'],
    ['tags-any', 'any'],
    ['not-tags', 'notAll'],
    ['not-tags-any', 'notAny'],
  ] as const) {
    const raw = last(query, key);
    if (raw !== undefined) tags[field] = raw.split(',');
  }
  return tags;
}

/** The filters of a list as the caller may use them (Nova's _get_servers). */
function filtersOf(
  compute: Compute,
  req: FastifyRequest,
  query: Record<string, string[]>,
  detailed: boolean,
): InstanceFilters {
  const admin = allowed(compute, req, 'os_compute_api:servers:allow_all_filters', {});
  const allTenantsRaw = last(query, 'all_tenants');
  const allTenants = allTenantsRaw !== undefined && !/^(0|f|false|off|n|no)$/i.test(allTenantsRaw);
  if (allTenants)
    authorize(compute, req, `os_compute_api:servers:${detailed ? 'detail' : 'index'}:get_all_tenants`, {});
  const f: InstanceFilters = { projectId: allTenants ? null : (req.ctx.projectId ?? ''), exact: {} };
  const project = last(query, 'project_id') ?? last(query, 'tenant_id');
  if (allTenants && project !== undefined) f.exact.project_id = [project];
  const exact = (name: string, column: keyof typeof f.exact, adminOnly: boolean) => {
    const v = query[name];
    if (v !== undefined && (admin || !adminOnly)) f.exact[column] = v;
  };
  exact('reservation_id', 'reservation_id', false);
  exact('image', 'image_ref', false);
  exact('user_id', 'user_id', req.version.lt('2.83'));
  exact('key_name', 'key_name', req.version.lt('2.83'));
  exact('availability_zone', 'availability_zone', req.version.lt('2.83'));
  exact('host', 'host', true);
  exact('node', 'node', true);
  exact('uuid', 'uuid', true);
  exact('hostname', 'hostname', true);
  const name = last(query, 'name');
  if (name !== undefined) f.name = name;
  const statuses = query.status;
  if (statuses !== undefined) {
    if (req.version.gte('2.38') && statuses.some((st) => !STATUSES.has(st.toUpperCase())))
      throw badRequest('Invalid status value');
    f.statuses = statuses;
  }
  for (const [key, field] of [
    ['changes-since', 'changesSince'],
    ['changes-before', 'changesBefore'],
  ] as const) {
    const raw = last(query, key);
    if (raw === undefined || (key === 'changes-before' && req.version.lt('2.66'))) continue;
    const t = parseDateTime(raw);
    if (t === undefined)
      throw badRequest(`Invalid input for query parameters ${key}. Value: ${raw}. '${raw}' is not a 'date-time'`);
    f[field] = new Date(t).toISOString();
  }
  if (f.changesSince && f.changesBefore && f.changesSince > f.changesBefore) {
    throw badRequest(`The value of changes-since must be less than or equal to changes-before.`);
  }
  const deleted = last(query, 'deleted');
  if (deleted !== undefined && admin) f.deleted = /^(1|t|true|on|y|yes)$/i.test(deleted);
  if (req.version.gte('2.26')) f.tags = tagFiltersOf(query);
  return f;
}

async function list(compute: Compute, req: FastifyRequest, reply: FastifyReply, detailed: boolean) {
  const query = readQuery(req, req.version.gte('2.75') ? schema.LIST_QUERY_V275 : schema.LIST_QUERY);
  authorize(compute, req, `os_compute_api:servers:${detailed ? 'detail' : 'index'}`, { project_id: req.ctx.projectId });
  const f = filtersOf(compute, req, query, detailed);
  const flavor = last(query, 'flavor');
  if (flavor !== undefined) {
    const rows = await compute.db.selectFrom('flavors').select('id').where('flavorid', '=', flavor).execute();
    f.flavorIds = rows.map((r) => r.id);
  }
  const keys = query.sort_key ?? [];
  const dirs = query.sort_dir ?? [];
  for (const k of keys) if (!SORT_KEYS.has(k)) throw badRequest(`Invalid sort_key '${k}'`);
  for (const d of dirs) if (d !== 'asc' && d !== 'desc') throw badRequest(`Invalid sort_dir '${d}'`);
  const sort = keys.length
    ? keys.map((key, i) => ({ key, dir: (dirs[i] ?? dirs[0] ?? 'desc') as 'asc' | 'desc' }))
    : [{ key: 'created_at', dir: 'desc' as const }];
  const { limit, marker } = limitAndMarker(compute, query);
  let instances: Instance[];
  try {
    instances = await listInstances(compute.db, compute.engine, f, {
      sort,
      limit,
      ...(marker !== undefined ? { marker } : {}),
    });
  } catch (e) {
    if (e instanceof MarkerNotFound) throw badRequest(`marker [${e.marker}] not found`);
    throw e;
  }
  const faults = detailed
    ? await latestFaults(
        compute.db,
        instances.map((i) => i.uuid),
      )
    : new Map<string, Fault>();
  const servers = instances.map((i) => {
    if (!detailed) return briefView(compute, req, i);
    const fault = faults.get(i.uuid);
    return detailView(compute, req, i, { isAdmin: isAdmin(req), ...(fault ? { fault } : {}) });
  });
  const links = nextLinks(
    compute,
    req,
    detailed ? 'servers/detail' : 'servers',
    instances.length,
    limit,
    instances[instances.length - 1]?.uuid,
  );
  return sendJson(reply, 200, { servers, ...(links.length ? { servers_links: links } : {}) });
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await findServer(compute, req, 'os_compute_api:servers:show');
  return sendJson(reply, 200, { server: await detailOf(compute, req, instance) });
}

async function update(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const { server: s } = readBody(req, schemaFor(req, schema.UPDATE)) as { server: schema.UpdateServer };
  const instance = await findServer(compute, req, 'os_compute_api:servers:update');
  if (s.name !== undefined && !isValidName(s.name)) throw new InvalidName(NAME_RULE);
  checkLocked(instance, callerOf(req));
  const values = {
    ...(s.name !== undefined ? { display_name: s.name } : {}),
    ...(s.description !== undefined ? { display_description: s.description } : {}),
    ...(s.hostname !== undefined ? { hostname: s.hostname } : {}),
    ...(s.accessIPv4 !== undefined ? { access_ip_v4: s.accessIPv4 } : {}),
    ...(s.accessIPv6 !== undefined ? { access_ip_v6: s.accessIPv6 } : {}),
    // Nova's update takes it as it comes: no image is checked.
    ...(s['OS-DCF:diskConfig'] !== undefined ? { auto_disk_config: s['OS-DCF:diskConfig'] === 'AUTO' ? 1 : 0 } : {}),
  };
  if (Object.keys(values).length) await updateInstance(compute.db, instance.uuid, values);
  const updated = await getInstance(compute.db, instance.uuid, { projectId: null });
  return sendJson(reply, 200, { server: await detailOf(compute, req, updated, 'update') });
}

const SHELVED_STATES: string[] = [VmState.SHELVED, VmState.SHELVED_OFFLOADED];

/** Deletes a server for its caller (DELETE /servers/{id}, forceDelete): through its host, or at
 * once when that host is down, its claim then released here. */
export async function deleteServer(compute: Compute, req: FastifyRequest, instance: Instance): Promise<void> {
  // Without clients to release a claim with, a server on a dead host waits for its host.
  const downTime = compute.clients ? compute.config.serviceDownTime : null;
  const shelved = SHELVED_STATES.includes(instance.vm_state ?? '')
    ? await shelvedImageOf(compute.db, instance.uuid)
    : null;
  const outcome = await deleteInstance(compute.db, compute.jobs, instance, callerOf(req), downTime);
  if (outcome === 'local') await releaseClaim(compute.clients!.placement, instance.uuid);
  // A shelved server's image goes with it, deleted as the caller (Nova's _delete).
  if (shelved !== null && compute.clients) {
    await deleteShelvedImage(compute.clients.image, onBehalfOf(req.ctx, req), shelved, compute.log);
  }
}

async function remove(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  await deleteServer(compute, req, await findServer(compute, req, 'os_compute_api:servers:delete'));
  return sendEmpty(reply, 204);
}

export function serverRoutes(compute: Compute): RouteTable {
  return {
    '/servers': {
      GET: (req, reply) => list(compute, req, reply, false),
      POST: (req, reply) => create(compute, req, reply),
    },
    '/servers/detail': { GET: (req, reply) => list(compute, req, reply, true) },
    '/servers/:server_id': {
      GET: (req, reply) => show(compute, req, reply),
      PUT: (req, reply) => update(compute, req, reply),
      DELETE: (req, reply) => remove(compute, req, reply),
    },
  };
}
