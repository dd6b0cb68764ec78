// /v2/images/{image_id}/tags/{tag_value}: add and remove one tag.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { HttpError } from '../../common/http/errors.js';
import type { Image } from '../context.js';
import { badRequest, hiddenNotFound } from '../errors.js';
import { sendEmpty } from '../../common/http/reply.js';
import { param } from '../../common/http/request_params.js';
import { checkTagQuota } from '../objects/attributes.js';
import { saveImage } from '../objects/image.js';
import { lookupImage } from './access.js';

const notFound = (id: string) => new HttpError(404, `Image ${id} not found.`);

async function change(image: Image, req: FastifyRequest, reply: FastifyReply, add: boolean) {
  const id = param(req, 'image_id');
  const tag = param(req, 'tag_value');
  const access = await lookupImage(image, req, id, notFound);
  access.enforce('modify_image');
  const before = access.record;
  let tags: string[];
  if (add) {
    if (tag.length > 255) throw badRequest('Could not update image: Tag exceeds the maximum length of 255 characters.');
    tags = before.tags.includes(tag) ? before.tags : [...before.tags, tag];
    checkTagQuota(tags);
  } else {
    if (!before.tags.includes(tag)) throw hiddenNotFound();
    tags = before.tags.filter((t) => t !== tag);
  }
  if (!(await saveImage(image.db, before, { ...before, tags }))) throw notFound(id);
  return sendEmpty(reply, 204);
}

export function imageTagRoutes(image: Image): RouteTable {
  return {
    '/v2/images/:image_id/tags/:tag_value': {
      PUT: (req, reply) => change(image, req, reply, true),
      DELETE: (req, reply) => change(image, req, reply, false),
    },
  };
}
