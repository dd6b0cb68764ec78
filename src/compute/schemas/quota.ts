// Request schemas of os-quota-sets and os-quota-class-sets
// (nova/api/openstack/compute/schemas/quota_sets.py, quota_classes.py), one per microversion
// range: the nova-network resources go at 2.36 (quota sets) and 2.50 (quota classes), the
// personality ones at 2.57.
import { Type } from '@sinclair/typebox';
import { anyOf, boolean, multiParams, querySchema } from './parameter_types.js';

/** A limit: an integer (or its digits) from -1 (unlimited) to the largest 32-bit integer. */
const limit = { type: ['integer', 'string'], pattern: '^-?[0-9]+$', minimum: -1, maximum: 0x7fffffff };

const NETWORK = ['fixed_ips', 'floating_ips', 'security_groups', 'security_group_rules', 'networks'];
const PERSONALITY = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];
const ALL = [
  'instances',
  'cores',
  'ram',
  'floating_ips',
  'fixed_ips',
  'metadata_items',
  'key_pairs',
  'security_groups',
  'security_group_rules',
  ...PERSONALITY,
  'server_groups',
  'server_group_members',
  'networks',
];

export type QuotaValues = Record<string, number | string | boolean>;

/** The limits a body may set, without those a microversion dropped; quota sets also take force. */
function values(without: string[], withForce: boolean) {
  const properties: Record<string, unknown> = Object.fromEntries(
    ALL.filter((r) => !without.includes(r)).map((r) => [r, limit]),
  );
  if (withForce) properties.force = boolean;
  return anyOf<QuotaValues>(['object'], { properties, additionalProperties: false });
}

const quotaSet = (without: string[]) =>
  Type.Object({ quota_set: values(without, true) }, { additionalProperties: false });
export const update = quotaSet([]);
export const updateV236 = quotaSet(NETWORK);
export const updateV257 = quotaSet([...NETWORK, ...PERSONALITY]);

const quotaClassSet = (without: string[]) =>
  Type.Object({ quota_class_set: values(without, false) }, { additionalProperties: false });
export const classUpdate = quotaClassSet([]);
export const classUpdateV250 = quotaClassSet(NETWORK);
export const classUpdateV257 = quotaClassSet([...NETWORK, ...PERSONALITY]);

const query = { user_id: multiParams(Type.String()) };
export const showQuery = querySchema(query, false);
export const showQueryV275 = querySchema(query, true);

const limitsParams = { tenant_id: multiParams(Type.String()) };
export const limitsQuery = querySchema(limitsParams, false);
export const limitsQueryV275 = querySchema(limitsParams, true);
