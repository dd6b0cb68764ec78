// JSON schemas of provider aggregates: a bare list before 1.19, then with the generation.
const LIST = { type: 'array', items: { type: 'string', format: 'uuid' }, uniqueItems: true };
export const PUT_AGGREGATES_1_1 = LIST;
export const PUT_AGGREGATES_1_19 = {
  type: 'object',
  properties: { aggregates: LIST, resource_provider_generation: { type: 'integer' } },
  required: ['aggregates', 'resource_provider_generation'],
  additionalProperties: false,
};
