// Request schemas of /os-services (nova/api/openstack/compute/schemas/services.py).
import { Type } from '@sinclair/typebox';
import { boolean, fqdn, multiParams, querySchema } from './parameter_types.js';

const binary = Type.String({ minLength: 1, maxLength: 255 });
const disabledReason = Type.String({ minLength: 1, maxLength: 255 });

/** PUT /os-services/{action} before 2.53: the service named by host and binary. */
export const update = Type.Object(
  {
    host: fqdn,
    binary,
    disabled_reason: Type.Optional(disabledReason),
  },
  { additionalProperties: false },
);

/** 2.11: force-down. */
export const updateV211 = Type.Object(
  {
    host: fqdn,
    binary,
    disabled_reason: Type.Optional(disabledReason),
    forced_down: Type.Optional(boolean),
  },
  { additionalProperties: false },
);

/** PUT /os-services/{uuid} from 2.53: nothing required, the service being named by the path. */
export const updateV253 = Type.Object(
  {
    status: Type.Optional(Type.Unsafe<'enabled' | 'disabled'>({ type: 'string', enum: ['enabled', 'disabled'] })),
    disabled_reason: Type.Optional(disabledReason),
    forced_down: Type.Optional(boolean),
  },
  { additionalProperties: false },
);

const indexParams = { host: multiParams(Type.String()), binary: multiParams(Type.String()) };
export const indexQuery = querySchema(indexParams, false);
export const indexQueryV275 = querySchema(indexParams, true);
