// Request bodies of /v3/roles.
import { name, nullableId, description } from './types.js';

const roleOptions = {
  type: 'object',
  properties: { immutable: { type: ['boolean', 'null'] } },
  additionalProperties: false,
};

export const ROLE_CREATE = {
  type: 'object',
  properties: { name, domain_id: nullableId, description, options: roleOptions },
  required: ['name'],
  additionalProperties: true,
};

export const ROLE_UPDATE = {
  type: 'object',
  properties: { name, description, options: roleOptions },
  minProperties: 1,
  additionalProperties: true,
};
