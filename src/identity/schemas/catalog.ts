// Request bodies of /v3/services, /v3/endpoints and /v3/regions.
import { idString, description, bool, url } from './types.js';

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
    id: regionId, description: { type: 'string', maxLength: 255 }, parent_region_id: regionRef,
  },
  additionalProperties: true,
};

export const REGION_UPDATE = {
  type: 'object',
  properties: { description: { type: 'string', maxLength: 255 }, parent_region_id: regionRef },
  minProperties: 1,
  additionalProperties: true,
};
