// Version discovery: / (300 Multiple Choices listing v3) and /v3.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { baseUrl, sendJson } from '../http.js';

/** Keystone Zed's identity API version. */
function v3(req: FastifyRequest) {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${baseUrl(req)}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

export function discoveryRoutes(): RouteTable {
  const version = async (req: FastifyRequest, reply: FastifyReply) => sendJson(reply, 200, { version: v3(req) });
  return {
    '/': { GET: async (req, reply) => sendJson(reply, 300, { versions: { values: [v3(req)] } }) },
    '/v3': { GET: version },
    '/v3/': { GET: version },
  };
}
