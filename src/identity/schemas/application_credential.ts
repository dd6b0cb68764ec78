// Request body of POST /v3/users/{user_id}/application_credentials.
import { name, description, bool, idString } from './types.js';

const roleRef = {
  type: 'object',
  properties: { id: idString, name: { type: 'string', minLength: 1, maxLength: 255 }, domain_id: idString },
  minProperties: 1,
  additionalProperties: false,
};

/** Keystone's: a rule by id, or by service type, method and path (a pattern: `*` one segment,
 * `**` any number, `{name}` one segment). */
const accessRule = {
  type: 'object',
  properties: {
    id: idString,
    service: idString,
    method: { type: 'string', pattern: '^(POST|GET|HEAD|PATCH|PUT|DELETE)$' },
    path: { type: 'string', minLength: 0, maxLength: 225, pattern: '^\\/.*' },
  },
  additionalProperties: false,
};

export const APPLICATION_CREDENTIAL_CREATE = {
  type: 'object',
  properties: {
    name,
    description,
    secret: { type: ['string', 'null'], minLength: 1, maxLength: 4096 },
    expires_at: { type: ['string', 'null'] },
    roles: { type: 'array', items: roleRef },
    unrestricted: bool,
    access_rules: { type: 'array', items: accessRule },
  },
  required: ['name'],
  additionalProperties: false,
};
