// The image member JSON schema Glance serves at /v2/schemas/member(s).
import { collectionSchema } from './image.js';

export const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'];

export const MEMBER_SCHEMA = {
  name: 'member',
  properties: {
    member_id: { type: 'string', description: 'An identifier for the image member (tenantId)' },
    image_id: {
      type: 'string',
      description: 'An identifier for the image',
      pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
    },
    created_at: { type: 'string', description: 'Date and time of image member creation' },
    updated_at: { type: 'string', description: 'Date and time of last modification of image member' },
    status: { type: 'string', description: 'The status of this image member', enum: MEMBER_STATUSES },
    schema: { readOnly: true, type: 'string' },
  },
  additionalProperties: false,
};

export const MEMBERS_SCHEMA = collectionSchema('members', MEMBER_SCHEMA);
