// /v3/projects/{project_id}/tags: a project's tags as a resource of their own (Keystone's
// ProjectTagsResource and ProjectTagResource). The same tags are the `tags` of the project body.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import { notFound } from '../exceptions.js';
import { readJsonBody, sendJson, v3Url, validate } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import * as projects from '../objects/project.js';
import { tags as TAGS } from '../schemas/types.js';
import { enforcer } from './common.js';

export function projectTagRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;
  /** The project, once the caller may `rule` it (a missing project is a 404 first, as Keystone). */
  const authorized = async (req: FastifyRequest, rule: string) => {
    const p = await projects.getProject(db, param(req, 'project_id'));
    enforce(req, rule, { target: { project: { id: p.id, domain_id: p.domain_id } } });
    return p;
  };
  const sendTags = (req: FastifyRequest, reply: FastifyReply, id: string, tags: string[]) =>
    sendJson(reply, 200, { links: { self: v3Url(req, `/projects/${id}/tags`) }, tags });
  const tagNotFound = (tag: string) => notFound('project tag', tag);
  return {
    '/v3/projects/:project_id/tags': {
      GET: async (req, reply) => {
        const p = await authorized(req, 'list_project_tags');
        return sendTags(req, reply, p.id, projects.projectTags(p));
      },
      PUT: async (req, reply) => {
        const p = await authorized(req, 'update_project_tags');
        const tags = validate<string[]>(TAGS, readJsonBody(req).tags ?? []);
        return sendTags(req, reply, p.id, await projects.setProjectTags(db, p.id, tags));
      },
      DELETE: async (req, reply) => {
        const p = await authorized(req, 'delete_project_tags');
        await projects.setProjectTags(db, p.id, []);
        return sendEmpty(reply, 204);
      },
    },
    '/v3/projects/:project_id/tags/:value': {
      GET: async (req, reply) => {
        const p = await authorized(req, 'get_project_tag');
        const tag = param(req, 'value');
        if (!projects.projectTags(p).includes(tag)) throw tagNotFound(tag);
        return sendEmpty(reply, 204);
      },
      PUT: async (req, reply) => {
        const p = await authorized(req, 'create_project_tag');
        const tag = param(req, 'value');
        const current = projects.projectTags(p);
        if (!current.includes(tag)) {
          // The tag, then the project's tags with it (at most 80), as Keystone checks them.
          validate(TAGS.items, tag);
          await projects.setProjectTags(db, p.id, validate<string[]>(TAGS, [...current, tag]));
        }
        reply.header('location', v3Url(req, `/projects/${p.id}/tags/${encodeURIComponent(tag)}`));
        return reply.code(201).send();
      },
      DELETE: async (req, reply) => {
        const p = await authorized(req, 'delete_project_tag');
        const tag = param(req, 'value');
        const current = projects.projectTags(p);
        if (!current.includes(tag)) throw tagNotFound(tag);
        await projects.setProjectTags(
          db,
          p.id,
          current.filter((t) => t !== tag),
        );
        return sendEmpty(reply, 204);
      },
    },
  };
}
