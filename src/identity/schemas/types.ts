// Keystone's parameter types (keystone/common/validation/parameter_types.py), as JSON schemas.
export const name = { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S' };
export const idString = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' };
export const nullableId = { type: ['string', 'null'], minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' };
export const description = { type: ['string', 'null'] };
export const bool = { type: 'boolean' };
export const tags = {
  type: 'array',
  maxItems: 80,
  uniqueItems: true,
  items: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^,/]*$' },
};
export const password = { type: ['string', 'null'], maxLength: 4096 };
export const url = { type: 'string', minLength: 1, maxLength: 225, pattern: '^[a-zA-Z][a-zA-Z0-9+.-]*://' };
export const noOptions = { type: 'object', maxProperties: 0 };
