// Request schemas of /flavors/{id}/os-extra_specs (nova/api/openstack/compute/schemas/flavors_extraspecs.py).
import { Type } from '@sinclair/typebox';
import { anyOf, metadata, METADATA_KEY } from './parameter_types.js';

/** Extra spec values: strings of up to 255 characters, or numbers (stored as their text). */
const value = anyOf<string | number>(['string', 'number'], { maxLength: 255 });
const specs = metadata(value);

export const create = Type.Object({ extra_specs: specs }, { additionalProperties: false });

/** PUT .../os-extra_specs/{key}: exactly the one spec the URL names. */
export const update = Type.Record(Type.String({ pattern: METADATA_KEY }), value, {
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
});
