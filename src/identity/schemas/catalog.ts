// Request bodies of /v3/services, /v3/endpoints, /v3/regions and /v3/OS-EP-FILTER/endpoint_groups.
import { idString, description, bool, url, name } from './types.js';

const serviceType = { type: 'string', minLength: 1, maxLength: 255 };
const serviceName = { type: 'string', maxLength: 255 };

export const SERVICE_CREATE = {
  type: 'object',
  properties: { type: serviceType, name: serviceName, description, enabled: bool },
  required: ['type'],
  additionalProperties: true,
};

export const SERVICE_UPDATE = {
  type: 'object',
  properties: { type: serviceType, name: serviceName, description, enabled: bool },
  minProperties: 1,
  additionalProperties: true,
};

const iface = { type: 'string', enum: ['public', 'internal', 'admin'] };
const regionRef = { type: ['string', 'null'], minLength: 1, maxLength: 255 };

export const ENDPOINT_CREATE = {
  type: 'object',
  properties: { service_id: idString, interface: iface, url, region_id: regionRef, region: regionRef, enabled: bool },
  required: ['service_id', 'interface', 'url'],
  additionalProperties: true,
};

export const ENDPOINT_UPDATE = {
  type: 'object',
  properties: { service_id: idString, interface: iface, url, region_id: regionRef, region: regionRef, enabled: bool },
  minProperties: 1,
  additionalProperties: true,
};

const regionId = { type: 'string', minLength: 1, maxLength: 255 };

export const REGION_CREATE = {
  type: 'object',
  properties: {
    id: regionId,
    description: { type: 'string', maxLength: 255 },
    parent_region_id: regionRef,
  },
  additionalProperties: true,
};

export const REGION_UPDATE = {
  type: 'object',
  properties: { description: { type: 'string', maxLength: 255 }, parent_region_id: regionRef },
  minProperties: 1,
  additionalProperties: true,
};

const endpointGroupProperties = { name, description, filters: { type: 'object' } };

export const ENDPOINT_GROUP_CREATE = {
  type: 'object',
  properties: endpointGroupProperties,
  required: ['name', 'filters'],
};

export const ENDPOINT_GROUP_UPDATE = {
  type: 'object',
  properties: endpointGroupProperties,
  minProperties: 1,
};
