// Query schemas of /os-hypervisors (nova/api/openstack/compute/schemas/hypervisors.py).
import { Type } from '@sinclair/typebox';
import {
  boolean,
  fqdn,
  nonNegativeInteger,
  paginationParameters,
  querySchema,
  singleParam,
} from './parameter_types.js';

/** 2.33-2.52: limit and marker; anything else is let through, as then. */
export const listQueryV233 = querySchema(paginationParameters, false);

/** 2.53: search and servers as query parameters, each given once; nothing else. */
export const listQueryV253 = querySchema(
  {
    limit: singleParam(nonNegativeInteger),
    marker: singleParam(Type.String()),
    hypervisor_hostname_pattern: singleParam(fqdn),
    with_servers: singleParam(boolean),
  },
  true,
);

export const showQueryV253 = querySchema({ with_servers: singleParam(boolean) }, true);
