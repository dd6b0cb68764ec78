// Version discovery, as nova-api answers it without a token: GET / lists the API versions (the
// root is outside microversion control), GET /v2.1 and /v2.1/ show the v2.1 document with the
// microversion range. concord serves v2.1 only, so only v2.1 is listed.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { sendJson } from '../../common/http/reply.js';
import type { Compute } from '../context.js';
import { API_ROOT, serviceUrl } from '../http.js';
import { COMPUTE_MICROVERSIONS } from '../microversions.js';

const V21 = {
  id: 'v2.1',
  status: 'CURRENT',
  version: COMPUTE_MICROVERSIONS.max.toString(),
  min_version: COMPUTE_MICROVERSIONS.min.toString(),
  updated: '2013-07-23T11:33:21Z',
};
const DESCRIBED_BY = { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' };
const MEDIA_TYPES = [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }];

export const PUBLIC_PATHS = new Set(['/', API_ROOT, `${API_ROOT}/`]);

async function versions(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  reply.removeHeader('openstack-api-version').removeHeader('vary');
  const href = `${serviceUrl(compute, req)}${API_ROOT}/`;
  return sendJson(reply, 200, { versions: [{ ...V21, links: [{ rel: 'self', href }] }] });
}

async function version(compute: Compute, req: FastifyRequest, reply: FastifyReply) {
  const href = `${serviceUrl(compute, req)}${API_ROOT}/`;
  return sendJson(reply, 200, {
    version: { ...V21, links: [{ rel: 'self', href }, DESCRIBED_BY], 'media-types': MEDIA_TYPES },
  });
}

export function versionRoutes(compute: Compute): RouteTable {
  const show = { GET: (req: FastifyRequest, reply: FastifyReply) => version(compute, req, reply) };
  return {
    '/': { GET: (req, reply) => versions(compute, req, reply) },
    [API_ROOT]: show,
    [`${API_ROOT}/`]: show,
  };
}
