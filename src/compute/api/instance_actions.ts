// /servers/{id}/os-instance-actions: what was done to a server, and the events of each action
// (nova/api/openstack/compute/instance_actions.py); `openstack server event list` reads it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { param } from '../../common/http/request_params.js';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { notFound } from '../errors.js';
import { allowed, authorize, isAdmin } from '../http.js';
import { getInstance } from '../objects/instance.js';
import { hostId } from './server_views.js';

/** Nova's action times: naive ISO with microseconds. */
const at = (ts: string | null) =>
  ts === null ? null : `${ts.slice(0, 19)}.${(ts.slice(20, 23) || '000').padEnd(6, '0')}`;

async function server(compute: Compute, req: FastifyRequest, rule: string) {
  const instance = await getInstance(compute.db, param(req, 'server_id'), {
    projectId: isAdmin(req) ? null : req.ctx.projectId,
    withDeleted: req.version.gte('2.21'),
  });
  authorize(compute, req, rule, { project_id: instance.project_id });
  return instance;
}

type ActionRow = {
  action: string;
  instance_uuid: string;
  message: string | null;
  project_id: string | null;
  request_id: string | null;
  start_time: string | null;
  user_id: string | null;
  updated_at: string | null;
};

function actionView(req: FastifyRequest, a: ActionRow) {
  return {
    action: a.action,
    instance_uuid: a.instance_uuid,
    message: a.message,
    project_id: a.project_id,
    request_id: a.request_id,
    start_time: at(a.start_time),
    user_id: a.user_id,
    ...(req.version.gte('2.58') ? { updated_at: at(a.updated_at) } : {}),
  };
}

async function list(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await server(compute, req, 'os_compute_api:os-instance-actions:list');
  const rows = await compute.db
    .selectFrom('instance_actions')
    .selectAll()
    .where('instance_uuid', '=', instance.uuid)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return sendJson(reply, 200, { instanceActions: rows.map((a) => actionView(req, a)) });
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const instance = await server(compute, req, 'os_compute_api:os-instance-actions:show');
  const requestId = param(req, 'request_id');
  const action = await compute.db
    .selectFrom('instance_actions')
    .selectAll()
    .where('instance_uuid', '=', instance.uuid)
    .where('request_id', '=', requestId)
    .executeTakeFirst();
  if (!action) throw notFound(`Action ${requestId} not found`);
  const body: Record<string, unknown> = actionView(req, action);
  const target = { project_id: instance.project_id };
  const events = allowed(compute, req, 'os_compute_api:os-instance-actions:events', target);
  if (events || req.version.gte('2.51')) {
    const details = allowed(compute, req, 'os_compute_api:os-instance-actions:events:details', target);
    const rows = await compute.db
      .selectFrom('instance_actions_events')
      .selectAll()
      .where('action_id', '=', action.id)
      .orderBy('id')
      .execute();
    body.events = rows.map((e) => ({
      event: e.event,
      start_time: at(e.start_time),
      finish_time: at(e.finish_time),
      result: e.result,
      ...(events ? { traceback: e.traceback } : {}),
      ...(req.version.gte('2.62')
        ? { hostId: hostId(instance.project_id, e.host), ...(events ? { host: e.host } : {}) }
        : {}),
      ...(req.version.gte('2.84') && details ? { details: e.details } : {}),
    }));
  }
  return sendJson(reply, 200, { instanceAction: body });
}

export function instanceActionRoutes(compute: Compute): RouteTable {
  return {
    '/servers/:server_id/os-instance-actions': { GET: (req, reply) => list(compute, req, reply) },
    '/servers/:server_id/os-instance-actions/:request_id': { GET: (req, reply) => show(compute, req, reply) },
  };
}
