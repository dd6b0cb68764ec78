// The bodies of the metadata APIs of servers and of images (Nova's server_metadata and
// image_metadata schemas are one): `{"metadata": {...}}` for a whole set, `{"meta": {key: value}}`
// for one item.
import { Type } from '@sinclair/typebox';
import { METADATA_KEY } from './parameter_types.js';

const items = (extra: object = {}) =>
  Type.Record(Type.String({ pattern: METADATA_KEY }), Type.String({ maxLength: 255 }), {
    additionalProperties: false,
    ...extra,
  });

export const metadataSchema = Type.Object({ metadata: items() }, { additionalProperties: false });
export const metaSchema = Type.Object(
  { meta: items({ minProperties: 1, maxProperties: 1 }) },
  { additionalProperties: false },
);
