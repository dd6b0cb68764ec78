// JSON schemas of GET /allocation_candidates query strings, per microversion.
import { GROUP_PAT, GROUP_PAT_1_33 } from './common.js';

const STR = { type: 'string' };
const LIMIT = { type: ['integer', 'string'], pattern: '^[1-9][0-9]*$', minimum: 1, minLength: 1 };

export const GET_1_10 = {
  type: 'object',
  properties: { resources: STR },
  required: ['resources'],
  additionalProperties: false,
};
export const GET_1_16 = { ...GET_1_10, properties: { ...GET_1_10.properties, limit: LIMIT } };
export const GET_1_17 = { ...GET_1_16, properties: { ...GET_1_16.properties, required: { type: ['string'] } } };
export const GET_1_21 = { ...GET_1_17, properties: { ...GET_1_17.properties, member_of: { type: ['string'] } } };

const groupKeys = (pat: string, kinds: string[]) => Object.fromEntries(kinds.map((k) => [`^${k}(${pat})?$`, STR]));

/** 1.25: granular groups (resources<N>, required<N>, member_of<N>) and group_policy. */
export const GET_1_25 = {
  type: 'object',
  properties: { limit: LIMIT, group_policy: { type: 'string', enum: ['none', 'isolate'] } },
  additionalProperties: false,
  patternProperties: groupKeys(GROUP_PAT, ['resources', 'required', 'member_of']),
};
export const GET_1_31 = {
  ...GET_1_25,
  patternProperties: groupKeys(GROUP_PAT, ['resources', 'required', 'member_of', 'in_tree']),
};
export const GET_1_33 = {
  ...GET_1_31,
  patternProperties: groupKeys(GROUP_PAT_1_33, ['resources', 'required', 'member_of', 'in_tree']),
};
export const GET_1_35 = { ...GET_1_33, properties: { ...GET_1_33.properties, root_required: { type: ['string'] } } };
export const GET_1_36 = { ...GET_1_35, properties: { ...GET_1_35.properties, same_subtree: { type: ['string'] } } };
