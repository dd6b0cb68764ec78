// /v3/OS-EP-FILTER: endpoint groups, and the endpoints and endpoint groups associated with
// projects (which narrow those projects' catalogs).
import type { FastifyRequest } from 'fastify';
import type { Handler, RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import type { EndpointGroupTable, EndpointTable, ProjectTable } from '../db/schema.js';
import { collectionLinks, query, readMember, selfLinks, sendJson, v3Url } from '../http.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import * as filter from '../objects/endpoint_filter.js';
import { getEndpoint } from '../objects/catalog.js';
import { getProject, listProjects } from '../objects/project.js';
import { ENDPOINT_GROUP_CREATE, ENDPOINT_GROUP_UPDATE } from '../schemas/catalog.js';
import { enforcer } from './common.js';
import { endpointGroupView, endpointView, projectView } from './views.js';

const BASE = '/v3/OS-EP-FILTER';

export function endpointFilterRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;
  const groupView = (req: FastifyRequest, g: EndpointGroupTable) =>
    endpointGroupView(g, selfLinks(req, `/OS-EP-FILTER/endpoint_groups/${g.id}`));
  const endpoints = (req: FastifyRequest, rows: EndpointTable[]) => ({
    endpoints: rows.map((e) => endpointView(e, selfLinks(req, `/endpoints/${e.id}`))),
    links: collectionLinks(req),
  });
  const projects = (req: FastifyRequest, rows: ProjectTable[]) => ({
    projects: rows.map((p) => projectView(p, selfLinks(req, `/projects/${p.id}`))),
    links: collectionLinks(req),
  });
  /** The project and endpoint group of the path, both of which must exist. */
  const groupAndProject = async (req: FastifyRequest) => {
    const groupId = param(req, 'endpoint_group_id');
    const projectId = param(req, 'project_id');
    await getProject(db, projectId);
    await filter.getEndpointGroup(db, groupId);
    return { groupId: groupId, projectId: projectId };
  };
  /** The project and endpoint of the path, both of which must exist. */
  const endpointAndProject = async (req: FastifyRequest) => {
    const endpointId = param(req, 'endpoint_id');
    const projectId = param(req, 'project_id');
    await getEndpoint(db, endpointId);
    await getProject(db, projectId);
    return { endpointId: endpointId, projectId: projectId };
  };
  const checkEndpoint: Handler = async (req, reply) => {
    enforce(req, 'check_endpoint_in_project');
    const { endpointId, projectId } = await endpointAndProject(req);
    await filter.checkEndpointInProject(db, endpointId, projectId);
    return sendEmpty(reply, 204);
  };

  return {
    [`${BASE}/endpoint_groups`]: {
      GET: async (req, reply) => {
        enforce(req, 'list_endpoint_groups');
        const rows = await filter.listEndpointGroups(db, { name: query(req).name });
        return sendJson(reply, 200, {
          endpoint_groups: rows.map((g) => groupView(req, g)),
          links: collectionLinks(req),
        });
      },
      POST: async (req, reply) => {
        enforce(req, 'create_endpoint_group');
        const body = readMember<filter.EndpointGroupInput>(req, 'endpoint_group', ENDPOINT_GROUP_CREATE);
        return sendJson(reply, 201, { endpoint_group: groupView(req, await filter.createEndpointGroup(db, body)) });
      },
    },
    [`${BASE}/endpoint_groups/:endpoint_group_id`]: {
      GET: async (req, reply) => {
        enforce(req, 'get_endpoint_group');
        const g = await filter.getEndpointGroup(db, param(req, 'endpoint_group_id'));
        return sendJson(reply, 200, { endpoint_group: groupView(req, g) });
      },
      PATCH: async (req, reply) => {
        enforce(req, 'update_endpoint_group');
        const body = readMember<filter.EndpointGroupInput>(req, 'endpoint_group', ENDPOINT_GROUP_UPDATE);
        const g = await filter.updateEndpointGroup(db, param(req, 'endpoint_group_id'), body);
        return sendJson(reply, 200, { endpoint_group: groupView(req, g) });
      },
      DELETE: async (req, reply) => {
        enforce(req, 'delete_endpoint_group');
        await filter.deleteEndpointGroup(db, param(req, 'endpoint_group_id'));
        return sendEmpty(reply, 204);
      },
    },
    [`${BASE}/endpoint_groups/:endpoint_group_id/endpoints`]: {
      GET: async (req, reply) => {
        enforce(req, 'list_endpoints_associated_with_endpoint_group');
        return sendJson(reply, 200, endpoints(req, await filter.endpointsInGroup(db, param(req, 'endpoint_group_id'))));
      },
    },
    [`${BASE}/endpoint_groups/:endpoint_group_id/projects`]: {
      GET: async (req, reply) => {
        enforce(req, 'list_projects_associated_with_endpoint_group');
        const g = await filter.getEndpointGroup(db, param(req, 'endpoint_group_id'));
        const ids = await filter.projectIdsOfEndpointGroup(db, g.id);
        return sendJson(reply, 200, projects(req, await listProjects(db, { ids })));
      },
    },
    [`${BASE}/endpoint_groups/:endpoint_group_id/projects/:project_id`]: {
      GET: async (req, reply) => {
        enforce(req, 'get_endpoint_group_in_project');
        const { groupId, projectId } = await groupAndProject(req);
        await filter.checkEndpointGroupInProject(db, groupId, projectId);
        return sendJson(reply, 200, {
          project_endpoint_group: {
            endpoint_group_id: groupId,
            project_id: projectId,
            links: { self: v3Url(req, `/OS-EP-FILTER/endpoint_groups/${groupId}/projects/${projectId}`) },
          },
        });
      },
      PUT: async (req, reply) => {
        enforce(req, 'add_endpoint_group_to_project');
        const { groupId, projectId } = await groupAndProject(req);
        await filter.addEndpointGroupToProject(db, groupId, projectId);
        return sendEmpty(reply, 204);
      },
      DELETE: async (req, reply) => {
        enforce(req, 'remove_endpoint_group_from_project');
        const { groupId, projectId } = await groupAndProject(req);
        await filter.removeEndpointGroupFromProject(db, groupId, projectId);
        return sendEmpty(reply, 204);
      },
    },
    [`${BASE}/projects/:project_id/endpoint_groups`]: {
      GET: async (req, reply) => {
        enforce(req, 'list_endpoint_groups_for_project');
        const p = await getProject(db, param(req, 'project_id'));
        const rows = await filter.endpointGroupsOfProject(db, p.id);
        return sendJson(reply, 200, {
          endpoint_groups: rows.map((g) => groupView(req, g)),
          links: collectionLinks(req),
        });
      },
    },
    [`${BASE}/projects/:project_id/endpoints`]: {
      GET: async (req, reply) => {
        enforce(req, 'list_endpoints_for_project');
        const p = await getProject(db, param(req, 'project_id'));
        return sendJson(reply, 200, endpoints(req, await filter.endpointsOfProject(db, p.id)));
      },
    },
    [`${BASE}/projects/:project_id/endpoints/:endpoint_id`]: {
      GET: checkEndpoint,
      HEAD: checkEndpoint,
      PUT: async (req, reply) => {
        enforce(req, 'add_endpoint_to_project');
        const { endpointId, projectId } = await endpointAndProject(req);
        await filter.addEndpointToProject(db, endpointId, projectId);
        return sendEmpty(reply, 204);
      },
      DELETE: async (req, reply) => {
        enforce(req, 'remove_endpoint_from_project');
        const endpointId = param(req, 'endpoint_id');
        const projectId = param(req, 'project_id');
        await filter.removeEndpointFromProject(db, endpointId, projectId);
        return sendEmpty(reply, 204);
      },
    },
    [`${BASE}/endpoints/:endpoint_id/projects`]: {
      GET: async (req, reply) => {
        enforce(req, 'list_projects_for_endpoint');
        const e = await getEndpoint(db, param(req, 'endpoint_id'));
        return sendJson(
          reply,
          200,
          projects(req, await listProjects(db, { ids: await filter.projectIdsOfEndpoint(db, e.id) })),
        );
      },
    },
  };
}
