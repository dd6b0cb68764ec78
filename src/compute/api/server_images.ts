// The createImage action of POST /servers/{id}/action (nova/api/openstack/compute/servers.py
// _action_create_image): the snapshot's image created in Glance as the caller, queued, and the
// server's host asked to upload its disk into it. 202 with the image's URL in Location, or from
// 2.45 the image's id in the body.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { onBehalfOf } from '../../common/clients/index.js';
import { HttpError } from '../../common/http/errors.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { conflict } from '../errors.js';
import { InstanceInvalidState, InvalidName } from '../exceptions.js';
import { isValidName, NAME_RULE } from '../objects/text.js';
import { validate } from '../http.js';
import { checkMetadataQuota } from '../objects/instance_quota.js';
import { checkSnapshotState, requestSnapshot, snapshotImageMeta } from '../objects/instance_snapshot.js';
import { metadata, name } from '../schemas/parameter_types.js';
import { callerOf, findServer } from './servers.js';

const createImageSchema = Type.Object(
  {
    createImage: Type.Object(
      { name, metadata: Type.Optional(metadata(Type.String({ maxLength: 255 }))) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

async function createImage(compute: Compute, req: FastifyRequest, reply: FastifyReply, body: unknown) {
  const { createImage: c } = validate(createImageSchema, body);
  if (!isValidName(c.name)) throw new InvalidName(NAME_RULE);
  const instance = await findServer(compute, req, 'os_compute_api:servers:create_image');
  const caller = callerOf(req);
  const metadataItems = c.metadata ?? {};
  // Before 2.39 the image's properties counted against the metadata_items quota.
  if (req.version.lt('2.39')) await checkMetadataQuota(compute.db, compute.config, instance.project_id, metadataItems);
  checkSnapshotState(instance);
  if (!compute.clients) {
    throw new HttpError(503, 'This compute API has no service user to reach the image service with.');
  }
  const call = onBehalfOf(req.ctx, req);
  const meta = await snapshotImageMeta(compute.db, compute.config, instance, caller, c.name, metadataItems);
  const image = await compute.clients.image.create(call, meta);
  if (!(await requestSnapshot(compute.db, compute.jobs, instance, caller, image.id))) {
    await compute.clients.image.delete(call, image.id).catch(() => undefined);
    throw conflict(new InstanceInvalidState('createImage', instance.uuid, 'task_state', 'busy').message);
  }
  if (req.version.gte('2.45')) return sendJson(reply, 202, { image_id: image.id });
  reply.header('location', `${await compute.clients.image.api.url(call)}/images/${image.id}`);
  return sendEmpty(reply, 202);
}

export function imageActions(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  return { createImage: (body: unknown) => createImage(compute, req, reply, body) };
}
