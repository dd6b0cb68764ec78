// Request body of POST /v3/users/{user_id}/application_credentials.
import { name, description, bool, idString } from './types.js';

const roleRef = {
  type: 'object',
  properties: { id: idString, name: { type: 'string', minLength: 1, maxLength: 255 }, domain_id: idString },
  minProperties: 1,
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
  },
  required: ['name'],
  additionalProperties: false,
};
