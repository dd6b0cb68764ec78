import { CUSTOM_RC_PATTERN } from './common.js';

export const POST_RC_V1_2 = {
  type: 'object',
  properties: { name: { type: 'string', pattern: CUSTOM_RC_PATTERN, maxLength: 255 } },
  required: ['name'],
  additionalProperties: false,
};
export const PUT_RC_V1_2 = POST_RC_V1_2;
