// JSON schemas of GET /usages query strings.
import { CONSUMER_TYPE_GET_PATTERN } from './common.js';

const ID = { type: 'string', minLength: 1, maxLength: 255 };
export const GET_USAGES_1_9 = {
  type: 'object',
  properties: { project_id: ID, user_id: ID },
  required: ['project_id'],
  additionalProperties: false,
};
export const GET_USAGES_1_38 = {
  type: 'object',
  properties: {
    project_id: ID,
    user_id: ID,
    consumer_type: { type: 'string', pattern: CONSUMER_TYPE_GET_PATTERN, minLength: 1, maxLength: 255 },
  },
  required: ['project_id'],
  additionalProperties: false,
};
