// Query schemas of /os-simple-tenant-usage (nova/api/openstack/compute/schemas/simple_tenant_usage.py).
import { Type } from '@sinclair/typebox';
import { multiParams, paginationParameters, querySchema } from './parameter_types.js';

const period = { start: multiParams(Type.String()), end: multiParams(Type.String()) };
const index = { ...period, detailed: multiParams(Type.String()) };

export const indexQuery = querySchema(index, false);
export const indexQueryV240 = querySchema({ ...index, ...paginationParameters }, false);
export const indexQueryV275 = querySchema({ ...index, ...paginationParameters }, true);
export const showQuery = querySchema(period, false);
export const showQueryV240 = querySchema({ ...period, ...paginationParameters }, false);
export const showQueryV275 = querySchema({ ...period, ...paginationParameters }, true);
