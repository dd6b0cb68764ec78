// Version discovery, as Glance's versions controller answers it without image cache or multiple
// stores configured: GET / is 300 Multiple Choices, GET /versions is 200; both list v2.15 as
// CURRENT and the older v2 versions that configuration supports. Every href is the v2 root.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Image } from '../context.js';
import { applicationUrl, sendJson } from '../http.js';

const VERSIONS: [string, string][] = [
  ['2.15', 'CURRENT'],
  ['2.9', 'SUPPORTED'],
  ['2.7', 'SUPPORTED'],
  ['2.6', 'SUPPORTED'],
  ['2.5', 'SUPPORTED'],
  ['2.4', 'SUPPORTED'],
  ['2.3', 'SUPPORTED'],
  ['2.2', 'SUPPORTED'],
  ['2.1', 'SUPPORTED'],
  ['2.0', 'SUPPORTED'],
];

/** As Glance's public_endpoint: behind a proxy, [DEFAULT] public_endpoint is what clients reach. */
function versions(image: Image, req: FastifyRequest) {
  const base = image.config.publicEndpoint
    ? `${image.config.publicEndpoint.replace(/\/+$/, '')}${req.scriptName}`
    : applicationUrl(req);
  const href = `${base}/v2/`;
  return { versions: VERSIONS.map(([id, status]) => ({ id: `v${id}`, status, links: [{ rel: 'self', href }] })) };
}

export const PUBLIC_PATHS = new Set(['/', '/versions']);

export function versionRoutes(image: Image): RouteTable {
  return {
    '/': { GET: async (req, reply) => sendJson(reply, 300, versions(image, req)) },
    '/versions': { GET: async (req, reply) => sendJson(reply, 200, versions(image, req)) },
  };
}
