// The shelve actions of POST /servers/{id}/action (nova/api/openstack/compute/shelve.py): shelve
// (the server's disk snapshotted into an image `<name>-shelved` the API creates in Glance as the
// caller, the host then powering the guest off and uploading it), shelveOffload (the guest
// destroyed, its resources freed) and unshelve (with an availability zone from 2.77, a host and an
// unpinned zone from 2.91). Each answered 202 once the host or the conductor has its job.
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ClientError, onBehalfOf } from '../../common/clients/index.js';
import { HttpError } from '../../common/http/errors.js';
import type { Compute } from '../context.js';
import { badRequest, conflict } from '../errors.js';
import { InstanceInvalidState, InvalidName } from '../exceptions.js';
import { authorize, validate } from '../http.js';
import {
  checkShelve,
  requestShelve,
  requestShelveOffload,
  requestUnshelve,
  type Unshelve,
} from '../objects/instance_shelve.js';
import { snapshotImageMeta } from '../objects/instance_snapshot.js';
import { isValidName, NAME_RULE } from '../objects/text.js';
import { name } from '../schemas/parameter_types.js';
import { callerOf, findServer } from './servers.js';
import { Action } from '../objects/instance_action.js';
import { rejectVtpm } from '../objects/vtpm.js';

// Written as Nova's JSON schemas are (a list of types, oneOf), so that a refusal reads as Nova's.
const unshelveV277 = Type.Object(
  {
    unshelve: Type.Unsafe<{ availability_zone: string } | null>({
      type: ['object', 'null'],
      properties: { availability_zone: name },
      required: ['availability_zone'],
      additionalProperties: false,
    }),
  },
  { additionalProperties: false },
);

const unshelveV291 = Type.Object(
  {
    unshelve: Type.Unsafe<{ availability_zone?: string | null; host?: string } | null>({
      oneOf: [
        {
          type: ['object'],
          properties: {
            availability_zone: { oneOf: [{ type: ['null'] }, { type: 'string' }] },
            host: { type: 'string' },
          },
          additionalProperties: false,
        },
        { type: ['null'] },
      ],
    }),
  },
  { additionalProperties: false },
);

/** What the request asks of the unshelve, per microversion (before 2.77 the body is not read). */
function unshelveRequest(req: FastifyRequest, body: unknown): Omit<Unshelve, 'authorizeHost'> {
  if (req.version.gte('2.91')) {
    const u = validate(unshelveV291, body).unshelve;
    return {
      ...(u && 'availability_zone' in u ? { availabilityZone: u.availability_zone ?? null } : {}),
      ...(u?.host !== undefined ? { host: u.host } : {}),
    };
  }
  if (req.version.gte('2.77')) {
    const u = validate(unshelveV277, body).unshelve;
    if (u === null) return {};
    if (!isValidName(u.availability_zone)) throw new InvalidName(NAME_RULE);
    return { availabilityZone: u.availability_zone };
  }
  return {};
}

async function shelve(compute: Compute, req: FastifyRequest): Promise<void> {
  const instance = await findServer(compute, req, 'os_compute_api:os-shelve:shelve');
  const caller = callerOf(req);
  await rejectVtpm(compute.db, instance, Action.SHELVE);
  checkShelve(instance, caller);
  if (!compute.clients) {
    throw new HttpError(503, 'This compute API has no service user to reach the image service with.');
  }
  const call = onBehalfOf(req.ctx, req);
  const meta = await snapshotImageMeta(
    compute.db,
    compute.config,
    instance,
    caller,
    `${instance.display_name ?? ''}-shelved`,
    {},
  );
  let imageId: string;
  try {
    imageId = (await compute.clients.image.create(call, meta)).id;
  } catch (e) {
    // Glance refusing the image (a name too long once suffixed, say) is the request's fault, as
    // Nova answers Glance's Invalid.
    if (e instanceof ClientError && e.status === 400) throw badRequest(e.detail || e.message);
    throw e;
  }
  if (!(await requestShelve(compute.db, compute.jobs, instance, caller, imageId))) {
    await compute.clients.image.delete(call, imageId).catch(() => undefined);
    throw conflict(new InstanceInvalidState('shelve', instance.uuid, 'task_state', 'busy').message);
  }
}

export function shelveActions(compute: Compute, req: FastifyRequest) {
  return {
    shelve: () => shelve(compute, req),
    shelveOffload: async () => {
      const instance = await findServer(compute, req, 'os_compute_api:os-shelve:shelve_offload');
      await requestShelveOffload(compute.db, compute.jobs, instance, callerOf(req));
    },
    unshelve: async (body: unknown) => {
      const asked = unshelveRequest(req, body);
      const instance = await findServer(compute, req, 'os_compute_api:os-shelve:unshelve');
      await requestUnshelve(compute.db, compute.jobs, compute.config, instance, callerOf(req), {
        ...asked,
        authorizeHost: () =>
          authorize(compute, req, 'os_compute_api:os-shelve:unshelve_to_host', {
            project_id: instance.project_id,
            user_id: instance.user_id,
          }),
      });
    },
  };
}
