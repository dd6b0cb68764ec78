// GET /os-migrations (nova/api/openstack/compute/migrations.py): every move of every instance,
// for administrators — filters host (source or destination), status, instance_uuid,
// migration_type, source_compute; 2.23 adds migration_type; 2.59 the uuid, pages (limit, marker)
// newest first and changes-since; 2.66 changes-before; 2.80 user_id and project_id, as fields
// and filters; from 2.23 a live migration in progress links to its /servers/{id}/migrations/{id}
// (server_migrations.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { RouteTable } from '../../common/http/app.js';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest } from '../errors.js';
import { authorize, last, limitAndMarker, nextLinks, readQuery, resourceLinks } from '../http.js';
import { LIVE_MIGRATION_IN_PROGRESS, type Migration } from '../objects/migration.js';
import { multiParams, querySchema } from '../schemas/parameter_types.js';

const str = multiParams(Type.String());
const v20 = {
  hidden: str,
  host: str,
  instance_uuid: str,
  source_compute: str,
  status: str,
  migration_type: str,
};
const v259 = { ...v20, limit: multiParams(Type.String()), marker: str, 'changes-since': str };
const v266 = { ...v259, 'changes-before': str };
const v280 = { ...v266, user_id: str, project_id: str };

function querySchemaFor(req: FastifyRequest) {
  if (req.version.gte('2.80')) return querySchema(v280, true);
  if (req.version.gte('2.66')) return querySchema(v266, true);
  if (req.version.gte('2.59')) return querySchema(v259, true);
  return querySchema(v20, false);
}

function dateParam(query: Record<string, string[]>, key: string): string | undefined {
  const raw = last(query, key);
  if (raw === undefined) return undefined;
  const t = Date.parse(raw);
  if (Number.isNaN(t))
    throw badRequest(`Invalid input for query parameters ${key}. Value: ${raw}. '${raw}' is not a 'date-time'`);
  return new Date(t).toISOString();
}

/** Nova's migration times: naive ISO with microseconds. */
export const at = (ts: string | null) =>
  ts === null ? null : `${ts.slice(0, 19)}.${(ts.slice(20, 23) || '000').padEnd(6, '0')}`;

function view(compute: Compute, req: FastifyRequest, m: Migration) {
  const inProgress = m.migration_type === 'live-migration' && LIVE_MIGRATION_IN_PROGRESS.includes(m.status);
  return {
    created_at: at(m.created_at),
    dest_compute: m.dest_compute,
    dest_host: m.dest_host,
    dest_node: m.dest_node,
    id: m.id,
    instance_uuid: m.instance_uuid,
    new_instance_type_id: m.new_instance_type_id,
    old_instance_type_id: m.old_instance_type_id,
    source_compute: m.source_compute,
    source_node: m.source_node,
    status: m.status,
    updated_at: at(m.updated_at),
    ...(req.version.gte('2.23') ? { migration_type: m.migration_type } : {}),
    ...(req.version.gte('2.59') ? { uuid: m.uuid } : {}),
    ...(req.version.gte('2.80') ? { user_id: m.user_id, project_id: m.project_id } : {}),
    ...(req.version.gte('2.23') && inProgress
      ? { links: resourceLinks(compute, req, `servers/${m.instance_uuid}/migrations`, String(m.id)) }
      : {}),
  };
}

async function list(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  authorize(compute, req, 'os_compute_api:os-migrations:index', {});
  const query = readQuery(req, querySchemaFor(req));
  let q = compute.db.selectFrom('migrations').selectAll().where('deleted', '=', 0).where('hidden', '=', 0);
  const host = last(query, 'host');
  if (host !== undefined) q = q.where((eb) => eb.or([eb('source_compute', '=', host), eb('dest_compute', '=', host)]));
  for (const key of ['status', 'instance_uuid', 'migration_type', 'source_compute', 'user_id', 'project_id'] as const) {
    const v = last(query, key);
    if (v !== undefined) q = q.where(key, '=', v);
  }
  const paged = req.version.gte('2.59');
  if (!paged) {
    const rows = await q.orderBy('id').execute();
    return sendJson(reply, 200, { migrations: rows.map((m) => view(compute, req, m)) });
  }
  const since = dateParam(query, 'changes-since');
  const before = dateParam(query, 'changes-before');
  if (since !== undefined && before !== undefined && since > before) {
    throw badRequest('The value of changes-since must be less than or equal to changes-before.');
  }
  // A migration never updated counts from its creation.
  const changed = sql<string>`coalesce(updated_at, created_at)`;
  if (since !== undefined) q = q.where(changed, '>=', since);
  if (before !== undefined) q = q.where(changed, '<=', before);
  const { limit, marker } = limitAndMarker(compute, query);
  if (marker !== undefined) {
    const m = await compute.db
      .selectFrom('migrations')
      .select(['id', 'created_at'])
      .where('uuid', '=', marker)
      .executeTakeFirst();
    if (!m) throw badRequest(`Marker ${marker} could not be found.`);
    q = q.where((eb) =>
      eb.or([eb('created_at', '<', m.created_at), eb.and([eb('created_at', '=', m.created_at), eb('id', '<', m.id)])]),
    );
  }
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  const links = nextLinks(compute, req, 'os-migrations', rows.length, limit, rows.at(-1)?.uuid);
  return sendJson(reply, 200, {
    migrations: rows.map((m) => view(compute, req, m)),
    ...(links.length ? { migrations_links: links } : {}),
  });
}

export function migrationRoutes(compute: Compute): RouteTable {
  return {
    '/os-migrations': { GET: (req, reply) => list(compute, req, reply) },
  };
}
