// The Placement service: its route table, error format and microversions, as one Fastify plugin.
import { servicePlugin, type RouteTable } from '../common/http/app.js';
import type { Authenticator } from '../common/http/auth.js';
import { HttpError } from '../common/http/errors.js';
import { installCors, type CorsConfig } from '../common/http/cors.js';
import { formatPlacementError, mapPlacementError } from './errors.js';
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

/** Placement's CORS defaults (upstream's wsgi._set_middleware_defaults); [cors] allow_headers
 * replaces the header list when set. */
function corsConfig(p: Placement): CorsConfig {
  return {
    allowedOrigins: p.config.corsAllowedOrigin,
    allowHeaders: p.config.corsAllowHeaders.length
      ? p.config.corsAllowHeaders
      : [
          'X-Auth-Token',
          'X-Openstack-Request-Id',
          'X-Identity-Status',
          'X-Roles',
          'X-Service-Catalog',
          'X-User-Id',
          'X-Tenant-Id',
          'OpenStack-API-Version',
        ],
    exposeHeaders: [
      'X-Auth-Token',
      'X-Openstack-Request-Id',
      'X-Subject-Token',
      'X-Service-Token',
      'OpenStack-API-Version',
    ],
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
    mapError: mapPlacementError,
    beforeHandler: (req) => {
      const clen = Number(req.headers['content-length'] ?? 0);
      if (clen > 0 && !req.headers['content-type']) {
        throw new HttpError(400, 'content-type header required when content-length > 0');
      }
    },
    routes: placementRoutes(p),
  });
}
