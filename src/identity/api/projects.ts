// /v3/projects.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { DEFAULT_DOMAIN_ID, type Identity } from '../context.js';
import type { DomainTable, ProjectTable } from '../db/schema.js';
import { deleteDomain } from '../objects/domain_deletion.js';
import { collectionLinks, query, queryFlag, readMember, selfLinks, sendJson } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import * as projects from '../objects/project.js';
import { PROJECT_CREATE, PROJECT_UPDATE } from '../schemas/resource.js';
import { caller, domainFilterTarget, enforcer } from './common.js';
import { domainProjectView, projectView } from './views.js';

/** Where a new project, user or group goes when the request names no domain: the domain the caller's
 * token is scoped to, or its project's domain, else the default domain (as Keystone). */
export function callerDomain(req: FastifyRequest): string {
  const vt = caller(req);
  return vt.domain?.id ?? vt.project?.domain_id ?? DEFAULT_DOMAIN_ID;
}

export function projectRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;
  const view = (req: FastifyRequest, p: ProjectTable) => projectView(p, selfLinks(req, `/projects/${p.id}`));
  const domainView = (req: FastifyRequest, d: DomainTable) => domainProjectView(d, selfLinks(req, `/projects/${d.id}`));
  const either = (req: FastifyRequest, p: projects.ProjectOrDomain) =>
    p.isDomain ? domainView(req, p.domain) : view(req, p.project);
  return {
    '/v3/projects': {
      GET: async (req, reply) => {
        const q = query(req);
        enforce(req, 'list_projects', domainFilterTarget(q.domain_id));
        const csv = (v: string | undefined) => (v === undefined ? undefined : v.split(','));
        const filter: projects.ProjectFilter = {
          domain_id: q.domain_id,
          name: q.name,
          enabled: queryFlag(q.enabled),
          parent_id: q.parent_id,
          tags: csv(q.tags),
          tagsAny: csv(q['tags-any']),
          notTags: csv(q['not-tags']),
          notTagsAny: csv(q['not-tags-any']),
        };
        // Without is_domain a list holds the projects only, as Keystone's.
        const list = queryFlag(q.is_domain)
          ? (await projects.listDomainProjects(db, filter)).map((d) => domainView(req, d))
          : (await projects.listProjects(db, filter)).map((p) => view(req, p));
        return sendJson(reply, 200, { projects: list, links: collectionLinks(req) });
      },
      POST: async (req, reply) => {
        const body = readMember<projects.ProjectInput>(req, 'project', PROJECT_CREATE);
        enforce(req, 'create_project', { target: { project: body } });
        if (body.is_domain) {
          return sendJson(reply, 201, { project: domainView(req, await projects.createDomainProject(db, body)) });
        }
        const p = await projects.createProject(db, body, callerDomain(req));
        return sendJson(reply, 201, { project: view(req, p) });
      },
    },
    '/v3/projects/:project_id': {
      GET: async (req, reply) => {
        const p = await projects.getProjectOrDomain(db, param(req, 'project_id'));
        const target = p.isDomain
          ? { id: p.domain.id, domain_id: null }
          : { id: p.project.id, domain_id: p.project.domain_id };
        enforce(req, 'get_project', { target: { project: target } });
        return sendJson(reply, 200, { project: either(req, p) });
      },
      PATCH: async (req, reply) => {
        const id = param(req, 'project_id');
        enforce(req, 'update_project', { target: { project: { id } } });
        const body = readMember<projects.ProjectInput>(req, 'project', PROJECT_UPDATE);
        const p = await projects.getProjectOrDomain(db, id);
        const project = p.isDomain
          ? domainView(req, await projects.updateDomainProject(db, id, body))
          : view(req, await projects.updateProject(db, id, body));
        return sendJson(reply, 200, { project });
      },
      DELETE: async (req, reply) => {
        const id = param(req, 'project_id');
        enforce(req, 'delete_project', { target: { project: { id } } });
        const p = await projects.getProjectOrDomain(db, id);
        if (p.isDomain) await deleteDomain(db, id);
        else await projects.deleteProject(db, id);
        return sendEmpty(reply, 204);
      },
    },
  };
}
