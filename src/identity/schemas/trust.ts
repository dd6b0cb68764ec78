// Request body of POST /v3/OS-TRUST/trusts (keystone/trust/schema.py).
import { idString, name, nullableId, bool } from './types.js';

const externalId = { type: 'string', minLength: 1, maxLength: 64 };

export const TRUST_CREATE = {
  type: 'object',
  properties: {
    trustor_user_id: externalId,
    trustee_user_id: externalId,
    impersonation: bool,
    project_id: nullableId,
    remaining_uses: { type: ['integer', 'null'], minimum: 1 },
    expires_at: { type: ['null', 'string'] },
    allow_redelegation: { type: ['boolean', 'null'] },
    redelegation_count: { type: ['integer', 'null'], minimum: 0 },
    roles: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: idString, name },
        minProperties: 1,
        maxProperties: 1,
        additionalProperties: false,
      },
    },
  },
  required: ['trustor_user_id', 'trustee_user_id', 'impersonation'],
  additionalProperties: true,
};
