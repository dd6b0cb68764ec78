// Request bodies of /v3/users and /v3/groups.
import { name, idString, nullableId, description, bool, password } from './types.js';

const userOptions = {
  type: 'object',
  properties: {
    ignore_change_password_upon_first_use: { type: ['boolean', 'null'] },
    ignore_password_expiry: { type: ['boolean', 'null'] },
    ignore_lockout_failure_attempts: { type: ['boolean', 'null'] },
    ignore_user_inactivity: { type: ['boolean', 'null'] },
    lock_password: { type: ['boolean', 'null'] },
  },
  additionalProperties: false,
};

export const USER_CREATE = {
  type: 'object',
  properties: {
    name,
    domain_id: idString,
    default_project_id: nullableId,
    description,
    enabled: bool,
    password,
    options: userOptions,
  },
  required: ['name'],
  additionalProperties: true,
};

export const USER_UPDATE = {
  type: 'object',
  properties: {
    name,
    domain_id: idString,
    default_project_id: nullableId,
    description,
    enabled: bool,
    password,
    options: userOptions,
  },
  minProperties: 1,
  additionalProperties: true,
};

export const PASSWORD_CHANGE = {
  type: 'object',
  properties: { password: { type: 'string', maxLength: 4096 }, original_password: { type: 'string' } },
  required: ['password', 'original_password'],
  additionalProperties: false,
};

const groupName = { ...name, maxLength: 64 };

export const GROUP_CREATE = {
  type: 'object',
  properties: { name: groupName, domain_id: idString, description },
  required: ['name'],
  additionalProperties: true,
};

export const GROUP_UPDATE = {
  type: 'object',
  properties: { name: groupName, domain_id: idString, description },
  minProperties: 1,
  additionalProperties: true,
};
