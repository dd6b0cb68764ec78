// The rescue and unrescue actions of POST /servers/{id}/action (nova/api/openstack/compute/rescue.py):
// rescue answers 200 {"adminPass"} (the given or a generated password; {} when [api]
// enable_instance_password is off) once the host has its job, unrescue 202. A rescue image must be
// one the caller can see in Glance, and not a volume snapshot's (400). 2.87's stable device rescue
// of volume-backed servers does not arise: concord's servers have no volumes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ClientError, onBehalfOf } from '../../common/clients/index.js';
import { HttpError } from '../../common/http/errors.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { UnsupportedRescueImage } from '../exceptions.js';
import { validate } from '../http.js';
import { anyOf } from '../schemas/parameter_types.js';
import { checkRescue, requestRescue, requestUnrescue } from '../objects/instance_rescue.js';
import { callerOf, findServer, randomPassword } from './servers.js';

// Nova's schema: an object or null, one type list rather than a union, so that a failure is told
// of the field at fault and never quotes the whole body back, the password with it.
const rescueSchema = Type.Object(
  {
    rescue: anyOf<{ adminPass?: string; rescue_image_ref?: string } | null>(['object', 'null'], {
      properties: { adminPass: { type: 'string' }, rescue_image_ref: { type: 'string', format: 'uuid' } },
      additionalProperties: false,
    }),
  },
  { additionalProperties: false },
);

/** Nova's ImageMeta.from_image_ref as the rescue sees it: an image the caller cannot see, or one
 * made from a volume-backed server (which cannot be rescued from), is not supported. */
async function checkRescueImage(compute: Compute, req: FastifyRequest, ref: string): Promise<void> {
  if (!compute.clients) {
    throw new HttpError(503, 'This compute API has no service user to reach the image service with.');
  }
  let image;
  try {
    image = await compute.clients.image.show(onBehalfOf(req.ctx, req), ref);
  } catch (e) {
    if (e instanceof ClientError && (e.status === 404 || e.status === 400)) throw new UnsupportedRescueImage(ref);
    throw e;
  }
  if (image.img_block_device_mapping) throw new UnsupportedRescueImage(ref);
}

export function rescueActions(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  return {
    rescue: async (body: unknown) => {
      const r = validate(rescueSchema, body).rescue;
      const password = r?.adminPass ?? randomPassword();
      const instance = await findServer(compute, req, 'os_compute_api:os-rescue');
      const caller = callerOf(req);
      await checkRescue(compute.db, instance, caller);
      const ref = r?.rescue_image_ref ?? null;
      if (ref !== null) await checkRescueImage(compute, req, ref);
      await requestRescue(compute.db, compute.jobs, instance, caller, password, ref);
      // Nova answers 200 here, where its other actions answer 202.
      return sendJson(reply, 200, compute.config.enableInstancePassword ? { adminPass: password } : {});
    },
    unrescue: async () => {
      const instance = await findServer(compute, req, 'os_compute_api:os-unrescue');
      await requestUnrescue(compute.db, compute.jobs, instance, callerOf(req));
      return sendEmpty(reply, 202);
    },
  };
}
