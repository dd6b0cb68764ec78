// The compute service's policy rules, with Nova Zed's names and defaults (nova/policies/): project
// scoped, administrators by the admin role (context_is_admin), project readers and members of
// their own project. Until [oslo_policy] enforce_new_defaults is set, the pre-Wallaby defaults
// each rule replaced still allow (is_admin, or any role in the project). Compute reads its own
// policy file, [oslo_policy] compute_policy_file: Nova's admin_api and context_is_admin are not
// Placement's or Glance's.
import type { Config } from '../common/config.js';
import type { RequestContext } from '../common/http/context.js';
import { createEnforcer, type PolicyEnforcer, type PolicyRule } from '../common/policy/index.js';
import { SERVER_EXTENSION_RULES } from './server_extension_policies.js';
import { SERVER_RULES } from './server_policies.js';

const ADMIN = 'rule:context_is_admin';
const PROJECT_READER_OR_ADMIN = 'rule:project_reader_or_admin';
const ANY = '@';
const ADMIN_OR_KEYPAIR_OWNER = `(${ADMIN}) or user_id:%(user_id)s`;

const LEGACY_ADMIN = { name: 'rule:admin_api', checkStr: 'is_admin:True' };
const LEGACY_ADMIN_OR_OWNER = { name: 'rule:admin_or_owner', checkStr: 'is_admin:True or project_id:%(project_id)s' };

const BASE_RULES: PolicyRule[] = [
  {
    name: 'context_is_admin',
    checkStr: 'role:admin',
    deprecatedRule: LEGACY_ADMIN,
    description: "Decides what is required for the 'is_admin:True' check to succeed.",
  },
  {
    name: 'admin_or_owner',
    checkStr: 'is_admin:True or project_id:%(project_id)s',
    description: 'Default rule for most non-Admin APIs (deprecated for removal).',
  },
  {
    name: 'admin_api',
    checkStr: 'is_admin:True',
    description: 'Default rule for most Admin APIs (deprecated for removal).',
  },
  {
    name: 'project_member_api',
    checkStr: 'role:member and project_id:%(project_id)s',
    deprecatedRule: LEGACY_ADMIN_OR_OWNER,
    description: 'Default rule for Project level non admin APIs.',
  },
  {
    name: 'project_reader_api',
    checkStr: 'role:reader and project_id:%(project_id)s',
    deprecatedRule: LEGACY_ADMIN_OR_OWNER,
    description: 'Default rule for Project level read only APIs.',
  },
  {
    name: 'project_member_or_admin',
    checkStr: 'rule:project_member_api or rule:context_is_admin',
    deprecatedRule: LEGACY_ADMIN_OR_OWNER,
    description: 'Default rule for Project Member or admin APIs.',
  },
  {
    name: 'project_reader_or_admin',
    checkStr: 'rule:project_reader_api or rule:context_is_admin',
    deprecatedRule: LEGACY_ADMIN_OR_OWNER,
    description: 'Default rule for Project reader or admin APIs.',
  },
];

type Op = [method: string, path: string];

function api(
  name: string,
  checkStr: string,
  description: string,
  ops: Op[],
  deprecatedRule?: PolicyRule['deprecatedRule'],
): PolicyRule {
  return {
    name: `os_compute_api:${name}`,
    checkStr,
    description,
    scopeTypes: ['project'],
    operations: ops.map(([method, path]) => ({ method, path })),
    ...(deprecatedRule ? { deprecatedRule } : {}),
  };
}

const LEGACY_SERVICES = { name: 'os_compute_api:os-services', checkStr: 'rule:admin_api' };
const LEGACY_HYPERVISORS = { name: 'os_compute_api:os-hypervisors', checkStr: 'rule:admin_api' };
const HYPERVISOR = '/os-hypervisors/{hypervisor_id}';

const FLAVOR = '/flavors/{flavor_id}';
const EXTRA_SPEC = `${FLAVOR}/os-extra_specs/{flavor_extra_spec_key}`;
const KEYPAIR = '/os-keypairs/{keypair_name}';
const QUOTA_SET = '/os-quota-sets/{tenant_id}';
const AGGREGATE = '/os-aggregates/{aggregate_id}';

export const COMPUTE_RULES: readonly PolicyRule[] = [
  ...BASE_RULES,
  api('os-flavor-manage:create', ADMIN, 'Create a flavor', [['POST', '/flavors']]),
  api('os-flavor-manage:update', ADMIN, 'Update a flavor', [['PUT', FLAVOR]]),
  api('os-flavor-manage:delete', ADMIN, 'Delete a flavor', [['DELETE', FLAVOR]]),

  api('os-flavor-extra-specs:show', PROJECT_READER_OR_ADMIN, 'Show an extra spec for a flavor', [['GET', EXTRA_SPEC]]),
  api('os-flavor-extra-specs:create', ADMIN, 'Create extra specs for a flavor', [
    ['POST', `${FLAVOR}/os-extra_specs/`],
  ]),
  api('os-flavor-extra-specs:update', ADMIN, 'Update an extra spec for a flavor', [['PUT', EXTRA_SPEC]]),
  api('os-flavor-extra-specs:delete', ADMIN, 'Delete an extra spec for a flavor', [['DELETE', EXTRA_SPEC]]),
  api(
    'os-flavor-extra-specs:index',
    PROJECT_READER_OR_ADMIN,
    'List extra specs for a flavor. Starting with microversion 2.61, extra specs may be returned in responses ' +
      'for the flavor resource.',
    [
      ['GET', `${FLAVOR}/os-extra_specs/`],
      ['POST', '/flavors'],
      ['GET', '/flavors/detail'],
      ['GET', FLAVOR],
      ['PUT', FLAVOR],
    ],
  ),

  api('os-flavor-access:add_tenant_access', ADMIN, 'Add flavor access to a tenant', [
    ['POST', `${FLAVOR}/action (addTenantAccess)`],
  ]),
  api('os-flavor-access:remove_tenant_access', ADMIN, 'Remove flavor access from a tenant', [
    ['POST', `${FLAVOR}/action (removeTenantAccess)`],
  ]),
  api(
    'os-flavor-access',
    ADMIN,
    'List flavor access information\n\nAllows access to the full list of tenants that ' +
      'have access to a flavor via an os-flavor-access API.',
    [['GET', `${FLAVOR}/os-flavor-access`]],
    { name: 'os_compute_api:os-flavor-access', checkStr: 'rule:admin_or_owner' },
  ),

  api('os-keypairs:index', ADMIN_OR_KEYPAIR_OWNER, 'List all keypairs', [['GET', '/os-keypairs']]),
  api('os-keypairs:create', ADMIN_OR_KEYPAIR_OWNER, 'Create a keypair', [['POST', '/os-keypairs']]),
  api('os-keypairs:delete', ADMIN_OR_KEYPAIR_OWNER, 'Delete a keypair', [['DELETE', KEYPAIR]]),
  api('os-keypairs:show', ADMIN_OR_KEYPAIR_OWNER, 'Show details of a keypair', [['GET', KEYPAIR]]),

  api('limits', ANY, 'Show rate and absolute limits for the current user project', [['GET', '/limits']]),
  api(
    'limits:other_project',
    ADMIN,
    'Show rate and absolute limits of the project\n\nThis policy only checks if ' +
      'the user has access to the requested project limits. And this check is performed only after the check ' +
      'os_compute_api:limits passes',
    [['GET', '/limits']],
    { name: 'os_compute_api:os-used-limits', checkStr: 'rule:admin_api' },
  ),

  api(
    'os-services:list',
    ADMIN,
    'List all running Compute services in a region.',
    [['GET', '/os-services']],
    LEGACY_SERVICES,
  ),
  api(
    'os-services:update',
    ADMIN,
    'Update a Compute service.',
    [['PUT', '/os-services/{service_id}']],
    LEGACY_SERVICES,
  ),
  api(
    'os-services:delete',
    ADMIN,
    'Delete a Compute service.',
    [['DELETE', '/os-services/{service_id}']],
    LEGACY_SERVICES,
  ),

  api('os-hypervisors:list', ADMIN, 'List all hypervisors.', [['GET', '/os-hypervisors']], LEGACY_HYPERVISORS),
  api(
    'os-hypervisors:list-detail',
    ADMIN,
    'List all hypervisors with details',
    [['GET', '/os-hypervisors/details']],
    LEGACY_HYPERVISORS,
  ),
  api(
    'os-hypervisors:statistics',
    ADMIN,
    'Show summary statistics for all hypervisors over all compute nodes.',
    [['GET', '/os-hypervisors/statistics']],
    LEGACY_HYPERVISORS,
  ),
  api('os-hypervisors:show', ADMIN, 'Show details for a hypervisor.', [['GET', HYPERVISOR]], LEGACY_HYPERVISORS),
  api(
    'os-hypervisors:uptime',
    ADMIN,
    'Show the uptime of a hypervisor.',
    [['GET', `${HYPERVISOR}/uptime`]],
    LEGACY_HYPERVISORS,
  ),
  api(
    'os-hypervisors:search',
    ADMIN,
    'Search hypervisor by hypervisor_hostname pattern.',
    [['GET', '/os-hypervisors/{hypervisor_hostname_pattern}/search']],
    LEGACY_HYPERVISORS,
  ),
  api(
    'os-hypervisors:servers',
    ADMIN,
    'List all servers on hypervisors that can match the provided ' + 'hypervisor_hostname pattern.',
    [['GET', '/os-hypervisors/{hypervisor_hostname_pattern}/servers']],
    LEGACY_HYPERVISORS,
  ),

  api('os-quota-sets:update', ADMIN, 'Update the quotas', [['PUT', QUOTA_SET]]),
  api('os-quota-sets:defaults', ANY, 'List default quotas', [['GET', `${QUOTA_SET}/defaults`]]),
  api('os-quota-sets:show', PROJECT_READER_OR_ADMIN, 'Show a quota', [['GET', QUOTA_SET]]),
  api('os-quota-sets:delete', ADMIN, 'Revert quotas to defaults', [['DELETE', QUOTA_SET]]),
  api('os-quota-sets:detail', PROJECT_READER_OR_ADMIN, 'Show the detail of quota', [['GET', `${QUOTA_SET}/detail`]]),
  api('os-quota-class-sets:show', ADMIN, 'List quotas for specific quota classs', [
    ['GET', '/os-quota-class-sets/{quota_class}'],
  ]),
  api('os-quota-class-sets:update', ADMIN, 'Update quotas for specific quota class', [
    ['PUT', '/os-quota-class-sets/{quota_class}'],
  ]),

  api('os-availability-zone:list', ANY, 'List availability zone information without host information', [
    ['GET', '/os-availability-zone'],
  ]),
  api('os-availability-zone:detail', ADMIN, 'List detailed availability zone information with host information', [
    ['GET', '/os-availability-zone/detail'],
  ]),

  api('os-aggregates:set_metadata', ADMIN, 'Create or replace metadata for an aggregate', [
    ['POST', `${AGGREGATE}/action (set_metadata)`],
  ]),
  api('os-aggregates:add_host', ADMIN, 'Add a host to an aggregate', [['POST', `${AGGREGATE}/action (add_host)`]]),
  api('os-aggregates:create', ADMIN, 'Create an aggregate', [['POST', '/os-aggregates']]),
  api('os-aggregates:remove_host', ADMIN, 'Remove a host from an aggregate', [
    ['POST', `${AGGREGATE}/action (remove_host)`],
  ]),
  api('os-aggregates:update', ADMIN, 'Update name and/or availability zone for an aggregate', [['PUT', AGGREGATE]]),
  api('os-aggregates:index', ADMIN, 'List all aggregates', [['GET', '/os-aggregates']]),
  api('os-aggregates:delete', ADMIN, 'Delete an aggregate', [['DELETE', AGGREGATE]]),
  api('os-aggregates:show', ADMIN, 'Show details for an aggregate', [['GET', AGGREGATE]]),

  api('os-simple-tenant-usage:show', PROJECT_READER_OR_ADMIN, 'Show usage statistics for a specific tenant', [
    ['GET', '/os-simple-tenant-usage/{tenant_id}'],
  ]),
  api('os-simple-tenant-usage:list', ADMIN, 'List per tenant usage statistics for all tenants', [
    ['GET', '/os-simple-tenant-usage'],
  ]),
  api('os-hosts:list', ADMIN, 'List physical hosts.', [['GET', '/os-hosts']]),
  api('os-hosts:show', ADMIN, 'Show physical host.', [['GET', '/os-hosts/{host_name}']]),
  api('os-hosts:update', ADMIN, 'Update physical host.', [['PUT', '/os-hosts/{host_name}']]),
  api('os-hosts:reboot', ADMIN, 'Reboot physical host.', [['GET', '/os-hosts/{host_name}/reboot']]),
  api('os-hosts:shutdown', ADMIN, 'Shutdown physical host.', [['GET', '/os-hosts/{host_name}/shutdown']]),
  api('os-hosts:start', ADMIN, 'Start physical host.', [['GET', '/os-hosts/{host_name}/startup']]),
  api('os-instance-usage-audit-log:list', ADMIN, 'List all usage audits.', [['GET', '/os-instance_usage_audit_log']]),
  api('os-instance-usage-audit-log:show', ADMIN, 'List all usage audits occurred before a specified time', [
    ['GET', '/os-instance_usage_audit_log/{before_timestamp}'],
  ]),
  ...SERVER_RULES,
  ...SERVER_EXTENSION_RULES,
];

/** Nova's target when a handler names none: the caller's own project and user. */
export const defaultTarget = (ctx: RequestContext) => ({ project_id: ctx.projectId, user_id: ctx.userId });

export function computeEnforcer(opts: {
  config: Pick<Config, 'computePolicyFile' | 'enforceScope' | 'enforceNewDefaults'>;
  configDir: string;
  log?: { warn(msg: string): void };
}): PolicyEnforcer {
  const { config } = opts;
  return createEnforcer({
    ...opts,
    config: {
      policyFile: config.computePolicyFile,
      enforceScope: config.enforceScope,
      enforceNewDefaults: config.enforceNewDefaults,
    },
    rules: COMPUTE_RULES,
    defaultTarget,
  });
}
