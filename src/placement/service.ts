// The Placement service: its route table, error format and microversions, as one Fastify plugin.
import { servicePlugin, type RouteTable } from '../common/http/app.js';
import type { ErrorRequest } from '../common/http/error_formats.js';
import type { Authenticator } from '../common/http/auth.js';
import { HttpError } from '../common/http/errors.js';
import { installCors, type CorsConfig } from '../common/http/cors.js';
import { isWriteConflict } from '../common/db/index.js';
import { ConcurrentUpdateDetected, NotFound } from './exceptions.js';
import { escapeHtml } from '../common/http/html.js';
import * as codes from './errors.js';
import { PLACEMENT_MICROVERSIONS } from './microversions.js';
import type { Placement } from './context.js';
import { rootRoutes } from './api/root.js';
import { resourceClassRoutes } from './api/resource_classes.js';
import { resourceProviderRoutes } from './api/resource_providers.js';
import { inventoryRoutes } from './api/inventories.js';
import { aggregateRoutes } from './api/aggregates.js';
import { traitRoutes } from './api/traits.js';
import { allocationRoutes } from './api/allocations.js';
import { usageRoutes } from './api/usages.js';
import { reshaperRoutes } from './api/reshaper.js';
import { allocationCandidateRoutes } from './api/allocation_candidates.js';

/** Every route of the API: path → method → handler (upstream's ROUTE_DECLARATIONS). */
export function placementRoutes(p: Placement): RouteTable {
  return {
    ...rootRoutes(p),
    ...resourceClassRoutes(p),
    ...resourceProviderRoutes(p),
    ...inventoryRoutes(p),
    ...aggregateRoutes(p),
    ...traitRoutes(p),
    ...allocationRoutes(p),
    ...usageRoutes(p),
    ...reshaperRoutes(p),
    ...allocationCandidateRoutes(p),
  };
}

/** Placement's error body: {"errors": [{status, title, detail, code, request_id}]} (API-WG). */
export function formatPlacementError(err: HttpError, req: ErrorRequest) {
  const accept = req.headers.accept ?? '';
  if (/text\/html/.test(accept) && !/application\/json|\*\/\*/.test(accept)) {
    return {
      contentType: 'text/html; charset=UTF-8',
      body: `<html><head><title>${err.status} ${escapeHtml(err.title)}</title></head><body>` +
        `<h1>${err.status} ${escapeHtml(err.title)}</h1>${escapeHtml(err.detail)}</body></html>`,
    };
  }
  const e: Record<string, unknown> = { status: err.status, title: err.title, detail: err.detail };
  if (req.version?.gte('1.23')) e.code = err.code ?? codes.DEFAULT;
  e.request_id = req.requestId;
  if (err.status === 406 && /version/i.test(err.message)) {
    e.max_version = PLACEMENT_MICROVERSIONS.max.toString();
    e.min_version = PLACEMENT_MICROVERSIONS.min.toString();
  }
  return { contentType: 'application/json', body: JSON.stringify({ errors: [e] }) };
}

/** Placement's CORS defaults (upstream's wsgi._set_middleware_defaults); [cors] allow_headers
 * replaces the header list when set. */
function corsConfig(p: Placement): CorsConfig {
  return {
    allowedOrigins: p.config.corsAllowedOrigin,
    allowHeaders: p.config.corsAllowHeaders.length ? p.config.corsAllowHeaders : ['X-Auth-Token',
      'X-Openstack-Request-Id', 'X-Identity-Status', 'X-Roles', 'X-Service-Catalog', 'X-User-Id', 'X-Tenant-Id',
      'OpenStack-API-Version'],
    exposeHeaders: ['X-Auth-Token', 'X-Openstack-Request-Id', 'X-Subject-Token', 'X-Service-Token', 'OpenStack-API-Version'],
    allowMethods: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'],
    allowCredentials: true,
  };
}

export function placementPlugin(p: Placement, authenticate: Authenticator) {
  return servicePlugin({
    setup: (app) => installCors(app, corsConfig(p)),
    name: 'placement',
    microversions: PLACEMENT_MICROVERSIONS,
    publicPaths: (path) => path === '/',
    authenticate,
    formatError: formatPlacementError,
    mapError: (err) => {
      // Upstream's PlacementHandler turns any NotFound that escapes a handler into a 404.
      if (err instanceof NotFound) return new HttpError(404, err.message);
      // A write that lost to a concurrent one (see isWriteConflict), in Placement's words.
      if (err instanceof ConcurrentUpdateDetected || isWriteConflict(err)) {
        const message = (err instanceof ConcurrentUpdateDetected ? err : new ConcurrentUpdateDetected()).message;
        return new HttpError(409, message, codes.CONCURRENT_UPDATE);
      }
      return undefined;
    },
    beforeHandler: (req) => {
      const clen = Number(req.headers['content-length'] ?? 0);
      if (clen > 0 && !req.headers['content-type']) {
        throw new HttpError(400, 'content-type header required when content-length > 0');
      }
    },
    routes: placementRoutes(p),
  });
}
