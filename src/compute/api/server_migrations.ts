// A server's live migrations in progress (nova/api/openstack/compute/server_migrations.py):
// GET /servers/{id}/migrations and /servers/{id}/migrations/{id} (2.23; queued, preparing,
// running, post-migrating), POST /servers/{id}/migrations/{id}/action force_complete (2.22, a
// running one) and DELETE /servers/{id}/migrations/{id} (2.24, abort a running one; from 2.65 one
// queued or preparing too), with Nova's policies and answers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { RouteTable } from '../../common/http/app.js';
import { param } from '../../common/http/request_params.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { MigrationNotFoundForInstance } from '../exceptions.js';
import { dispatchAction, requireVersion, validate } from '../http.js';
import { requestAbort, requestForceComplete } from '../objects/live_migration.js';
import { LIVE_MIGRATION_IN_PROGRESS, migrationOfInstanceById, type Migration } from '../objects/migration.js';
import { at } from './migrations.js';
import { callerOf, findServer } from './servers.js';

const RULE = 'os_compute_api:servers:migrations:';

const forceCompleteSchema = Type.Object({ force_complete: Type.Null() }, { additionalProperties: false });

function view(req: FastifyRequest, m: Migration) {
  return {
    created_at: at(m.created_at),
    dest_compute: m.dest_compute,
    dest_host: m.dest_host,
    dest_node: m.dest_node,
    // No driver of concord's reports a migration's progress (Nova's fake driver neither).
    disk_processed_bytes: null,
    disk_remaining_bytes: null,
    disk_total_bytes: null,
    id: m.id,
    memory_processed_bytes: null,
    memory_remaining_bytes: null,
    memory_total_bytes: null,
    server_uuid: m.instance_uuid,
    source_compute: m.source_compute,
    source_node: m.source_node,
    status: m.status,
    updated_at: at(m.updated_at),
    ...(req.version.gte('2.59') ? { uuid: m.uuid } : {}),
    ...(req.version.gte('2.80') ? { user_id: m.user_id, project_id: m.project_id } : {}),
  };
}

async function list(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  requireVersion(req, '2.23');
  const instance = await findServer(compute, req, `${RULE}index`);
  const rows = await compute.db
    .selectFrom('migrations')
    .selectAll()
    .where('instance_uuid', '=', instance.uuid)
    .where('migration_type', '=', 'live-migration')
    .where('status', 'in', LIVE_MIGRATION_IN_PROGRESS)
    .where('deleted', '=', 0)
    .orderBy('id')
    .execute();
  return sendJson(reply, 200, { migrations: rows.map((m) => view(req, m)) });
}

async function show(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  requireVersion(req, '2.23');
  const instance = await findServer(compute, req, `${RULE}show`);
  const id = param(req, 'migration_id');
  let m: Migration;
  try {
    m = await migrationOfInstanceById(compute.db, id, instance.uuid);
  } catch (e) {
    if (e instanceof MigrationNotFoundForInstance) {
      throw notFound(`In-progress live migration ${id} is not found for server ${instance.uuid}.`);
    }
    throw e;
  }
  if (m.migration_type !== 'live-migration') {
    throw notFound(`Migration ${id} for server ${instance.uuid} is not live-migration.`);
  }
  if (!LIVE_MIGRATION_IN_PROGRESS.includes(m.status)) {
    throw notFound(`Live migration ${id} for server ${instance.uuid} is not in progress.`);
  }
  return sendJson(reply, 200, { migration: view(req, m) });
}

async function action(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  requireVersion(req, '2.22');
  await dispatchAction(req, {
    force_complete: async (body) => {
      validate(forceCompleteSchema, body);
      const instance = await findServer(compute, req, `${RULE}force_complete`);
      try {
        await requestForceComplete(compute.db, compute.jobs, instance, callerOf(req), param(req, 'migration_id'));
      } catch (e) {
        // Nova answers an unknown migration of a force-complete 400, of an abort 404.
        if (e instanceof MigrationNotFoundForInstance) throw badRequest(e.message);
        throw e;
      }
    },
  });
  return sendEmpty(reply, 202);
}

async function abort(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  requireVersion(req, '2.24');
  const instance = await findServer(compute, req, `${RULE}delete`);
  await requestAbort(
    compute.db,
    compute.jobs,
    instance,
    callerOf(req),
    param(req, 'migration_id'),
    req.version.gte('2.65'),
  );
  return sendEmpty(reply, 202);
}

export function serverMigrationRoutes(compute: Compute): RouteTable {
  return {
    '/servers/:server_id/migrations': { GET: (req, reply) => list(compute, req, reply) },
    '/servers/:server_id/migrations/:migration_id': {
      GET: (req, reply) => show(compute, req, reply),
      DELETE: (req, reply) => abort(compute, req, reply),
    },
    '/servers/:server_id/migrations/:migration_id/action': {
      POST: (req, reply) => action(compute, req, reply),
    },
  };
}
