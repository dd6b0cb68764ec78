// JSON schemas of traits.
import { CUSTOM_TRAIT_PATTERN } from './common.js';

export const TRAIT = { type: 'string', minLength: 1, maxLength: 255 };
export const CUSTOM_TRAIT = { ...TRAIT, pattern: CUSTOM_TRAIT_PATTERN };
export const SET_TRAITS_FOR_RP = {
  type: 'object',
  properties: { traits: { type: 'array', items: TRAIT }, resource_provider_generation: { type: 'integer' } },
  required: ['traits', 'resource_provider_generation'],
  additionalProperties: false,
};
export const LIST_TRAITS = {
  type: 'object',
  properties: { name: { type: 'string' }, associated: { type: 'string' } },
  additionalProperties: false,
};
