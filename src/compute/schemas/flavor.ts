// Request schemas of /flavors (nova/api/openstack/compute/schemas/flavor_manage.py, flavors.py).
import { Type } from '@sinclair/typebox';
import { SORT_KEYS, type SortKey } from '../objects/flavor.js';
import {
  anyOf,
  boolean,
  DESCRIPTION_PATTERN,
  flavorParamNonNegative,
  flavorParamPositive,
  multiParams,
  name,
  nonNegativeInteger,
  querySchema,
} from './parameter_types.js';

const flavorFields = {
  name,
  // Given, or generated (null or absent); no leading or trailing space.
  id: Type.Optional(
    anyOf<string | number | null>(['string', 'number', 'null'], {
      minLength: 1,
      maxLength: 255,
      pattern: '^(?! )[a-zA-Z0-9. _-]+(?<! )$',
    }),
  ),
  ram: flavorParamPositive,
  vcpus: flavorParamPositive,
  disk: flavorParamNonNegative,
  'OS-FLV-EXT-DATA:ephemeral': Type.Optional(flavorParamNonNegative),
  swap: Type.Optional(flavorParamNonNegative),
  // A positive float, at most SQL's largest single-precision float.
  rxtx_factor: Type.Optional(
    anyOf<number | string>(['number', 'string'], {
      pattern: '^[0-9]+(\\.[0-9]+)?$',
      exclusiveMinimum: 0,
      maximum: 3.40282e38,
    }),
  ),
  'os-flavor-access:is_public': Type.Optional(boolean),
};

/** A flavor description (2.55): up to 64 KiB of printable text, or null. */
const description = anyOf<string | null>(['string', 'null'], {
  minLength: 0,
  maxLength: 65535,
  pattern: DESCRIPTION_PATTERN,
});

export const create = Type.Object(
  {
    flavor: Type.Object(flavorFields, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

export const createV255 = Type.Object(
  {
    flavor: Type.Object({ ...flavorFields, description: Type.Optional(description) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

export const updateV255 = Type.Object(
  {
    flavor: Type.Object({ description }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

const indexParams = {
  limit: multiParams(nonNegativeInteger),
  marker: multiParams(Type.String()),
  is_public: multiParams(Type.String()),
  minRam: multiParams(Type.String()),
  minDisk: multiParams(Type.String()),
  sort_key: multiParams(Type.Unsafe<SortKey>({ type: 'string', enum: [...SORT_KEYS] })),
  sort_dir: multiParams(Type.Unsafe<'asc' | 'desc'>({ type: 'string', enum: ['asc', 'desc'] })),
};
export const indexQuery = querySchema(indexParams, false);
export const indexQueryV275 = querySchema(indexParams, true);
