// Endpoint filtering (Keystone's OS-EP-FILTER): endpoint groups (a filter over the endpoints'
// service, region and interface), and the endpoints and endpoint groups associated with projects.
// A project with any such association sees only those endpoints in its tokens' catalog.
import type { Kysely } from 'kysely';
import type { EndpointGroupTable, EndpointTable, IdentityDB } from '../db/schema.js';
import { conflict, expecting, invalid, KeystoneException, NotFound, notFound } from '../exceptions.js';
import { newId, parseJson } from './common.js';
import { uniqueViolation } from '../../common/db/index.js';

type DB = Kysely<IdentityDB>;

/** The endpoint attributes a group may filter on. */
const FILTER_KEYS = ['service_id', 'region_id', 'interface'] as const;
export type Filters = Partial<Record<(typeof FILTER_KEYS)[number], unknown>>;

export interface EndpointGroupInput {
  name?: string;
  description?: string | null;
  filters?: Record<string, unknown>;
  id?: string;
}

function checkFilters(filters: Record<string, unknown>): void {
  if (Object.keys(filters).some((k) => !(FILTER_KEYS as readonly string[]).includes(k))) {
    throw expecting(FILTER_KEYS.join(' or '), 'endpoint_group');
  }
}

function inGroup(filters: Filters, e: EndpointTable): boolean {
  return Object.entries(filters).every(([k, v]) => e[k as keyof Filters] === v);
}

// --- endpoint groups ---

export async function getEndpointGroup(db: DB, id: string): Promise<EndpointGroupTable> {
  const g = await db.selectFrom('endpoint_group').selectAll().where('id', '=', id).executeTakeFirst();
  if (!g) throw notFound('Endpoint Group', id);
  return g;
}

export async function listEndpointGroups(db: DB, f: { name?: string }): Promise<EndpointGroupTable[]> {
  let q = db.selectFrom('endpoint_group').selectAll().orderBy('name').orderBy('id');
  if (f.name !== undefined) q = q.where('name', '=', f.name);
  return q.execute();
}

export async function createEndpointGroup(db: DB, input: EndpointGroupInput): Promise<EndpointGroupTable> {
  if (!input.filters || Object.keys(input.filters).length === 0) {
    throw invalid('filters field is required and cannot be empty');
  }
  checkFilters(input.filters);
  const row: EndpointGroupTable = {
    id: newId(),
    name: input.name!,
    description: input.description ?? null,
    filters: JSON.stringify(input.filters),
  };
  await db.insertInto('endpoint_group').values(row).execute();
  return row;
}

export async function updateEndpointGroup(db: DB, id: string, input: EndpointGroupInput): Promise<EndpointGroupTable> {
  if (input.id !== undefined && input.id !== id) throw invalid('Cannot change ID');
  if (input.filters) checkFilters(input.filters);
  const g = await getEndpointGroup(db, id);
  const changes: Partial<EndpointGroupTable> = {};
  if (input.name !== undefined) changes.name = input.name;
  if (input.description !== undefined) changes.description = input.description;
  if (input.filters !== undefined) changes.filters = JSON.stringify(input.filters);
  if (Object.keys(changes).length) await db.updateTable('endpoint_group').set(changes).where('id', '=', id).execute();
  return { ...g, ...changes };
}

export async function deleteEndpointGroup(db: DB, id: string): Promise<void> {
  await getEndpointGroup(db, id);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('project_endpoint_group').where('endpoint_group_id', '=', id).execute();
    await trx.deleteFrom('endpoint_group').where('id', '=', id).execute();
  });
}

/** The endpoints a group's filters select. */
export async function endpointsInGroup(db: DB, id: string): Promise<EndpointTable[]> {
  const filters = parseJson<Filters>((await getEndpointGroup(db, id)).filters, {});
  const all = await db
    .selectFrom('endpoint')
    .selectAll()
    .orderBy('service_id')
    .orderBy('interface')
    .orderBy('id')
    .execute();
  return all.filter((e) => inGroup(filters, e));
}

// --- associations ---

/** Inserts an association row; a second identical one is Keystone's 409. */
async function associate(type: string, insert: () => Promise<unknown>): Promise<void> {
  try {
    await insert();
  } catch (e) {
    if (uniqueViolation(e)) throw conflict(type, 'Duplicate entry');
    throw e;
  }
}

export async function addEndpointToProject(db: DB, endpointId: string, projectId: string): Promise<void> {
  await associate('project_endpoint', () =>
    db.insertInto('project_endpoint').values({ endpoint_id: endpointId, project_id: projectId }).execute(),
  );
}

function endpointNotInProject(endpointId: string, projectId: string): KeystoneException {
  return new NotFound(`Endpoint ${endpointId} not found in project ${projectId}`);
}

export async function checkEndpointInProject(db: DB, endpointId: string, projectId: string): Promise<void> {
  const hit = await db
    .selectFrom('project_endpoint')
    .select('endpoint_id')
    .where('endpoint_id', '=', endpointId)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  if (!hit) throw endpointNotInProject(endpointId, projectId);
}

export async function removeEndpointFromProject(db: DB, endpointId: string, projectId: string): Promise<void> {
  const res = await db
    .deleteFrom('project_endpoint')
    .where('endpoint_id', '=', endpointId)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw endpointNotInProject(endpointId, projectId);
}

/** The projects an endpoint is associated with directly. */
export async function projectIdsOfEndpoint(db: DB, endpointId: string): Promise<string[]> {
  return (
    await db
      .selectFrom('project_endpoint')
      .select('project_id')
      .where('endpoint_id', '=', endpointId)
      .orderBy('project_id')
      .execute()
  ).map((r) => r.project_id);
}

export async function addEndpointGroupToProject(db: DB, groupId: string, projectId: string): Promise<void> {
  await associate('project_endpoint_group', () =>
    db.insertInto('project_endpoint_group').values({ endpoint_group_id: groupId, project_id: projectId }).execute(),
  );
}

const GROUP_NOT_IN_PROJECT = 'Endpoint Group Project Association not found';

export async function checkEndpointGroupInProject(db: DB, groupId: string, projectId: string): Promise<void> {
  const hit = await db
    .selectFrom('project_endpoint_group')
    .select('project_id')
    .where('endpoint_group_id', '=', groupId)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  if (!hit) throw new NotFound(GROUP_NOT_IN_PROJECT);
}

export async function removeEndpointGroupFromProject(db: DB, groupId: string, projectId: string): Promise<void> {
  const res = await db
    .deleteFrom('project_endpoint_group')
    .where('endpoint_group_id', '=', groupId)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw new NotFound(GROUP_NOT_IN_PROJECT);
}

export async function projectIdsOfEndpointGroup(db: DB, groupId: string): Promise<string[]> {
  return (
    await db
      .selectFrom('project_endpoint_group')
      .select('project_id')
      .where('endpoint_group_id', '=', groupId)
      .orderBy('project_id')
      .execute()
  ).map((r) => r.project_id);
}

export async function endpointGroupsOfProject(db: DB, projectId: string): Promise<EndpointGroupTable[]> {
  return db
    .selectFrom('endpoint_group as g')
    .innerJoin('project_endpoint_group as p', 'p.endpoint_group_id', 'g.id')
    .selectAll('g')
    .where('p.project_id', '=', projectId)
    .orderBy('g.name')
    .orderBy('g.id')
    .execute();
}

/** Every endpoint associated with a project, directly or through its endpoint groups (enabled or
 * not). Empty means the project is not filtered: its catalog is the whole catalog. */
export async function endpointsOfProject(db: DB, projectId: string): Promise<EndpointTable[]> {
  const direct = await db
    .selectFrom('endpoint as e')
    .innerJoin('project_endpoint as p', 'p.endpoint_id', 'e.id')
    .selectAll('e')
    .where('p.project_id', '=', projectId)
    .execute();
  const groups = (await endpointGroupsOfProject(db, projectId)).map((g) => parseJson<Filters>(g.filters, {}));
  const out = new Map(direct.map((e) => [e.id, e]));
  if (groups.length) {
    for (const e of await db.selectFrom('endpoint').selectAll().execute()) {
      if (!out.has(e.id) && groups.some((f) => inGroup(f, e))) out.set(e.id, e);
    }
  }
  return [...out.values()].sort(
    (a, b) =>
      a.service_id.localeCompare(b.service_id) || a.interface.localeCompare(b.interface) || a.id.localeCompare(b.id),
  );
}

/** Removes what ties projects to endpoints when projects go. */
export async function forgetProjects(db: DB, projectIds: string[]): Promise<void> {
  if (!projectIds.length) return;
  await db.deleteFrom('project_endpoint').where('project_id', 'in', projectIds).execute();
  await db.deleteFrom('project_endpoint_group').where('project_id', 'in', projectIds).execute();
}
