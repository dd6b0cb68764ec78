// Finding a service's endpoint in a token's catalog, as keystoneauth's endpoint_filter does: by
// service type, the first interface of a preference list that the service has, and the region.
export type Interface = 'public' | 'internal' | 'admin';

export interface CatalogEndpoint {
  id?: string;
  interface: string;
  region?: string | null;
  region_id?: string | null;
  url: string;
}

export interface CatalogService {
  id?: string;
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export interface EndpointFilter {
  serviceType: string;
  /** In order of preference (keystoneauth's valid_interfaces). */
  interfaces: readonly Interface[];
  /** Empty or absent: any region. */
  region?: string;
}

/** The catalog has no endpoint for what a client asked for. */
export class EndpointNotFound extends Error {
  override readonly name = 'EndpointNotFound';
  constructor(readonly filter: EndpointFilter) {
    super(
      `no ${filter.interfaces.join(' or ')} endpoint for service type ${filter.serviceType}` +
        `${filter.region ? ` in region ${filter.region}` : ''} in the catalog`,
    );
  }
}

/** The URL of the endpoint `filter` asks for, without a trailing slash. */
export function findEndpoint(catalog: readonly CatalogService[], filter: EndpointFilter): string {
  const inRegion = (e: CatalogEndpoint) => !filter.region || (e.region_id ?? e.region) === filter.region;
  const endpoints = catalog
    .filter((s) => s.type === filter.serviceType)
    .flatMap((s) => s.endpoints)
    .filter(inRegion);
  for (const iface of filter.interfaces) {
    const hit = endpoints.find((e) => e.interface === iface);
    if (hit) return hit.url.replace(/\/+$/, '');
  }
  throw new EndpointNotFound(filter);
}
