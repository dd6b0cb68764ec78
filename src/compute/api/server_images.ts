// The createImage and createBackup actions of POST /servers/{id}/action
// (nova/api/openstack/compute/servers.py _action_create_image, create_backup.py): the image
// created in Glance as the caller, queued, and the server's host asked to upload its disk into it
// (and, for a backup, to rotate the older ones). 202 with the image's URL in Location (a
// backup's: the compute API's /images/{id}, and none at rotation 0), or from 2.45 the image's id
// in the body.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { onBehalfOf } from '../../common/clients/index.js';
import { HttpError } from '../../common/http/errors.js';
import { sendEmpty, sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { conflict } from '../errors.js';
import { InstanceInvalidState, InvalidName } from '../exceptions.js';
import { isValidName, NAME_RULE } from '../objects/text.js';
import { API_ROOT, serviceUrl, validate } from '../http.js';
import { checkMetadataQuota } from '../objects/instance_quota.js';
import { checkSnapshotState, requestSnapshot, snapshotImageMeta, type Backup } from '../objects/instance_snapshot.js';
import { metadata, name, nonNegativeInteger } from '../schemas/parameter_types.js';
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

const createBackupSchema = Type.Object(
  {
    createBackup: Type.Object(
      {
        name,
        backup_type: Type.String(),
        rotation: nonNegativeInteger,
        metadata: Type.Optional(metadata(Type.String({ maxLength: 255 }))),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

interface ImageRequest {
  action: 'createImage' | 'createBackup';
  rule: string;
  name: string;
  metadata?: Record<string, string> | undefined;
  backup?: Backup;
}

async function snapshot(compute: Compute, req: FastifyRequest, reply: FastifyReply, r: ImageRequest) {
  if (!isValidName(r.name)) throw new InvalidName(NAME_RULE);
  const instance = await findServer(compute, req, r.rule);
  const caller = callerOf(req);
  const metadataItems = r.metadata ?? {};
  // Before 2.39 the image's properties counted against the metadata_items quota.
  if (req.version.lt('2.39')) await checkMetadataQuota(compute.db, compute.config, instance.project_id, metadataItems);
  checkSnapshotState(instance, r.action);
  if (!compute.clients) {
    throw new HttpError(503, 'This compute API has no service user to reach the image service with.');
  }
  const call = onBehalfOf(req.ctx, req);
  const meta = await snapshotImageMeta(compute.db, compute.config, instance, caller, r.name, metadataItems, r.backup);
  const image = await compute.clients.image.create(call, meta);
  if (!(await requestSnapshot(compute.db, compute.jobs, instance, caller, image.id, r.backup))) {
    await compute.clients.image.delete(call, image.id).catch(() => undefined);
    throw conflict(new InstanceInvalidState(r.action, instance.uuid, 'task_state', 'busy').message);
  }
  if (req.version.gte('2.45')) return sendJson(reply, 202, { image_id: image.id });
  if (!r.backup) reply.header('location', `${await compute.clients.image.api.url(call)}/images/${image.id}`);
  else if (r.backup.rotation > 0) reply.header('location', `${serviceUrl(compute, req)}${API_ROOT}/images/${image.id}`);
  return sendEmpty(reply, 202);
}

export function imageActions(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  return {
    createImage: (body: unknown) => {
      const c = validate(createImageSchema, body).createImage;
      return snapshot(compute, req, reply, {
        ...c,
        action: 'createImage',
        rule: 'os_compute_api:servers:create_image',
      });
    },
    createBackup: (body: unknown) => {
      const c = validate(createBackupSchema, body).createBackup;
      return snapshot(compute, req, reply, {
        action: 'createBackup',
        rule: 'os_compute_api:os-create-backup',
        name: c.name,
        metadata: c.metadata,
        backup: { type: c.backup_type, rotation: Number(c.rotation) },
      });
    },
  };
}
