// The evacuate action of POST /servers/{id}/action (nova/api/openstack/compute/evacuate.py): the
// body per microversion (onSharedStorage until 2.13, force from 2.29 until 2.67), the checks
// Nova's API makes of the requested host (404 unknown, 400 the server's own), then the
// evacuation asked of the conductor. Answered 200 (Nova's, for compatibility), with the server's
// new administrator password before 2.14 when [api] enable_instance_password, else empty.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { badRequest, notFound } from '../errors.js';
import { validate } from '../http.js';
import { parseBoolean } from '../objects/flavor.js';
import { requestEvacuation } from '../objects/instance_evacuate.js';
import { findServiceByHost } from '../objects/service.js';
import { boolean, fqdn } from '../schemas/parameter_types.js';
import { callerOf, findServer, randomPassword, schemaFor } from './servers.js';

const body = (fields: Record<string, TSchema>) =>
  Type.Object({ evacuate: Type.Object(fields, { additionalProperties: false }) }, { additionalProperties: false });

const host = Type.Optional(fqdn);
// Nova's admin_password parameter: any string.
const adminPass = Type.Optional(Type.String());

/** Newest first: 2.68 took force away again, leaving 2.14's. */
const SCHEMAS: [string, TSchema][] = [
  ['2.68', body({ host, adminPass })],
  ['2.29', body({ host, adminPass, force: Type.Optional(boolean) })],
  ['2.14', body({ host, adminPass })],
  ['2.0', body({ host, adminPass, onSharedStorage: boolean })],
];

interface Evacuate {
  host?: string;
  adminPass?: string;
  onSharedStorage?: boolean | string;
  force?: boolean | string;
}

/** The password the evacuated server gets (Nova's _get_password and _get_password_v214): the
 * given one, else a new one, but none for a disk on shared storage, which keeps its own. */
function passwordOf(req: FastifyRequest, r: Evacuate, onSharedStorage: boolean | null): string | null {
  if (r.adminPass !== undefined) {
    if (onSharedStorage) throw badRequest("admin password can't be changed on existing disk");
    return r.adminPass;
  }
  return req.version.gte('2.14') || !onSharedStorage ? randomPassword() : null;
}

export function evacuateActions(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  return {
    evacuate: async (raw: unknown) => {
      const r = (validate(schemaFor(req, SCHEMAS), raw) as { evacuate: Evacuate }).evacuate;
      const instance = await findServer(compute, req, 'os_compute_api:os-evacuate');
      const onSharedStorage = req.version.gte('2.14') ? null : parseBoolean(r.onSharedStorage!) === true;
      // Before 2.29 a named host is taken as it is; from it only when forced.
      let force = r.host !== undefined;
      if (req.version.gte('2.29')) {
        force = parseBoolean(r.force ?? false) === true;
        if (force && !r.host) throw badRequest("Can't force to a non-provided destination");
      }
      const password = passwordOf(req, r, onSharedStorage);
      if (r.host !== undefined && !(await findServiceByHost(compute.db, r.host))) {
        throw notFound(`Compute host ${r.host} not found.`);
      }
      if (instance.host === r.host) throw badRequest("The target host can't be the same one.");
      await requestEvacuation(compute.db, compute.jobs, compute.config.serviceDownTime, instance, callerOf(req), {
        host: r.host ?? null,
        force,
        onSharedStorage,
      });
      if (!req.version.gte('2.14') && compute.config.enableInstancePassword) {
        return sendJson(reply, 200, { adminPass: password });
      }
      return sendEmpty(reply, 200);
    },
  };
}
