// JSON schema of POST /reshaper: inventories by provider (each as PUT .../inventories) and
// allocations by consumer (as POST /allocations, possibly empty).
import { POST_ALLOCATIONS_1_28, POST_ALLOCATIONS_1_34, POST_ALLOCATIONS_1_38, UUID_PATTERN } from './allocation.js';
import { PUT_INVENTORIES } from './inventory.js';

const reshaper = (allocations: object) => ({
  type: 'object',
  properties: {
    inventories: {
      type: 'object',
      patternProperties: { [UUID_PATTERN]: PUT_INVENTORIES },
      minProperties: 1,
      additionalProperties: false,
    },
    allocations: { ...allocations, minProperties: 0 },
  },
  required: ['inventories', 'allocations'],
  additionalProperties: false,
});

export const POST_RESHAPER = reshaper(POST_ALLOCATIONS_1_28);
export const POST_RESHAPER_1_34 = reshaper(POST_ALLOCATIONS_1_34);
export const POST_RESHAPER_1_38 = reshaper(POST_ALLOCATIONS_1_38);
