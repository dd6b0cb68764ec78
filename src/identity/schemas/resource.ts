// Request bodies of /v3/domains and /v3/projects.
import { name, idString, nullableId, description, bool, tags, noOptions } from './types.js';

const domainName = { ...name, maxLength: 64 };

export const DOMAIN_CREATE = {
  type: 'object',
  properties: {
    name: domainName,
    description,
    enabled: bool,
    tags,
    options: noOptions,
    explicit_domain_id: idString,
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
    name: projectName,
    description,
    domain_id: nullableId,
    parent_id: nullableId,
    enabled: bool,
    is_domain: bool,
    tags,
    options: noOptions,
  },
  required: ['name'],
  additionalProperties: true,
};

export const PROJECT_UPDATE = {
  type: 'object',
  properties: {
    name: projectName,
    description,
    enabled: bool,
    tags,
    options: noOptions,
    domain_id: nullableId,
    parent_id: nullableId,
    is_domain: bool,
  },
  minProperties: 1,
  additionalProperties: true,
};
