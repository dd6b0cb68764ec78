// JSON schemas of /resource_providers, per microversion.
const NAME = { type: 'string', maxLength: 200 };
const UUID = { type: 'string', format: 'uuid' };
const PARENT = { anyOf: [{ type: 'string', format: 'uuid' }, { type: 'null' }] };

export const POST_RP = {
  type: 'object',
  properties: { name: NAME, uuid: UUID },
  required: ['name'],
  additionalProperties: false,
};
export const PUT_RP = {
  type: 'object',
  properties: { name: NAME },
  required: ['name'],
  additionalProperties: false,
};
export const POST_RP_1_14 = {
  type: 'object',
  properties: { name: NAME, uuid: UUID, parent_provider_uuid: PARENT },
  required: ['name'],
  additionalProperties: false,
};
export const PUT_RP_1_14 = {
  type: 'object',
  properties: { name: NAME, parent_provider_uuid: PARENT },
  required: ['name'],
  additionalProperties: false,
};

const LIST_1_0 = { name: { type: 'string' }, uuid: UUID };
const LIST_1_3 = { ...LIST_1_0, member_of: { type: 'string' } };
const LIST_1_4 = { ...LIST_1_3, resources: { type: 'string' } };
const LIST_1_14 = { ...LIST_1_4, in_tree: UUID };
const LIST_1_18 = { ...LIST_1_14, required: { type: 'string' } };
const listSchema = (properties: object) => ({ type: 'object', properties, additionalProperties: false });
export const GET_RPS_1_0 = listSchema(LIST_1_0);
export const GET_RPS_1_3 = listSchema(LIST_1_3);
export const GET_RPS_1_4 = listSchema(LIST_1_4);
export const GET_RPS_1_14 = listSchema(LIST_1_14);
export const GET_RPS_1_18 = listSchema(LIST_1_18);
