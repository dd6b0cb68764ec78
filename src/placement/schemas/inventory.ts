// JSON schemas of provider inventories.
import { MAX_INT, RC_PATTERN, SQL_SP_FLOAT_MAX } from './common.js';

const int = (minimum: number) => ({ type: 'integer', maximum: MAX_INT, minimum });
const FIELDS = {
  total: int(1),
  reserved: int(0),
  min_unit: int(1),
  max_unit: int(1),
  step_size: int(1),
  allocation_ratio: { type: 'number', maximum: SQL_SP_FLOAT_MAX },
};

/** PUT /resource_providers/{uuid}/inventories/{rc}. */
export const BASE_INVENTORY = {
  type: 'object',
  properties: { resource_provider_generation: { type: 'integer' }, ...FIELDS },
  required: ['total', 'resource_provider_generation'],
  additionalProperties: false,
};

/** POST /resource_providers/{uuid}/inventories. */
export const POST_INVENTORY = {
  type: 'object',
  properties: { ...BASE_INVENTORY.properties, resource_class: { type: 'string', pattern: RC_PATTERN } },
  required: ['total', 'resource_class'],
  additionalProperties: false,
};

/** PUT /resource_providers/{uuid}/inventories. */
export const PUT_INVENTORIES = {
  type: 'object',
  properties: {
    resource_provider_generation: { type: 'integer' },
    inventories: {
      type: 'object',
      patternProperties: {
        [RC_PATTERN]: { ...BASE_INVENTORY, required: ['total'] },
      },
    },
  },
  required: ['resource_provider_generation', 'inventories'],
  additionalProperties: false,
};
