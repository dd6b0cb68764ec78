// /flavors: list (brief and detailed), show, create, update (description, 2.55) and delete
// (nova/api/openstack/compute/flavors.py, flavor_manage.py, views/flavors.py).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { RouteTable } from '../../common/http/app.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest } from '../errors.js';
import { MarkerNotFound } from '../exceptions.js';
import {
  allowed,
  authorize,
  isAdmin,
  last,
  limitAndMarker,
  nextLinks,
  readBody,
  readQuery,
  requireVersion,
  resourceLinks,
} from '../http.js';
import { MICROVERSION } from '../microversions.js';
import {
  createFlavor,
  deleteFlavor,
  getFlavor,
  listFlavors,
  parseBoolean,
  updateDescription,
  type Flavor,
  type FlavorFilters,
  type FlavorViewer,
  type SortKey,
} from '../objects/flavor.js';
import * as schema from '../schemas/flavor.js';

const EXTRA_SPECS_INDEX = 'os_compute_api:os-flavor-extra-specs:index';

export function viewerOf(req: FastifyRequest): FlavorViewer {
  return { isAdmin: isAdmin(req), projectId: req.ctx.projectId };
}

/** Whether flavor bodies carry extra specs: from 2.61, for callers who may list them. */
function showsExtraSpecs(compute: Compute, req: FastifyRequest): boolean {
  return req.version.gte(MICROVERSION.flavorExtraSpecs) && allowed(compute, req, EXTRA_SPECS_INDEX);
}

/** A flavor as GET /flavors lists it. */
function brief(compute: Compute, req: FastifyRequest, f: Flavor) {
  return {
    id: f.flavorid,
    name: f.name,
    links: resourceLinks(compute, req, 'flavors', f.flavorid),
    ...(req.version.gte(MICROVERSION.flavorDescription) ? { description: f.description } : {}),
  };
}

/** A flavor in full. Before 2.75 no swap and no rxtx factor are "" rather than 0. */
export function flavorView(compute: Compute, req: FastifyRequest, f: Flavor, withExtraSpecs: boolean) {
  const cleanedUp = req.version.gte(MICROVERSION.strictQuery);
  return {
    id: f.flavorid,
    name: f.name,
    ram: f.memory_mb,
    disk: f.root_gb,
    swap: f.swap || (cleanedUp ? 0 : ''),
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral_gb,
    'OS-FLV-DISABLED:disabled': f.disabled,
    vcpus: f.vcpus,
    'os-flavor-access:is_public': f.is_public,
    rxtx_factor: f.rxtx_factor || '',
    links: resourceLinks(compute, req, 'flavors', f.flavorid),
    ...(req.version.gte(MICROVERSION.flavorDescription) ? { description: f.description } : {}),
    ...(withExtraSpecs ? { extra_specs: f.extra_specs } : {}),
  };
}

/** An integer filter as Python's int() reads it, else Nova's 400. */
function intFilter(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) throw badRequest(`Invalid ${name} filter [${value}]`);
  return Number(value.replace(/_/g, ''));
}

/** What a list shows (Nova's _get_flavors): only administrators choose public, private or all
 * ("none"); everyone else sees the enabled flavors they may use. */
function filtersOf(req: FastifyRequest, query: Record<string, string[]>): FlavorFilters {
  let filters: FlavorFilters = { isPublic: true, disabled: false };
  if (isAdmin(req)) {
    const raw = last(query, 'is_public');
    let isPublic: boolean | null = true;
    if (raw !== undefined) {
      isPublic = raw.toLowerCase() === 'none' ? null : parseBoolean(raw);
      if (isPublic === null && raw.toLowerCase() !== 'none') throw badRequest(`Invalid is_public filter [${raw}]`);
    }
    filters = { isPublic };
  }
  const minMemoryMb = intFilter(last(query, 'minRam'), 'minRam');
  const minRootGb = intFilter(last(query, 'minDisk'), 'minDisk');
  return {
    ...filters,
    ...(minMemoryMb !== undefined ? { minMemoryMb } : {}),
    ...(minRootGb !== undefined ? { minRootGb } : {}),
  };
}

async function list(compute: Compute, req: FastifyRequest, reply: FastifyReply, detailed: boolean) {
  const query = readQuery(req, req.version.gte(MICROVERSION.strictQuery) ? schema.indexQueryV275 : schema.indexQuery);
  const { limit, marker } = limitAndMarker(compute, query);
  const page = {
    sortKey: (last(query, 'sort_key') || 'flavorid') as SortKey,
    sortDir: (last(query, 'sort_dir') || 'asc') as 'asc' | 'desc',
    limit,
    ...(marker !== undefined ? { marker } : {}),
  };
  let flavors: Flavor[];
  try {
    flavors = await listFlavors(compute.db, viewerOf(req), filtersOf(req, query), page);
  } catch (e) {
    if (e instanceof MarkerNotFound) throw badRequest(`marker [${e.marker}] not found`);
    throw e;
  }
  const withExtraSpecs = detailed && showsExtraSpecs(compute, req);
  const links = nextLinks(
    compute,
    req,
    detailed ? 'flavors/detail' : 'flavors',
    flavors.length,
    limit,
    flavors[flavors.length - 1]?.flavorid,
  );
  return sendJson(reply, 200, {
    flavors: flavors.map((f) => (detailed ? flavorView(compute, req, f, withExtraSpecs) : brief(compute, req, f))),
    ...(links.length ? { flavors_links: links } : {}),
  });
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const flavor = await getFlavor(compute.db, param(req, 'flavor_id'), viewerOf(req));
  return sendJson(reply, 200, { flavor: flavorView(compute, req, flavor, showsExtraSpecs(compute, req)) });
}

async function create(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const withDescription = req.version.gte(MICROVERSION.flavorDescription);
  // Before 2.55 the schema has no description, so there is none.
  const { flavor: f }: Static<typeof schema.createV255> = readBody(
    req,
    withDescription ? schema.createV255 : schema.create,
  );
  authorize(compute, req, 'os_compute_api:os-flavor-manage:create', {});
  const flavor = await createFlavor(compute.db, {
    name: f.name,
    flavorid: f.id,
    memory_mb: f.ram,
    vcpus: f.vcpus,
    root_gb: f.disk,
    ...(f['OS-FLV-EXT-DATA:ephemeral'] !== undefined ? { ephemeral_gb: f['OS-FLV-EXT-DATA:ephemeral'] } : {}),
    ...(f.swap !== undefined ? { swap: f.swap } : {}),
    ...(f.rxtx_factor !== undefined ? { rxtx_factor: f.rxtx_factor } : {}),
    ...(f['os-flavor-access:is_public'] !== undefined ? { is_public: f['os-flavor-access:is_public'] } : {}),
    ...(f.description !== undefined ? { description: f.description } : {}),
  });
  return sendJson(reply, 200, { flavor: flavorView(compute, req, flavor, showsExtraSpecs(compute, req)) });
}

async function update(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  requireVersion(req, MICROVERSION.flavorDescription);
  const { flavor: f } = readBody(req, schema.updateV255);
  authorize(compute, req, 'os_compute_api:os-flavor-manage:update', {});
  const flavor = await updateDescription(compute.db, param(req, 'flavor_id'), f.description);
  return sendJson(reply, 200, { flavor: flavorView(compute, req, flavor, showsExtraSpecs(compute, req)) });
}

async function remove(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, 'os_compute_api:os-flavor-manage:delete', {});
  await deleteFlavor(compute.db, param(req, 'flavor_id'));
  return sendEmpty(reply, 202);
}

export function flavorRoutes(compute: Compute): RouteTable {
  return {
    '/flavors': {
      GET: (req, reply) => list(compute, req, reply, false),
      POST: (req, reply) => create(compute, req, reply),
    },
    '/flavors/detail': { GET: (req, reply) => list(compute, req, reply, true) },
    '/flavors/:flavor_id': {
      GET: (req, reply) => show(compute, req, reply),
      PUT: (req, reply) => update(compute, req, reply),
      DELETE: (req, reply) => remove(compute, req, reply),
    },
  };
}
