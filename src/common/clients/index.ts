// Typed REST clients of concord's services, for the services themselves (Nova → Placement,
// Image, Identity; later Ironic and Neutron): a service user's Session (session.ts) over a
// Transport (HTTP, or inject() inside `concord up`), one Adapter per service called.
import type { Config } from '../config.js';
import { adapterOptionsFromConfig } from './config.js';
import { IdentityClient } from './identity.js';
import { ImageClient } from './image.js';
import { PlacementClient } from './placement/index.js';
import type { Session } from './session.js';

export interface ServiceClients {
  placement: PlacementClient;
  image: ImageClient;
  identity: IdentityClient;
}

/** The clients of every service, found and tried as `config`'s sections say. */
export function serviceClients(session: Session, config: Config): ServiceClients {
  return {
    placement: new PlacementClient(session, adapterOptionsFromConfig(config, 'placement')),
    image: new ImageClient(session, adapterOptionsFromConfig(config, 'image')),
    identity: new IdentityClient(session, adapterOptionsFromConfig(config, 'identity')),
  };
}

export {
  Session,
  type ServiceCredentials,
  type SessionOptions,
  type ClientResponse,
  type RetryOptions,
} from './session.js';
export { Adapter, type AdapterOptions, type CallOptions } from './adapter.js';
export { asService, onBehalfOf, type Call, type RequestIds } from './call.js';
export { findEndpoint, EndpointNotFound, type CatalogService, type EndpointFilter, type Interface } from './catalog.js';
export { ClientError, parseErrorBody, type ErrorBody } from './errors.js';
export {
  ConnectFailure,
  defaultHttpTransport,
  httpTransport,
  injectTransport,
  type Transport,
  type TransportRequest,
  type TransportResponse,
} from './transport.js';
export { credentialsFromConfig, adapterOptionsFromConfig } from './config.js';
export { PlacementClient, PLACEMENT_MICROVERSION, type ResourceProvider } from './placement/index.js';
export { ImageClient, type Image, type NewImage, type ImageData } from './image.js';
export { IdentityClient, type Project } from './identity.js';
