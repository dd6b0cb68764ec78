// Request schemas of /os-server-groups (nova/api/openstack/compute/schemas/server_groups.py).
import { Type } from '@sinclair/typebox';
import { anyOf, multiParams, name, querySchema } from './parameter_types.js';

const policies = (names: string[]) =>
  Type.Array(Type.Unsafe<string>({ type: 'string', enum: names }), { minItems: 1, maxItems: 1, uniqueItems: true });

const createBody = (group: Parameters<typeof Type.Object>[0]) =>
  Type.Object(
    {
      server_group: Type.Object(group, { additionalProperties: false }),
    },
    { additionalProperties: false },
  );

export const create = createBody({ name, policies: policies(['anti-affinity', 'affinity']) });
export const createV215 = createBody({
  name,
  policies: policies(['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity']),
});
export const createV264 = createBody({
  name,
  policy: Type.Unsafe<string>({
    type: 'string',
    enum: ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity'],
  }),
  rules: Type.Optional(
    Type.Object(
      {
        max_server_per_host: Type.Optional(
          anyOf<number | string>(['integer', 'string'], { pattern: '^[0-9]*$', minimum: 1, minLength: 1 }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
});

export interface CreateServerGroup {
  name: string;
  policies?: string[];
  policy?: string;
  rules?: { max_server_per_host?: number | string };
}

const indexParams = {
  all_projects: multiParams(Type.String()),
  limit: multiParams(anyOf<number | string>(['integer', 'string'], { pattern: '^[0-9]*$', minimum: 0, minLength: 1 })),
  offset: multiParams(anyOf<number | string>(['integer', 'string'], { pattern: '^[0-9]*$', minimum: 0, minLength: 1 })),
};
export const indexQuery = querySchema(indexParams, false);
export const indexQueryV275 = querySchema(indexParams, true);
