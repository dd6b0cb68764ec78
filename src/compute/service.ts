// The compute service (Nova v2.1): its route table, Nova's error format, microversions answered in
// both of Nova's headers, CORS defaults, as one Fastify plugin. Mounted where DevStack mounts
// nova-api (/compute in `concord up`, / in `concord serve compute`): the versions at the root, the
// API under /v2.1, which is what the catalog names.
import type { FastifyInstance } from 'fastify';
import { servicePlugin, type RouteTable } from '../common/http/app.js';
import type { Authenticator } from '../common/http/auth.js';
import { installCors, type CorsConfig } from '../common/http/cors.js';
import type { Compute } from './context.js';
import { formatNovaError, mapComputeError } from './errors.js';
import { API_ROOT } from './http.js';
import { COMPUTE_MICROVERSIONS } from './microversions.js';
import { PUBLIC_PATHS, versionRoutes } from './api/versions.js';
import { aggregateRoutes } from './api/aggregates.js';
import { availabilityZoneRoutes } from './api/availability_zones.js';
import { flavorRoutes } from './api/flavors.js';
import { flavorExtraSpecRoutes } from './api/flavor_extra_specs.js';
import { flavorAccessRoutes } from './api/flavor_access.js';
import { keypairRoutes } from './api/keypairs.js';
import { limitRoutes } from './api/limits.js';
import { quotaClassRoutes } from './api/quota_classes.js';
import { quotaSetRoutes } from './api/quota_sets.js';
import { tenantUsageRoutes } from './api/tenant_usage.js';
import { serviceRoutes } from './api/services.js';
import { hypervisorRoutes } from './api/hypervisors.js';
import { hostRoutes } from './api/hosts.js';
import { instanceUsageAuditLogRoutes } from './api/instance_usage_audit_log.js';
import { serverRoutes } from './api/servers.js';
import { serverActionRoutes } from './api/server_actions.js';
import { instanceActionRoutes } from './api/instance_actions.js';
import { serverGroupRoutes } from './api/server_groups.js';
import { migrationRoutes } from './api/migrations.js';
import { serverMigrationRoutes } from './api/server_migrations.js';
import { serverTagRoutes } from './api/server_tags.js';
import { serverMetadataRoutes } from './api/server_metadata.js';
import { serverIpRoutes } from './api/server_ips.js';
import { serverDiagnosticsRoutes } from './api/server_diagnostics.js';
import { serverPasswordRoutes } from './api/server_password.js';
import { serverExternalEventRoutes } from './api/server_external_events.js';
import { imageRoutes } from './api/images.js';
import { imageMetadataRoutes } from './api/image_metadata.js';

const LEGACY_VERSION_HEADER = 'x-openstack-nova-api-version';
const COMPUTE_REQUEST_ID_HEADER = 'x-compute-request-id';

/** The routes of the v2.1 API, relative to its root. */
function apiRoutes(compute: Compute): RouteTable {
  return {
    ...flavorRoutes(compute),
    ...flavorExtraSpecRoutes(compute),
    ...flavorAccessRoutes(compute),
    ...keypairRoutes(compute),
    ...limitRoutes(compute),
    ...quotaSetRoutes(compute),
    ...quotaClassRoutes(compute),
    ...availabilityZoneRoutes(compute),
    ...aggregateRoutes(compute),
    ...tenantUsageRoutes(compute),
    ...serviceRoutes(compute),
    ...hypervisorRoutes(compute),
    ...hostRoutes(compute),
    ...instanceUsageAuditLogRoutes(compute),
    ...serverRoutes(compute),
    ...serverActionRoutes(compute),
    ...instanceActionRoutes(compute),
    ...serverGroupRoutes(compute),
    ...migrationRoutes(compute),
    ...serverMigrationRoutes(compute),
    ...serverTagRoutes(compute),
    ...serverMetadataRoutes(compute),
    ...serverIpRoutes(compute),
    ...serverDiagnosticsRoutes(compute),
    ...serverPasswordRoutes(compute),
    ...serverExternalEventRoutes(compute),
    ...imageRoutes(compute),
    ...imageMetadataRoutes(compute),
  };
}

/** Every route: the version documents, and the API under /v2.1. */
export function computeRoutes(compute: Compute): RouteTable {
  const api = Object.entries(apiRoutes(compute)).map(([path, methods]) => [`${API_ROOT}${path}`, methods]);
  return { ...versionRoutes(compute), ...(Object.fromEntries(api) as RouteTable) };
}

/** Nova's CORS defaults (nova.middleware.set_defaults); [cors] allow_headers replaces the list. */
function corsConfig(compute: Compute): CorsConfig {
  const headers = [
    'X-Auth-Token',
    'X-Openstack-Request-Id',
    'X-Identity-Status',
    'X-Roles',
    'X-Service-Catalog',
    'X-User-Id',
    'X-Tenant-Id',
    'X-OpenStack-Nova-API-Version',
    'OpenStack-API-Version',
  ];
  return {
    allowedOrigins: compute.config.corsAllowedOrigin,
    allowHeaders: compute.config.corsAllowHeaders.length ? compute.config.corsAllowHeaders : headers,
    exposeHeaders: [
      'X-Auth-Token',
      'X-Openstack-Request-Id',
      'X-Subject-Token',
      'X-Service-Token',
      'X-OpenStack-Nova-API-Version',
      'OpenStack-API-Version',
    ],
    allowMethods: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'],
    allowCredentials: true,
  };
}

function setup(compute: Compute, app: FastifyInstance): void {
  installCors(app, corsConfig(compute));
  // Nova's compute_req_id middleware: the request id in its own header too, which clients of the
  // compute API (tempest's instance action checks among them) read.
  app.addHook('onRequest', async (req, reply) => {
    reply.header(COMPUTE_REQUEST_ID_HEADER, req.requestId);
  });
  // The negotiated version in Nova's legacy header too (every answer of the versioned API, errors
  // included), and both headers in Vary.
  app.addHook('onSend', async (req, reply) => {
    if (!req.version || !reply.hasHeader('openstack-api-version')) return;
    reply.header(LEGACY_VERSION_HEADER, req.version.toString());
    reply.header('vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
  });
}

/** The caller with Nova's is_admin (what the context_is_admin rule says of it), which the legacy
 * `is_admin:True` defaults and the domain's admin-only views check. */
function withIsAdmin(compute: Compute, authenticate: Authenticator): Authenticator {
  return async (req) => {
    const ctx = await authenticate(req);
    const isAdmin = compute.policy.allowed(ctx, 'context_is_admin', {});
    return { ...ctx, policyValues: { ...ctx.policyValues, is_admin: isAdmin } };
  };
}

export function computePlugin(compute: Compute, authenticate: Authenticator) {
  return servicePlugin({
    name: 'compute',
    microversions: COMPUTE_MICROVERSIONS,
    publicPaths: (path, method) => method === 'GET' && PUBLIC_PATHS.has(path),
    authenticate: withIsAdmin(compute, authenticate),
    formatError: formatNovaError,
    mapError: mapComputeError,
    setup: (app) => setup(compute, app),
    routes: computeRoutes(compute),
  });
}
