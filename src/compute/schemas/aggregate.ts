// Request schemas of /os-aggregates (nova/api/openstack/compute/schemas/aggregates.py). Names'
// characters are checked by the handlers (objects/text.ts), as Nova's formats check them.
import { Type } from '@sinclair/typebox';
import { anyOf, METADATA_KEY } from './parameter_types.js';

const name = Type.String({ minLength: 1, maxLength: 255 });
/** A zone name, or null for none; what a name may be is checked by the handlers, which word a
 * failure as Nova's oneOf of a name and null does. */
const zone = anyOf<string | null>(['string', 'null']);
/** Nova's fqdn: host names, underscores allowed. */
const host = Type.String({ minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' });

export const create = Type.Object(
  {
    aggregate: Type.Object({ name, availability_zone: Type.Optional(zone) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

/** One of name and availability_zone at least (the handler says so as Nova's anyOf does). */
export const update = Type.Object(
  {
    aggregate: Type.Object(
      { name: Type.Optional(name), availability_zone: Type.Optional(zone) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const addHost = Type.Object(
  {
    add_host: Type.Object({ host }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

export const removeHost = Type.Object(
  {
    remove_host: Type.Object({ host }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

/** Values up to 255 characters, or null to remove the key. */
export const setMetadata = Type.Object(
  {
    set_metadata: Type.Object(
      {
        metadata: Type.Record(
          Type.String({ pattern: METADATA_KEY }),
          anyOf<string | null>(['string', 'null'], { maxLength: 255 }),
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
