// /v3/projects.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { DEFAULT_DOMAIN_ID, type Identity } from '../context.js';
import type { ProjectTable } from '../db/schema.js';
import { collectionLinks, noContent, params, query, queryFlag, readMember, selfLinks, sendJson } from '../http.js';
import * as projects from '../objects/project.js';
import { PROJECT_CREATE, PROJECT_UPDATE } from '../schemas/resource.js';
import { caller, domainFilterTarget, enforcer } from './common.js';

/** Where a new project, user or group goes when the request names no domain: the domain the caller's
 * token is scoped to, or its project's domain, else the default domain (as Keystone). */
export function callerDomain(req: FastifyRequest): string {
  const vt = caller(req);
  return vt.domain?.id ?? vt.project?.domain_id ?? DEFAULT_DOMAIN_ID;
}

export function projectRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;
  const view = (req: FastifyRequest, p: ProjectTable) => projects.projectView(p, selfLinks(req, `/projects/${p.id}`));
  return {
    '/v3/projects': {
      GET: async (req, reply) => {
        const q = query(req);
        enforce(req, 'list_projects', domainFilterTarget(q.domain_id));
        const csv = (v: string | undefined) => (v === undefined ? undefined : v.split(','));
        const rows = await projects.listProjects(db, {
          domain_id: q.domain_id, name: q.name, enabled: queryFlag(q.enabled), parent_id: q.parent_id,
          tags: csv(q.tags), tagsAny: csv(q['tags-any']), notTags: csv(q['not-tags']),
          notTagsAny: csv(q['not-tags-any']),
        });
        // Projects acting as domains are not modelled: asking for them finds none.
        const list = queryFlag(q.is_domain) ? [] : rows;
        return sendJson(reply, 200, { projects: list.map((p) => view(req, p)), links: collectionLinks(req) });
      },
      POST: async (req, reply) => {
        const body = readMember<projects.ProjectInput>(req, 'project', PROJECT_CREATE);
        enforce(req, 'create_project', { target: { project: body } });
        const p = await projects.createProject(db, body, callerDomain(req));
        return sendJson(reply, 201, { project: view(req, p) });
      },
    },
    '/v3/projects/:project_id': {
      GET: async (req, reply) => {
        const p = await projects.getProject(db, params(req).project_id!);
        enforce(req, 'get_project', { target: { project: { id: p.id, domain_id: p.domain_id } } });
        return sendJson(reply, 200, { project: view(req, p) });
      },
      PATCH: async (req, reply) => {
        const { project_id: id } = params(req);
        enforce(req, 'update_project', { target: { project: { id } } });
        const body = readMember<projects.ProjectInput>(req, 'project', PROJECT_UPDATE);
        return sendJson(reply, 200, { project: view(req, await projects.updateProject(db, id!, body)) });
      },
      DELETE: async (req, reply) => {
        const { project_id: id } = params(req);
        enforce(req, 'delete_project', { target: { project: { id } } });
        await projects.deleteProject(db, id!);
        return noContent(reply);
      },
    },
  };
}
