// Request bodies of /v3/domains and /v3/projects.
import { name, idString, nullableId, description, bool, tags, noOptions } from './types.js';

const domainName = { ...name, maxLength: 64 };

export const DOMAIN_CREATE = {
  type: 'object',
  properties: {
    name: domainName, description, enabled: bool, tags, options: noOptions, explicit_domain_id: idString,
  },
  required: ['name'],
  additionalProperties: true,
};

export const DOMAIN_UPDATE = {
  type: 'object',
  properties: { name: domainName, description, enabled: bool, tags, options: noOptions },
  minProperties: 1,
  additionalProperties: true,
};

const projectName = { ...name, maxLength: 64 };

export const PROJECT_CREATE = {
  type: 'object',
  properties: {
    name: projectName, description, domain_id: nullableId, parent_id: nullableId, enabled: bool,
    // Projects acting as domains are not supported: /v3/domains is the way to make a domain.
    is_domain: { type: 'boolean', enum: [false] }, tags, options: noOptions,
  },
  required: ['name'],
  additionalProperties: true,
};

export const PROJECT_UPDATE = {
  type: 'object',
  properties: { name: projectName, description, enabled: bool, tags, options: noOptions, domain_id: idString },
  minProperties: 1,
  additionalProperties: true,
};
