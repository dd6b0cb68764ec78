// /v2/images/{image_id}/actions/deactivate and reactivate: an administrator takes an active image
// out of use (its data can no longer be downloaded but by administrators) and puts it back.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Image } from '../context.js';
import { forbidden, imageNotFound } from '../errors.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import { saveImage } from '../objects/image.js';
import { lookupImage } from './access.js';

async function act(image: Image, req: FastifyRequest, reply: FastifyReply, rule: 'deactivate' | 'reactivate') {
  const id = param(req, 'image_id');
  const access = await lookupImage(image, req, id);
  access.enforce(rule);
  const [from, to] = rule === 'deactivate' ? ['active', 'deactivated'] : ['deactivated', 'active'];
  const rec = access.record;
  // Asking again for the state the image is already in changes nothing.
  if (rec.status === to) return sendEmpty(reply, 204);
  if (rec.status !== from) throw forbidden(`Not allowed to ${rule} image in status '${rec.status}'`);
  if (!(await saveImage(image.db, rec, { ...rec, status: to }, from))) throw imageNotFound(id);
  return sendEmpty(reply, 204);
}

export function imageActionRoutes(image: Image): RouteTable {
  return {
    '/v2/images/:image_id/actions/deactivate': { POST: (req, reply) => act(image, req, reply, 'deactivate') },
    '/v2/images/:image_id/actions/reactivate': { POST: (req, reply) => act(image, req, reply, 'reactivate') },
  };
}
