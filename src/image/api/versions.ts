// Version discovery, as Glance's versions controller answers it without image cache or multiple
// stores configured: GET / is 300 Multiple Choices, GET /versions is 200; both list v2.15 as
// CURRENT and the older v2 versions that configuration supports. Every href is the v2 root.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import { applicationUrl, sendJson } from '../http.js';

const VERSIONS: [string, string][] = [
  ['2.15', 'CURRENT'], ['2.9', 'SUPPORTED'], ['2.7', 'SUPPORTED'], ['2.6', 'SUPPORTED'], ['2.5', 'SUPPORTED'],
  ['2.4', 'SUPPORTED'], ['2.3', 'SUPPORTED'], ['2.2', 'SUPPORTED'], ['2.1', 'SUPPORTED'], ['2.0', 'SUPPORTED'],
];

function versions(req: FastifyRequest) {
  const href = `${applicationUrl(req)}/v2/`;
  return { versions: VERSIONS.map(([id, status]) => ({ id: `v${id}`, status, links: [{ rel: 'self', href }] })) };
}

export const PUBLIC_PATHS = new Set(['/', '/versions']);

export function versionRoutes(): RouteTable {
  return {
    '/': { GET: async (req, reply) => sendJson(reply, 300, versions(req)) },
    '/versions': { GET: async (req, reply) => sendJson(reply, 200, versions(req)) },
  };
}
