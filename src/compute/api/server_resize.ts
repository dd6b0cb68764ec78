// The resize actions of POST /servers/{id}/action (nova/api/openstack/compute/servers.py
// _action_resize, _action_confirm_resize, _action_revert_resize) and the cold migration
// (migrate_server.py _migrate): each answered once the conductor or the host has its job (202,
// a confirm 204), with Nova's 400s and 409s.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { sendEmpty } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest } from '../errors.js';
import { FlavorNotFound, MigrationNotFoundByStatus } from '../exceptions.js';
import { validate } from '../http.js';
import { getFlavor } from '../objects/flavor.js';
import {
  requestConfirmResize,
  requestMigrate,
  requestResize,
  requestRevertResize,
} from '../objects/instance_resize.js';
import { diskConfigOf } from '../objects/instance_disk_config.js';
import { anyOf, fqdn } from '../schemas/parameter_types.js';
import { callerOf, findServer } from './servers.js';

const resizeSchema = Type.Object(
  {
    resize: Type.Object(
      {
        flavorRef: anyOf<string | number>(['string', 'integer'], { minLength: 1 }),
        'OS-DCF:diskConfig': Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['AUTO', 'MANUAL'] })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

// A destination host from 2.56; before, the body is not looked at (as Nova).
const migrateSchema = Type.Object(
  {
    migrate: Type.Union([Type.Null(), Type.Object({ host: Type.Optional(fqdn) }, { additionalProperties: false })]),
  },
  { additionalProperties: false },
);

const refId = (ref: string | number) => String(ref).replace(/\/+$/, '').split('/').pop()!;

/** Nova's answer to a confirm or revert of a server with no finished resize. */
async function resized<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof MigrationNotFoundByStatus) throw badRequest('Instance has not been resized.');
    throw e;
  }
}

export function resizeActions(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  return {
    resize: async (body: unknown) => {
      const r = validate(resizeSchema, body).resize;
      const instance = await findServer(compute, req, 'os_compute_api:servers:resize');
      let flavor;
      try {
        // Nova looks the flavor up as an administrator: access lists do not apply here.
        flavor = await getFlavor(compute.db, refId(r.flavorRef), { isAdmin: true, projectId: null });
      } catch (e) {
        if (e instanceof FlavorNotFound) throw badRequest(e.message);
        throw e;
      }
      await requestResize(
        compute.db,
        compute.jobs,
        compute.config,
        instance,
        callerOf(req),
        flavor,
        diskConfigOf(r['OS-DCF:diskConfig']),
      );
    },
    migrate: async (body: unknown) => {
      const host = req.version.gte('2.56') ? (validate(migrateSchema, body).migrate?.host ?? undefined) : undefined;
      const instance = await findServer(compute, req, 'os_compute_api:os-migrate-server:migrate');
      await requestMigrate(compute.db, compute.jobs, instance, callerOf(req), host);
    },
    confirmResize: async () => {
      const instance = await findServer(compute, req, 'os_compute_api:servers:confirm_resize');
      await resized(() => requestConfirmResize(compute.db, compute.jobs, instance, callerOf(req)));
      // Nova answers a confirm 204, where the other actions answer 202.
      return sendEmpty(reply, 204);
    },
    revertResize: async () => {
      const instance = await findServer(compute, req, 'os_compute_api:servers:revert_resize');
      await resized(() => requestRevertResize(compute.db, compute.jobs, compute.config, instance, callerOf(req)));
    },
  };
}
