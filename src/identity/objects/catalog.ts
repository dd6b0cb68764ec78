// The service catalog: services, their endpoints (public/internal/admin URLs per region) and the
// regions; the catalog a token carries is built from the enabled ones.
import type { Kysely } from 'kysely';
import type { EndpointTable, IdentityDB, RegionTable, ServiceTable } from '../db/schema.js';
import { conflict, expecting, forbidden, invalid, notFound } from '../exceptions.js';
import { flag, newId, parseJson, splitExtra } from './common.js';
import { uniqueViolation } from '../../common/db/index.js';
import { endpointsOfProject } from './endpoint_filter.js';

type DB = Kysely<IdentityDB>;

const SERVICE_COLUMNS = ['id', 'type', 'name', 'description', 'enabled', 'links'] as const;
const ENDPOINT_COLUMNS = ['id', 'service_id', 'interface', 'url', 'region_id', 'region', 'enabled', 'links'] as const;
const REGION_COLUMNS = ['id', 'description', 'parent_region_id', 'links'] as const;

export interface ServiceInput {
  type?: string;
  name?: string;
  description?: string | null;
  enabled?: boolean;
  [k: string]: unknown;
}
export interface EndpointInput {
  service_id?: string;
  interface?: string;
  url?: string;
  region_id?: string | null;
  region?: string | null;
  enabled?: boolean;
  [k: string]: unknown;
}
export interface RegionInput {
  id?: string;
  description?: string;
  parent_region_id?: string | null;
  [k: string]: unknown;
}

// --- services ---

export async function getService(db: DB, id: string): Promise<ServiceTable> {
  const s = await db.selectFrom('service').selectAll().where('id', '=', id).executeTakeFirst();
  if (!s) throw notFound('service', id);
  return s;
}

export async function listServices(db: DB, f: { type?: string; name?: string }): Promise<ServiceTable[]> {
  let q = db.selectFrom('service').selectAll().orderBy('type').orderBy('id');
  if (f.type !== undefined) q = q.where('type', '=', f.type);
  if (f.name !== undefined) q = q.where('name', '=', f.name);
  return q.execute();
}

export async function createService(db: DB, input: ServiceInput): Promise<ServiceTable> {
  const row: ServiceTable = {
    id: newId(),
    type: input.type!,
    name: input.name ?? null,
    description: input.description ?? null,
    enabled: flag(input.enabled),
    extra: JSON.stringify(splitExtra(input, SERVICE_COLUMNS)),
  };
  await db.insertInto('service').values(row).execute();
  return row;
}

export async function updateService(db: DB, id: string, input: ServiceInput): Promise<ServiceTable> {
  const s = await getService(db, id);
  const extra = { ...parseJson<Record<string, unknown>>(s.extra, {}), ...splitExtra(input, SERVICE_COLUMNS) };
  const changes: Partial<ServiceTable> = { extra: JSON.stringify(extra) };
  if (input.type !== undefined) changes.type = input.type;
  if (input.name !== undefined) changes.name = input.name;
  if (input.description !== undefined) changes.description = input.description;
  if (input.enabled !== undefined) changes.enabled = flag(input.enabled);
  await db.updateTable('service').set(changes).where('id', '=', id).execute();
  return { ...s, ...changes };
}

export async function deleteService(db: DB, id: string): Promise<void> {
  await getService(db, id);
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('project_endpoint')
      .where('endpoint_id', 'in', trx.selectFrom('endpoint').select('id').where('service_id', '=', id))
      .execute();
    await trx.deleteFrom('endpoint').where('service_id', '=', id).execute();
    await trx.deleteFrom('service').where('id', '=', id).execute();
  });
}

// --- endpoints ---

export async function getEndpoint(db: DB, id: string): Promise<EndpointTable> {
  const e = await db.selectFrom('endpoint').selectAll().where('id', '=', id).executeTakeFirst();
  if (!e) throw notFound('endpoint', id);
  return e;
}

export async function listEndpoints(
  db: DB,
  f: { interface?: string; service_id?: string; region_id?: string },
): Promise<EndpointTable[]> {
  let q = db.selectFrom('endpoint').selectAll().orderBy('service_id').orderBy('interface').orderBy('id');
  if (f.interface !== undefined) q = q.where('interface', '=', f.interface);
  if (f.service_id !== undefined) q = q.where('service_id', '=', f.service_id);
  if (f.region_id !== undefined) q = q.where('region_id', '=', f.region_id);
  return q.execute();
}

async function checkEndpointRefs(db: DB, serviceId: string | undefined, regionId: string | null | undefined) {
  if (serviceId !== undefined) {
    const s = await db.selectFrom('service').select('id').where('id', '=', serviceId).executeTakeFirst();
    if (!s) throw expecting('endpoint service_id', 'service table');
  }
  if (regionId) {
    const r = await db.selectFrom('region').select('id').where('id', '=', regionId).executeTakeFirst();
    if (!r) throw expecting('endpoint region_id', 'region table');
  }
}

/** The region an endpoint request names. `region_id` must exist; the legacy `region` (v2-style
 * clients) is created when it does not, as Keystone does for backward compatibility. */
async function endpointRegion(db: DB, input: EndpointInput): Promise<string | null | undefined> {
  if (input.region_id != null || input.region == null)
    return input.region_id !== undefined ? input.region_id : input.region;
  const id = input.region;
  await db
    .insertInto('region')
    .values({ id, description: '', parent_region_id: null, extra: '{}' })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return id;
}

/** Endpoint URLs may hold $(project_id)s-style substitutions; anything else is refused up front. */
function checkUrl(url: string): void {
  const vars = [...url.replace(/\$\(/g, '%(').matchAll(/%\(([^)]*)\)s/g)].map((m) => m[1]);
  if (vars.some((v) => !SUBSTITUTIONS.includes(v!)))
    throw invalid(`Cannot create an endpoint with an invalid URL: ${url}.`);
}

export async function createEndpoint(db: DB, input: EndpointInput): Promise<EndpointTable> {
  checkUrl(input.url!);
  await checkEndpointRefs(db, input.service_id, undefined);
  const regionId = (await endpointRegion(db, input)) ?? null;
  await checkEndpointRefs(db, undefined, regionId);
  const row: EndpointTable = {
    id: newId(),
    service_id: input.service_id!,
    interface: input.interface!,
    url: input.url!,
    region_id: regionId,
    enabled: flag(input.enabled),
    extra: JSON.stringify(splitExtra(input, ENDPOINT_COLUMNS)),
  };
  await db.insertInto('endpoint').values(row).execute();
  return row;
}

export async function updateEndpoint(db: DB, id: string, input: EndpointInput): Promise<EndpointTable> {
  const e = await getEndpoint(db, id);
  if (input.url !== undefined) checkUrl(input.url);
  await checkEndpointRefs(db, input.service_id, undefined);
  const regionId = await endpointRegion(db, input);
  await checkEndpointRefs(db, undefined, regionId);
  const extra = { ...parseJson<Record<string, unknown>>(e.extra, {}), ...splitExtra(input, ENDPOINT_COLUMNS) };
  const changes: Partial<EndpointTable> = { extra: JSON.stringify(extra) };
  if (input.service_id !== undefined) changes.service_id = input.service_id;
  if (input.interface !== undefined) changes.interface = input.interface;
  if (input.url !== undefined) changes.url = input.url;
  if (regionId !== undefined) changes.region_id = regionId;
  if (input.enabled !== undefined) changes.enabled = flag(input.enabled);
  await db.updateTable('endpoint').set(changes).where('id', '=', id).execute();
  return { ...e, ...changes };
}

export async function deleteEndpoint(db: DB, id: string): Promise<void> {
  await getEndpoint(db, id);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('project_endpoint').where('endpoint_id', '=', id).execute();
    await trx.deleteFrom('endpoint').where('id', '=', id).execute();
  });
}

// --- regions ---

export async function getRegion(db: DB, id: string): Promise<RegionTable> {
  const r = await db.selectFrom('region').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw notFound('region', id);
  return r;
}

export async function listRegions(db: DB, f: { parent_region_id?: string }): Promise<RegionTable[]> {
  let q = db.selectFrom('region').selectAll().orderBy('id');
  if (f.parent_region_id !== undefined) q = q.where('parent_region_id', '=', f.parent_region_id);
  return q.execute();
}

async function checkParent(db: DB, id: string, parentId: string | null | undefined): Promise<void> {
  if (!parentId) return;
  // Walk up from the new parent: meeting the region itself would close a loop.
  let cur: string | null = parentId;
  const seen = new Set<string>();
  while (cur && !seen.has(cur)) {
    if (cur === id) {
      throw invalid(`The specified parent region ${parentId} would create a circular region hierarchy.`);
    }
    seen.add(cur);
    const r: { parent_region_id: string | null } | undefined = await db
      .selectFrom('region')
      .select('parent_region_id')
      .where('id', '=', cur)
      .executeTakeFirst();
    if (!r) {
      if (cur === parentId) throw notFound('region', parentId);
      break;
    }
    cur = r.parent_region_id;
  }
}

export async function createRegion(db: DB, input: RegionInput): Promise<RegionTable> {
  const row: RegionTable = {
    id: input.id ?? newId(),
    description: input.description ?? '',
    parent_region_id: input.parent_region_id ?? null,
    extra: JSON.stringify(splitExtra(input, REGION_COLUMNS)),
  };
  await checkParent(db, row.id, row.parent_region_id);
  try {
    await db.insertInto('region').values(row).execute();
  } catch (e) {
    if (uniqueViolation(e)) throw conflict('region', `Duplicate ID, ${row.id}`);
    throw e;
  }
  return row;
}

export async function updateRegion(db: DB, id: string, input: RegionInput): Promise<RegionTable> {
  const r = await getRegion(db, id);
  await checkParent(db, id, input.parent_region_id);
  const extra = { ...parseJson<Record<string, unknown>>(r.extra, {}), ...splitExtra(input, REGION_COLUMNS) };
  const changes: Partial<RegionTable> = { extra: JSON.stringify(extra) };
  if (input.description !== undefined) changes.description = input.description;
  if (input.parent_region_id !== undefined) changes.parent_region_id = input.parent_region_id;
  await db.updateTable('region').set(changes).where('id', '=', id).execute();
  return { ...r, ...changes };
}

export async function deleteRegion(db: DB, id: string): Promise<void> {
  await getRegion(db, id);
  const child = await db.selectFrom('region').select('id').where('parent_region_id', '=', id).executeTakeFirst();
  const endpoint = await db.selectFrom('endpoint').select('id').where('region_id', '=', id).executeTakeFirst();
  if (child || endpoint) {
    throw forbidden(`Unable to delete region ${id} because it or its child regions have associated endpoints.`);
  }
  await db.deleteFrom('region').where('id', '=', id).execute();
}

// --- the catalog of a token ---

const SUBSTITUTIONS = ['tenant_id', 'project_id', 'user_id'];

export interface CatalogEntry {
  endpoints: { id: string; interface: string; region: string | null; region_id: string | null; url: string }[];
  id: string;
  type: string;
  name: string;
}

function substitute(url: string, values: Record<string, string | null>): string | null {
  let ok = true;
  const out = url.replace(/\$\(/g, '%(').replace(/%\(([^)]*)\)s/g, (_, v: string) => {
    const value = values[v];
    if (!value) ok = false;
    return value ?? '';
  });
  return ok ? out : null;
}

/** The catalog for a token: enabled services with their enabled endpoints, URLs substituted for
 * the token's project; endpoints whose substitutions the token cannot fill are left out. A project
 * with endpoints associated (OS-EP-FILTER) sees only those, and only the services they belong to. */
export async function buildCatalog(db: DB, ids: { projectId: string | null; userId: string }): Promise<CatalogEntry[]> {
  let services = await db
    .selectFrom('service')
    .selectAll()
    .where('enabled', '=', 1)
    .orderBy('type')
    .orderBy('id')
    .execute();
  let endpoints = await db
    .selectFrom('endpoint')
    .selectAll()
    .where('enabled', '=', 1)
    .orderBy('interface')
    .orderBy('id')
    .execute();
  const filtered = ids.projectId ? await endpointsOfProject(db, ids.projectId) : [];
  if (filtered.length) {
    const allowed = new Set(filtered.map((e) => e.id));
    endpoints = endpoints.filter((e) => allowed.has(e.id));
    services = services.filter((s) => endpoints.some((e) => e.service_id === s.id));
  }
  const values = { tenant_id: ids.projectId, project_id: ids.projectId, user_id: ids.userId };
  return services.map((s) => ({
    endpoints: endpoints
      .filter((e) => e.service_id === s.id)
      .flatMap((e) => {
        const url = substitute(e.url, values);
        return url === null
          ? []
          : [{ id: e.id, interface: e.interface, region: e.region_id, region_id: e.region_id, url }];
      }),
    id: s.id,
    type: s.type,
    name: s.name ?? '',
  }));
}
