// Request schemas of /servers (nova/api/openstack/compute/schemas/servers.py), per microversion:
// what each version adds to a create, update and list is merged into the one before.
import { Type, type TSchema } from '@sinclair/typebox';
import { anyOf, boolean, DESCRIPTION_PATTERN, metadata, multiParams, name, querySchema } from './parameter_types.js';

const uuid = Type.String({ format: 'uuid' });
const positiveInteger = anyOf<number | string>(['integer', 'string'], {
  pattern: '^[0-9]*$',
  minimum: 1,
  minLength: 1,
});
const description = anyOf<string | null>(['string', 'null'], {
  minLength: 0,
  maxLength: 255,
  pattern: DESCRIPTION_PATTERN,
});
const hostnameSchema = Type.String({
  minLength: 2,
  maxLength: 63,
  pattern: '^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$',
});

const network = Type.Object(
  {
    fixed_ip: Type.Optional(Type.String({ format: 'ipv4' })),
    port: Type.Optional(anyOf<string | null>(['string', 'null'], { format: 'uuid' })),
    uuid: Type.Optional(Type.String()),
    tag: Type.Optional(Type.String({ minLength: 1, maxLength: 60, pattern: '^[^,/]*$' })),
  },
  { additionalProperties: false },
);

const baseServer = {
  name,
  imageRef: Type.Optional(Type.Union([uuid, Type.String({ maxLength: 0 })])),
  flavorRef: anyOf<string | number>(['string', 'integer'], { minLength: 1 }),
  adminPass: Type.Optional(Type.String()),
  metadata: Type.Optional(metadata(Type.String({ maxLength: 255 }))),
  networks: Type.Optional(Type.Array(network)),
  'OS-DCF:diskConfig': Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['AUTO', 'MANUAL'] })),
  accessIPv4: Type.Optional(Type.String({ format: 'ipv4' })),
  accessIPv6: Type.Optional(Type.String({ format: 'ipv6' })),
  availability_zone: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  key_name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  user_data: Type.Optional(Type.String({ format: 'base64', maxLength: 65535 })),
  min_count: Type.Optional(positiveInteger),
  max_count: Type.Optional(positiveInteger),
  return_reservation_id: Type.Optional(boolean),
  security_groups: Type.Optional(Type.Array(Type.Object({ name: Type.String() }, { additionalProperties: false }))),
  config_drive: Type.Optional(boolean),
};

const hints = Type.Object(
  {
    group: Type.Optional(uuid),
    // As Nova's schema: different_host one uuid or a list of them; same_host any string (its
    // uuid format applies to a list's items only) or a list of uuids.
    different_host: Type.Optional(Type.Unsafe<string | string[]>({ oneOf: [uuid, Type.Array(uuid)] })),
    same_host: Type.Optional(anyOf<string | string[]>(['string', 'array'], { items: uuid })),
    different_cell: Type.Optional(anyOf<string | string[]>(['string', 'array'], { items: Type.String() })),
    query: Type.Optional(Type.Union([Type.String(), Type.Object({})])),
    target_cell: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    build_near_host_ip: Type.Optional(Type.String()),
    cidr: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/** The create body of version `v`'s fields. */
function createBody(server: Record<string, TSchema>) {
  return Type.Object(
    {
      server: Type.Object(server, { additionalProperties: false }),
      'os:scheduler_hints': Type.Optional(hints),
      'OS-SCH-HNT:scheduler_hints': Type.Optional(hints),
    },
    { additionalProperties: false },
  );
}

const v219 = { ...baseServer, description: Type.Optional(description) };
const v237 = {
  ...v219,
  networks: Type.Union([Type.Array(network), Type.Unsafe<'auto' | 'none'>({ type: 'string', enum: ['auto', 'none'] })]),
};
const v252 = {
  ...v237,
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 60, pattern: '^[^,/]*$' }), { maxItems: 50 })),
};
const v274 = {
  ...v252,
  host: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  hypervisor_hostname: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
};
const v290 = { ...v274, hostname: Type.Optional(hostnameSchema) };

/** The create schemas, newest first: the first whose version the request is at or above. */
export const CREATE: [string, TSchema][] = [
  ['2.90', createBody(v290)],
  ['2.74', createBody(v274)],
  ['2.52', createBody(v252)],
  ['2.37', createBody(v237)],
  ['2.19', createBody(v219)],
  ['2.1', createBody(baseServer)],
];

export interface CreateServer {
  name: string;
  'OS-DCF:diskConfig'?: 'AUTO' | 'MANUAL';
  imageRef?: string;
  flavorRef: string | number;
  metadata?: Record<string, string>;
  networks?: { fixed_ip?: string; port?: string | null; uuid?: string }[] | 'auto' | 'none';
  adminPass?: string;
  security_groups?: { name: string }[];
  tags?: string[];
  accessIPv4?: string;
  accessIPv6?: string;
  availability_zone?: string;
  key_name?: string;
  user_data?: string;
  min_count?: number | string;
  max_count?: number | string;
  return_reservation_id?: boolean | string;
  description?: string | null;
  host?: string;
  hypervisor_hostname?: string;
  hostname?: string;
}

const baseUpdate = {
  name: Type.Optional(name),
  'OS-DCF:diskConfig': Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['AUTO', 'MANUAL'] })),
  accessIPv4: Type.Optional(Type.String({ format: 'ipv4' })),
  accessIPv6: Type.Optional(Type.String({ format: 'ipv6' })),
};
const updateBody = (server: Record<string, TSchema>) =>
  Type.Object(
    {
      server: Type.Object(server, { additionalProperties: false }),
    },
    { additionalProperties: false, required: ['server'] },
  );

export const UPDATE: [string, TSchema][] = [
  [
    '2.90',
    updateBody({ ...baseUpdate, description: Type.Optional(description), hostname: Type.Optional(hostnameSchema) }),
  ],
  ['2.19', updateBody({ ...baseUpdate, description: Type.Optional(description) })],
  ['2.1', updateBody(baseUpdate)],
];

export interface UpdateServer {
  name?: string;
  'OS-DCF:diskConfig'?: 'AUTO' | 'MANUAL';
  accessIPv4?: string;
  accessIPv6?: string;
  description?: string | null;
  hostname?: string;
}

const s = () => multiParams(Type.String());
/** The list's query parameters (Nova's query_params_v21 ... v275): what everyone may filter by,
 * and what only administrators may (others' are ignored, as Nova ignores them). */
const listParams = {
  limit: s(),
  marker: s(),
  sort_key: s(),
  sort_dir: s(),
  all_tenants: s(),
  'changes-since': s(),
  'changes-before': s(),
  name: s(),
  status: s(),
  image: s(),
  flavor: s(),
  reservation_id: s(),
  host: s(),
  node: s(),
  project_id: s(),
  tenant_id: s(),
  user_id: s(),
  deleted: s(),
  ip: s(),
  ip6: s(),
  locked: s(),
  availability_zone: s(),
  description: s(),
  hostname: s(),
  uuid: s(),
  vm_state: s(),
  task_state: s(),
  power_state: s(),
  key_name: s(),
  launched_at: s(),
  terminated_at: s(),
  created_at: s(),
  config_drive: s(),
  access_ip_v4: s(),
  access_ip_v6: s(),
  tags: s(),
  'tags-any': s(),
  'not-tags': s(),
  'not-tags-any': s(),
  soft_deleted: s(),
  launch_index: s(),
  display_name: s(),
  display_description: s(),
  kernel_id: s(),
  ramdisk_id: s(),
  progress: s(),
  root_device_name: s(),
  flavor_id: s(),
  image_ref: s(),
};
export const LIST_QUERY = querySchema(listParams, false);
export const LIST_QUERY_V275 = querySchema(listParams, true);

const baseRebuild = {
  name: Type.Optional(name),
  imageRef: uuid,
  adminPass: Type.Optional(Type.String()),
  metadata: Type.Optional(metadata(Type.String({ maxLength: 255 }))),
  preserve_ephemeral: Type.Optional(boolean),
  'OS-DCF:diskConfig': Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['AUTO', 'MANUAL'] })),
  accessIPv4: Type.Optional(Type.String({ format: 'ipv4' })),
  accessIPv6: Type.Optional(Type.String({ format: 'ipv6' })),
};
const rebuildBody = (fields: Record<string, TSchema>) =>
  Type.Object(
    {
      rebuild: Type.Object(fields, { additionalProperties: false }),
    },
    { additionalProperties: false },
  );
const rebuild219 = { ...baseRebuild, description: Type.Optional(description) };
const rebuild254 = {
  ...rebuild219,
  key_name: Type.Optional(anyOf<string | null>(['string', 'null'], { minLength: 1, maxLength: 255 })),
};
const rebuild257 = {
  ...rebuild254,
  user_data: Type.Optional(anyOf<string | null>(['string', 'null'], { format: 'base64', maxLength: 65535 })),
};

/** The rebuild action's schemas, newest first. */
export const REBUILD: [string, TSchema][] = [
  ['2.90', rebuildBody({ ...rebuild257, hostname: Type.Optional(hostnameSchema) })],
  ['2.57', rebuildBody(rebuild257)],
  ['2.54', rebuildBody(rebuild254)],
  ['2.19', rebuildBody(rebuild219)],
  ['2.1', rebuildBody(baseRebuild)],
];

export interface RebuildServer {
  name?: string;
  'OS-DCF:diskConfig'?: 'AUTO' | 'MANUAL';
  imageRef: string;
  adminPass?: string;
  metadata?: Record<string, string>;
  accessIPv4?: string;
  accessIPv6?: string;
  description?: string | null;
  key_name?: string | null;
  user_data?: string | null;
  hostname?: string;
}
