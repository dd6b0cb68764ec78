// The image service: its route table, Glance's error format, CORS defaults and the raw upload
// body, as one Fastify plugin.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { servicePlugin, type RouteTable } from '../common/http/app.js';
import type { Authenticator } from '../common/http/auth.js';
import { HttpError } from '../common/http/errors.js';
import { installCors, type CorsConfig } from '../common/http/cors.js';
import { decodeBody } from '../common/http/input_guard.js';
import type { Image } from './context.js';
import { formatGlanceError, mapImageError } from './errors.js';
import { PUBLIC_PATHS, versionRoutes } from './api/versions.js';
import { schemaRoutes } from './api/schemas.js';
import { imageRoutes } from './api/images.js';
import { imageDataRoutes, isUpload } from './api/image_data.js';
import { imageImportRoutes } from './api/image_import.js';
import { imageTagRoutes } from './api/image_tags.js';
import { imageMemberRoutes } from './api/image_members.js';
import { imageActionRoutes } from './api/image_actions.js';
import { storeRoutes } from './api/stores.js';
import { metadefNamespaceRoutes } from './api/metadef_namespaces.js';
import { metadefObjectRoutes } from './api/metadef_objects.js';
import { metadefPropertyRoutes } from './api/metadef_properties.js';
import { metadefTagRoutes } from './api/metadef_tags.js';
import { metadefResourceTypeRoutes } from './api/metadef_resource_types.js';

/** Every route of the API: path → method → handler (Glance's v2 router). */
export function imageServiceRoutes(image: Image): RouteTable {
  return {
    ...versionRoutes(image),
    ...schemaRoutes(),
    ...imageRoutes(image),
    ...imageDataRoutes(image),
    ...imageImportRoutes(image),
    ...imageTagRoutes(image),
    ...imageMemberRoutes(image),
    ...imageActionRoutes(image),
    ...storeRoutes(image),
    ...metadefNamespaceRoutes(image),
    ...metadefObjectRoutes(image),
    ...metadefPropertyRoutes(image),
    ...metadefTagRoutes(image),
    ...metadefResourceTypeRoutes(image),
  };
}

/** Reads a body as text, up to `limit` bytes (413 beyond, as Fastify's own reader does). */
function readText(payload: Readable, limit: number, done: (err: Error | null, body?: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (err: Error | null, body?: string) => {
    if (finished) return;
    finished = true;
    payload.removeAllListeners('data');
    done(err, body);
  };
  payload.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) finish(new HttpError(413, 'Request is too large.'));
    else chunks.push(chunk);
  });
  payload.once('end', () => {
    try {
      finish(null, decodeBody(Buffer.concat(chunks)));
    } catch (e) {
      finish(e as Error);
    }
  });
  payload.once('error', (e) => finish(e));
}

/** Glance's CORS defaults (glance.common.config.set_config_defaults); [cors] allow_headers replaces
 * the header list when set. */
function corsConfig(image: Image): CorsConfig {
  return {
    allowedOrigins: image.config.corsAllowedOrigin,
    allowHeaders: image.config.corsAllowHeaders.length
      ? image.config.corsAllowHeaders
      : [
          'Content-MD5',
          'X-Image-Meta-Checksum',
          'X-Storage-Token',
          'Accept-Encoding',
          'X-Auth-Token',
          'X-Identity-Status',
          'X-Roles',
          'X-Service-Catalog',
          'X-User-Id',
          'X-Tenant-Id',
          'X-OpenStack-Request-ID',
        ],
    exposeHeaders: [
      'X-Image-Meta-Checksum',
      'X-Auth-Token',
      'X-Subject-Token',
      'X-Service-Token',
      'X-OpenStack-Request-ID',
    ],
    allowMethods: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'],
    allowCredentials: true,
  };
}

function setup(image: Image, app: FastifyInstance): void {
  installCors(app, corsConfig(image));
  // Image data is streamed by its handler to the store, however large; octet-stream bodies sent
  // anywhere else are read like any other (Glance parses them as JSON).
  app.addContentTypeParser('application/octet-stream', (req: FastifyRequest, payload, done) => {
    if (isUpload(req)) done(null, payload);
    else readText(payload, app.initialConfig.bodyLimit ?? 1048576, done);
  });
}

export function imagePlugin(image: Image, authenticate: Authenticator) {
  return servicePlugin({
    name: 'image',
    publicPaths: (path, method) => method === 'GET' && PUBLIC_PATHS.has(path),
    authenticate,
    formatError: formatGlanceError,
    mapError: mapImageError,
    setup: (app) => setup(image, app),
    routes: imageServiceRoutes(image),
  });
}
