// JSON schemas of allocation writes, per microversion.
import { CONSUMER_TYPE_PATTERN, GROUP_PAT_1_33, RC_PATTERN } from './common.js';

/** Upstream's UUID_PATTERN for keys of allocation dicts (looser than the uuid format). */
export const UUID_PATTERN = '^[0-9a-fA-F-]{36}$';

const RESOURCES = {
  type: 'object',
  minProperties: 1,
  patternProperties: { [RC_PATTERN]: { type: 'integer', minimum: 1 } },
  additionalProperties: false,
};
const ID = { type: 'string', minLength: 1, maxLength: 255 };
const GENERATION = { type: ['integer', 'null'], additionalProperties: false };

/** 1.0–1.7: a list of {resource_provider: {uuid}, resources}. */
export const ALLOCATION_1_0 = {
  type: 'object',
  properties: {
    allocations: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          resource_provider: {
            type: 'object',
            properties: { uuid: { type: 'string', format: 'uuid' } },
            additionalProperties: false,
            required: ['uuid'],
          },
          resources: RESOURCES,
        },
        required: ['resource_provider', 'resources'],
        additionalProperties: false,
      },
    },
  },
  required: ['allocations'],
  additionalProperties: false,
};

/** 1.8–1.11: the same with project_id and user_id. */
export const ALLOCATION_1_8 = {
  ...ALLOCATION_1_0,
  properties: { ...ALLOCATION_1_0.properties, project_id: ID, user_id: ID },
  required: ['allocations', 'project_id', 'user_id'],
};

const allocationsDict = (minProperties: number) => ({
  type: 'object',
  minProperties,
  patternProperties: {
    [UUID_PATTERN]: {
      type: 'object',
      properties: { generation: { type: 'integer' }, resources: RESOURCES },
      required: ['resources'],
      additionalProperties: false,
    },
  },
  additionalProperties: false,
});

/** 1.12–1.27: a dict keyed by provider UUID. */
export const ALLOCATION_1_12 = {
  type: 'object',
  properties: { allocations: allocationsDict(1), project_id: ID, user_id: ID },
  additionalProperties: false,
  required: ['allocations', 'project_id', 'user_id'],
};

/** The same, allowing an empty dict (remove the consumer's allocations): POST /allocations. */
const DELETABLE = {
  ...ALLOCATION_1_12,
  properties: { ...ALLOCATION_1_12.properties, allocations: allocationsDict(0) },
};

/** 1.28–1.33: with the consumer generation. */
export const ALLOCATION_1_28 = {
  ...DELETABLE,
  properties: { ...DELETABLE.properties, consumer_generation: GENERATION },
  required: [...DELETABLE.required, 'consumer_generation'],
};

const MAPPINGS = {
  type: 'object',
  minProperties: 1,
  patternProperties: { [GROUP_PAT_1_33]: { type: 'array', minItems: 1, items: { type: 'string', format: 'uuid' } } },
};

/** 1.34–1.37: with mappings (accepted, not stored). */
export const ALLOCATION_1_34 = {
  ...ALLOCATION_1_28,
  properties: { ...ALLOCATION_1_28.properties, mappings: MAPPINGS },
};

/** 1.38: with the consumer type. */
export const ALLOCATION_1_38 = {
  ...ALLOCATION_1_34,
  properties: {
    ...ALLOCATION_1_34.properties,
    consumer_type: { type: 'string', pattern: CONSUMER_TYPE_PATTERN, minLength: 1, maxLength: 255 },
  },
  required: [...ALLOCATION_1_34.required, 'consumer_type'],
};

const postAllocations = (perConsumer: object) => ({
  type: 'object',
  minProperties: 1,
  additionalProperties: false,
  patternProperties: { [UUID_PATTERN]: perConsumer },
});

export const POST_ALLOCATIONS_1_13 = postAllocations(DELETABLE);
export const POST_ALLOCATIONS_1_28 = postAllocations(ALLOCATION_1_28);
export const POST_ALLOCATIONS_1_34 = postAllocations(ALLOCATION_1_34);
export const POST_ALLOCATIONS_1_38 = postAllocations(ALLOCATION_1_38);
