// Projects: what resources and role assignments belong to; a tree under each domain.
import type { Kysely } from 'kysely';
import { uniqueViolation, withTransaction } from '../../common/db/index.js';
import type { DomainTable, IdentityDB, ProjectTable } from '../db/schema.js';
import { conflict, Conflict, forbidden, invalid, notFound } from '../exceptions.js';
import { flag, newId, parseJson, splitExtra } from './common.js';
import { now } from '../../common/time.js';
import { createDomain, findDomain, getDomain, listDomains, updateDomain } from './domain.js';
import { revoke } from './revocation.js';
import { forgetProjects } from './endpoint_filter.js';
import { deleteTrusts, trustsOf } from './trust_deletion.js';

type DB = Kysely<IdentityDB>;

const COLUMNS = [
  'id',
  'name',
  'description',
  'domain_id',
  'parent_id',
  'enabled',
  'is_domain',
  'tags',
  'options',
  'links',
] as const;

export interface ProjectInput {
  name?: string;
  description?: string | null;
  domain_id?: string | null;
  parent_id?: string | null;
  enabled?: boolean;
  tags?: string[];
  is_domain?: boolean;
  [extra: string]: unknown;
}

// Keystone keeps every domain as a project acting as that domain (`is_domain`), so its projects
// API shows, creates, updates and deletes domains too. concord keeps domains in their own table;
// these functions give the projects API that view of them.

export type ProjectOrDomain = { isDomain: false; project: ProjectTable } | { isDomain: true; domain: DomainTable };

/** The project with this id, or else the domain (as the project acting as it); 404 when neither. */
export async function getProjectOrDomain(db: DB, id: string): Promise<ProjectOrDomain> {
  const project = await findProject(db, id);
  if (project) return { isDomain: false, project };
  const domain = await findDomain(db, id);
  if (domain) return { isDomain: true, domain };
  throw notFound('project', id);
}

/** The domains a project list with `is_domain=true` shows: none under a domain or a parent. */
export async function listDomainProjects(db: DB, f: ProjectFilter): Promise<DomainTable[]> {
  if (f.domain_id !== undefined || f.parent_id !== undefined) return [];
  let rows = await listDomains(db, { name: f.name, enabled: f.enabled });
  if (f.ids !== undefined) rows = rows.filter((d) => f.ids!.includes(d.id));
  return rows.filter((d) => matchesTags(parseJson<string[]>(d.tags, []), f));
}

/** The fields of a project request a domain has, without those a domain cannot have. */
function asDomainInput(input: ProjectInput): ProjectInput {
  const { domain_id: _d, parent_id: _p, is_domain: _i, ...rest } = input;
  return rest;
}

/** POST /v3/projects with is_domain: a new domain. Only a root project may act as a domain. */
export async function createDomainProject(db: DB, input: ProjectInput): Promise<DomainTable> {
  if (input.domain_id || input.parent_id) throw invalid('only root projects are allowed to act as domains.');
  try {
    return await createDomain(db, asDomainInput(input));
  } catch (e) {
    if (e instanceof Conflict) {
      throw conflict(
        'project',
        `it is not permitted to have two projects acting as domains with the same name: ${input.name}`,
      );
    }
    throw e;
  }
}

export async function updateDomainProject(db: DB, id: string, input: ProjectInput): Promise<DomainTable> {
  if (input.domain_id) throw invalid('Update of `domain_id` is not allowed.');
  if (input.parent_id) throw forbidden('Update of `parent_id` is not allowed.');
  if (input.is_domain === false) throw invalid('Update of `is_domain` is not allowed.');
  return updateDomain(db, id, asDomainInput(input));
}

export async function findProject(db: DB, id: string): Promise<ProjectTable | undefined> {
  return db.selectFrom('project').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getProject(db: DB, id: string): Promise<ProjectTable> {
  const p = await findProject(db, id);
  if (!p) throw notFound('project', id);
  return p;
}

export async function findProjectByName(db: DB, name: string, domainId: string): Promise<ProjectTable | undefined> {
  return db
    .selectFrom('project')
    .selectAll()
    .where('name', '=', name)
    .where('domain_id', '=', domainId)
    .executeTakeFirst();
}

export interface ProjectFilter {
  domain_id?: string;
  name?: string;
  enabled?: boolean;
  parent_id?: string;
  ids?: string[];
  /** Keystone's tag filters: all of (`tags`), any of (`tags-any`), and their negations. */
  tags?: string[];
  tagsAny?: string[];
  notTags?: string[];
  notTagsAny?: string[];
}

function matchesTags(tags: string[], f: ProjectFilter): boolean {
  const has = new Set(tags);
  const all = (wanted: string[]) => wanted.every((t) => has.has(t));
  const any = (wanted: string[]) => wanted.some((t) => has.has(t));
  return (
    (!f.tags || all(f.tags)) &&
    (!f.tagsAny || any(f.tagsAny)) &&
    (!f.notTags || !all(f.notTags)) &&
    (!f.notTagsAny || !any(f.notTagsAny))
  );
}

export async function listProjects(db: DB, f: ProjectFilter): Promise<ProjectTable[]> {
  let q = db.selectFrom('project').selectAll().orderBy('name');
  if (f.domain_id !== undefined) q = q.where('domain_id', '=', f.domain_id);
  if (f.name !== undefined) q = q.where('name', '=', f.name);
  if (f.enabled !== undefined) q = q.where('enabled', '=', f.enabled ? 1 : 0);
  if (f.parent_id !== undefined) {
    const parent = f.parent_id;
    // A domain id as parent means the domain's top-level projects, as Keystone shows them.
    q = q.where((eb) =>
      eb.or([eb('parent_id', '=', parent), eb.and([eb('parent_id', 'is', null), eb('domain_id', '=', parent)])]),
    );
  }
  if (f.ids !== undefined) {
    if (f.ids.length === 0) return [];
    q = q.where('id', 'in', f.ids);
  }
  const rows = await q.execute();
  // Tags are a JSON column: filtered here, on a list that is short (projects, not resources).
  return f.tags || f.tagsAny || f.notTags || f.notTagsAny ? rows.filter((p) => matchesTags(projectTags(p), f)) : rows;
}

/** A project's domain and its ancestors, nearest first (what inherited assignments flow from). */
export async function projectLineage(db: DB, id: string): Promise<{ domainId: string; ancestors: string[] } | null> {
  const p = await findProject(db, id);
  if (!p) return null;
  const ancestors: string[] = [];
  let parent = p.parent_id;
  while (parent && !ancestors.includes(parent)) {
    ancestors.push(parent);
    parent =
      (await db.selectFrom('project').select('parent_id').where('id', '=', parent).executeTakeFirst())?.parent_id ??
      null;
  }
  return { domainId: p.domain_id, ancestors };
}

/** The projects below these ones (children, their children, ...), not including them. */
export async function projectsBelow(db: DB, ids: string[]): Promise<string[]> {
  const out: string[] = [];
  let level = ids;
  while (level.length) {
    level = (await db.selectFrom('project').select('id').where('parent_id', 'in', level).execute())
      .map((r) => r.id)
      .filter((id) => !out.includes(id));
    out.push(...level);
  }
  return out;
}

/** The projects of these domains. */
export async function projectsInDomains(db: DB, domainIds: string[]): Promise<string[]> {
  if (!domainIds.length) return [];
  return (await db.selectFrom('project').select('id').where('domain_id', 'in', domainIds).execute()).map((r) => r.id);
}

export function projectTags(p: ProjectTable): string[] {
  return parseJson<string[]>(p.tags, []);
}

/** Replaces the tags of project `id`, which the caller has found (PUT /v3/projects/{id}/tags,
 * and one tag added or removed). */
export async function setProjectTags(db: DB, id: string, tags: string[]): Promise<string[]> {
  await db
    .updateTable('project')
    .set({ tags: JSON.stringify(tags) })
    .where('id', '=', id)
    .execute();
  return tags;
}

export async function createProject(db: DB, input: ProjectInput, defaultDomainId: string): Promise<ProjectTable> {
  let domainId = input.domain_id ?? null;
  let parentId = input.parent_id ?? null;
  if (parentId) {
    const parent = await findProject(db, parentId);
    if (!parent) {
      // A domain given as the parent means a top-level project in it.
      const asDomain = await db.selectFrom('domain').select('id').where('id', '=', parentId).executeTakeFirst();
      if (!asDomain) throw notFound('project', parentId);
      domainId ??= asDomain.id;
      if (asDomain.id !== domainId) throw forbidden('Cannot create project, the parent is in a different domain.');
      parentId = null;
    } else {
      domainId ??= parent.domain_id;
      if (parent.domain_id !== domainId) {
        throw forbidden(`Cannot create project, the parent (${parent.id}) is in a different domain.`);
      }
    }
  }
  domainId ??= defaultDomainId;
  const domain = await getDomain(db, domainId);
  const row: ProjectTable = {
    id: newId(),
    name: input.name!,
    domain_id: domain.id,
    parent_id: parentId,
    description: input.description ?? null,
    enabled: flag(input.enabled),
    tags: JSON.stringify(input.tags ?? []),
    extra: JSON.stringify(splitExtra(input, COLUMNS)),
    created_at: now(),
  };
  try {
    await db.insertInto('project').values(row).execute();
  } catch (e) {
    if (uniqueViolation(e)) {
      throw conflict(
        'project',
        `it is not permitted to have two projects with the same name in the same domain : ${row.name}`,
      );
    }
    throw e;
  }
  return row;
}

export async function updateProject(db: DB, id: string, input: ProjectInput): Promise<ProjectTable> {
  const p = await getProject(db, id);
  if (input.domain_id !== undefined && input.domain_id !== p.domain_id)
    throw invalid('Update of `domain_id` is not allowed.');
  if (input.parent_id !== undefined && input.parent_id !== (p.parent_id ?? p.domain_id)) {
    throw forbidden('Update of `parent_id` is not allowed.');
  }
  if (input.is_domain === true) throw invalid('Update of `is_domain` is not allowed.');
  const extra = { ...parseJson<Record<string, unknown>>(p.extra, {}), ...splitExtra(input, COLUMNS) };
  const changes: Partial<ProjectTable> = { extra: JSON.stringify(extra) };
  if (input.name !== undefined) changes.name = input.name;
  if (input.description !== undefined) changes.description = input.description;
  if (input.enabled !== undefined) changes.enabled = flag(input.enabled);
  if (input.tags !== undefined) changes.tags = JSON.stringify(input.tags);
  try {
    await db.updateTable('project').set(changes).where('id', '=', id).execute();
  } catch (e) {
    if (uniqueViolation(e)) {
      throw conflict(
        'project',
        `it is not permitted to have two projects with the same name in the same domain : ${input.name}`,
      );
    }
    throw e;
  }
  if (input.enabled === false && p.enabled === 1) await revoke(db, { project_id: id });
  return { ...p, ...changes };
}

/** Removes projects and what hangs off them (assignments, application credentials). */
export async function deleteProjectRows(db: DB, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await db
    .deleteFrom('assignment')
    .where('target_id', 'in', ids)
    .where('type', 'in', ['UserProject', 'GroupProject'])
    .execute();
  await db.deleteFrom('application_credential').where('project_id', 'in', ids).execute();
  await db.deleteFrom('credential').where('project_id', 'in', ids).execute();
  await db.updateTable('user').set({ default_project_id: null }).where('default_project_id', 'in', ids).execute();
  await forgetProjects(db, ids);
  await deleteTrusts(db, await trustsOf(db, { projectIds: ids }));
  // Children first: parent_id references project.id.
  const remaining = new Set(ids);
  while (remaining.size) {
    const leaves = await db
      .selectFrom('project')
      .select('id')
      .where('id', 'in', [...remaining])
      .where((eb) =>
        eb.not(eb.exists(eb.selectFrom('project as c').select('c.id').whereRef('c.parent_id', '=', 'project.id'))),
      )
      .execute();
    if (!leaves.length) break;
    await db
      .deleteFrom('project')
      .where(
        'id',
        'in',
        leaves.map((l) => l.id),
      )
      .execute();
    for (const l of leaves) remaining.delete(l.id);
  }
  for (const id of ids) await revoke(db, { project_id: id });
}

export async function deleteProject(db: DB, id: string): Promise<void> {
  await getProject(db, id);
  const child = await db.selectFrom('project').select('id').where('parent_id', '=', id).executeTakeFirst();
  if (child) {
    throw forbidden(
      `Cannot delete the project ${id} since it is not a leaf in the hierarchy. ` +
        'Use the cascade option if you want to delete a whole subtree.',
    );
  }
  await withTransaction(db, (trx) => deleteProjectRows(trx, [id]));
}
