// Whether a project id names a project (nova/api/openstack/identity.py): flavor access and quota
// updates name projects, and Keystone is asked with the caller's token. Only a definite "no such
// project" refuses; a caller who may not look, or a Keystone that does not answer, lets it pass.
import type { FastifyRequest } from 'fastify';
import { ClientError, EndpointNotFound, onBehalfOf } from '../../common/clients/index.js';
import type { Compute } from '../context.js';
import { badRequest } from '../errors.js';

/** `missingOk`: a project that does not exist is no error either (what is removed from a list
 * need not exist). */
export async function verifyProjectId(
  compute: Compute,
  req: FastifyRequest,
  projectId: string,
  opts: { missingOk?: boolean } = {},
): Promise<void> {
  const identity = compute.clients?.identity;
  if (!identity || !req.ctx.authToken) return;
  try {
    await identity.showProject(onBehalfOf(req.ctx, req), projectId);
  } catch (e) {
    if (e instanceof EndpointNotFound) {
      compute.log.error('Keystone identity service version 3.0 was not found');
      throw badRequest('Nova was unable to find Keystone service endpoint.');
    }
    if (e instanceof ClientError && e.status === 404) {
      if (opts.missingOk) return;
      throw badRequest(`Project ID ${projectId} is not a valid project.`);
    }
    compute.log.info(
      { err: e instanceof ClientError ? e.status : String(e) },
      'Unable to verify project_id with keystone',
    );
  }
}
