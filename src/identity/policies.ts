// Identity's policy rules with Keystone Zed's defaults: administrators write; readers (system
// scoped, or domain scoped for their domain) read; users read and manage what is their own.
// Rules are data in oslo.policy's terms (name, check string, scope types, operations), for the
// shared policy engine to register as defaults and for operators to override by name.
import type { Config } from '../common/config.js';
import { createEnforcer, flattenTarget, type PolicyEnforcer, type PolicyRule } from '../common/policy/index.js';

export type { PolicyRule };

const SYSTEM_READER = 'role:reader and system_scope:all';
const ADMIN_OR_SYSTEM_READER = `rule:admin_required or (${SYSTEM_READER})`;
const ADMIN = 'rule:admin_required';
const domainReader = (attr: string) => `(role:reader and domain_id:%(${attr})s)`;
const adminOrReaders = (attr: string) => `${ADMIN_OR_SYSTEM_READER} or ${domainReader(attr)}`;

const TRUSTOR = 'user_id:%(target.trust.trustor_user_id)s';
const TRUSTEE = 'user_id:%(target.trust.trustee_user_id)s';

const op = (method: string, path: string) => ({ method, path });
const rule = (
  name: string,
  checkStr: string,
  description: string,
  operations: { path: string; method: string }[],
  scopeTypes: PolicyRule['scopeTypes'] = ['system', 'domain', 'project'],
): PolicyRule => ({ name: `identity:${name}`, checkStr, description, operations, scopeTypes });

export const BASE_RULES: PolicyRule[] = [
  { name: 'admin_required', checkStr: 'role:admin or is_admin:1', description: 'Holds the admin role.' },
  { name: 'service_role', checkStr: 'role:service', description: "A service's own user." },
  {
    name: 'service_or_admin',
    checkStr: 'rule:admin_required or rule:service_role',
    description: 'A service or an administrator.',
  },
  { name: 'owner', checkStr: 'user_id:%(user_id)s', description: 'The user the target belongs to.' },
  {
    name: 'admin_or_owner',
    checkStr: 'rule:admin_required or rule:owner',
    description: 'An administrator or the owner.',
  },
  {
    name: 'token_subject',
    checkStr: 'user_id:%(target.token.user_id)s',
    description: 'The user a token was issued to.',
  },
  {
    name: 'service_admin_or_token_subject',
    checkStr: 'rule:service_or_admin or rule:token_subject',
    description: "A service, an administrator, or the token's own user.",
  },
];

const V3 = '/v3';

function epFilterRules(): PolicyRule[] {
  const groups = `${V3}/OS-EP-FILTER/endpoint_groups`;
  const projects = `${V3}/OS-EP-FILTER/projects/{project_id}`;
  const reads: [string, string, { path: string; method: string }[]][] = [
    ['list_endpoint_groups', 'List endpoint groups.', [op('GET', groups)]],
    [
      'get_endpoint_group',
      'Show an endpoint group.',
      [op('GET', `${groups}/{endpoint_group_id}`), op('HEAD', `${groups}/{endpoint_group_id}`)],
    ],
    [
      'list_projects_associated_with_endpoint_group',
      'List the projects an endpoint group is associated with.',
      [op('GET', `${groups}/{endpoint_group_id}/projects`)],
    ],
    [
      'list_endpoints_associated_with_endpoint_group',
      'List the endpoints of an endpoint group.',
      [op('GET', `${groups}/{endpoint_group_id}/endpoints`)],
    ],
    [
      'get_endpoint_group_in_project',
      "Check an endpoint group's association with a project.",
      [
        op('GET', `${groups}/{endpoint_group_id}/projects/{project_id}`),
        op('HEAD', `${groups}/{endpoint_group_id}/projects/{project_id}`),
      ],
    ],
    [
      'list_endpoint_groups_for_project',
      'List the endpoint groups associated with a project.',
      [op('GET', `${projects}/endpoint_groups`)],
    ],
    [
      'list_projects_for_endpoint',
      'List the projects an endpoint is associated with.',
      [op('GET', `${V3}/OS-EP-FILTER/endpoints/{endpoint_id}/projects`)],
    ],
    [
      'check_endpoint_in_project',
      "Check an endpoint's association with a project.",
      [op('GET', `${projects}/endpoints/{endpoint_id}`), op('HEAD', `${projects}/endpoints/{endpoint_id}`)],
    ],
    [
      'list_endpoints_for_project',
      'List the endpoints associated with a project.',
      [op('GET', `${projects}/endpoints`)],
    ],
  ];
  const writes: [string, string, { path: string; method: string }[]][] = [
    ['create_endpoint_group', 'Create an endpoint group.', [op('POST', groups)]],
    ['update_endpoint_group', 'Update an endpoint group.', [op('PATCH', `${groups}/{endpoint_group_id}`)]],
    ['delete_endpoint_group', 'Delete an endpoint group.', [op('DELETE', `${groups}/{endpoint_group_id}`)]],
    [
      'add_endpoint_group_to_project',
      'Associate an endpoint group with a project.',
      [op('PUT', `${groups}/{endpoint_group_id}/projects/{project_id}`)],
    ],
    [
      'remove_endpoint_group_from_project',
      'Dissociate an endpoint group from a project.',
      [op('DELETE', `${groups}/{endpoint_group_id}/projects/{project_id}`)],
    ],
    [
      'add_endpoint_to_project',
      'Associate an endpoint with a project.',
      [op('PUT', `${projects}/endpoints/{endpoint_id}`)],
    ],
    [
      'remove_endpoint_from_project',
      'Dissociate an endpoint from a project.',
      [op('DELETE', `${projects}/endpoints/{endpoint_id}`)],
    ],
  ];
  return [
    ...reads.map(([name, help, ops]) => rule(name, ADMIN_OR_SYSTEM_READER, help, ops, ['system'])),
    ...writes.map(([name, help, ops]) => rule(name, ADMIN, help, ops, ['system'])),
  ];
}

export const IDENTITY_RULES: PolicyRule[] = [
  ...BASE_RULES,
  // tokens
  rule('check_token', `${ADMIN_OR_SYSTEM_READER} or rule:service_admin_or_token_subject`, 'Check a token.', [
    op('HEAD', `${V3}/auth/tokens`),
  ]),
  rule('validate_token', `${ADMIN_OR_SYSTEM_READER} or rule:service_admin_or_token_subject`, 'Validate a token.', [
    op('GET', `${V3}/auth/tokens`),
  ]),
  rule('revoke_token', 'rule:admin_required or rule:service_admin_or_token_subject', 'Revoke a token.', [
    op('DELETE', `${V3}/auth/tokens`),
  ]),
  // domains
  rule(
    'get_domain',
    `${ADMIN_OR_SYSTEM_READER} or token.domain.id:%(target.domain.id)s or ` +
      'token.project.domain.id:%(target.domain.id)s',
    'Show a domain.',
    [op('GET', `${V3}/domains/{domain_id}`)],
  ),
  rule('list_domains', ADMIN_OR_SYSTEM_READER, 'List domains.', [op('GET', `${V3}/domains`)]),
  rule('create_domain', ADMIN, 'Create a domain.', [op('POST', `${V3}/domains`)]),
  rule('update_domain', ADMIN, 'Update a domain.', [op('PATCH', `${V3}/domains/{domain_id}`)]),
  rule('delete_domain', ADMIN, 'Delete a domain.', [op('DELETE', `${V3}/domains/{domain_id}`)]),
  // projects
  rule(
    'get_project',
    `${adminOrReaders('target.project.domain_id')} or project_id:%(target.project.id)s`,
    'Show a project.',
    [op('GET', `${V3}/projects/{project_id}`)],
  ),
  rule('list_projects', adminOrReaders('target.domain_id'), 'List projects.', [op('GET', `${V3}/projects`)]),
  rule(
    'list_user_projects',
    `${adminOrReaders('target.user.domain_id')} or user_id:%(target.user.id)s`,
    'List the projects of a user.',
    [op('GET', `${V3}/users/{user_id}/projects`)],
  ),
  rule('create_project', ADMIN, 'Create a project.', [op('POST', `${V3}/projects`)]),
  rule('update_project', ADMIN, 'Update a project.', [op('PATCH', `${V3}/projects/{project_id}`)]),
  rule('delete_project', ADMIN, 'Delete a project.', [op('DELETE', `${V3}/projects/{project_id}`)]),
  // project tags
  rule(
    'list_project_tags',
    `${adminOrReaders('target.project.domain_id')} or project_id:%(target.project.id)s`,
    'List the tags of a project.',
    [op('GET', `${V3}/projects/{project_id}/tags`), op('HEAD', `${V3}/projects/{project_id}/tags`)],
  ),
  rule(
    'get_project_tag',
    `${adminOrReaders('target.project.domain_id')} or project_id:%(target.project.id)s`,
    'Check whether a project has a tag.',
    [op('GET', `${V3}/projects/{project_id}/tags/{value}`), op('HEAD', `${V3}/projects/{project_id}/tags/{value}`)],
  ),
  rule('update_project_tags', ADMIN, 'Replace the tags of a project.', [op('PUT', `${V3}/projects/{project_id}/tags`)]),
  rule('create_project_tag', ADMIN, 'Add a tag to a project.', [op('PUT', `${V3}/projects/{project_id}/tags/{value}`)]),
  rule('delete_project_tags', ADMIN, 'Remove every tag of a project.', [
    op('DELETE', `${V3}/projects/{project_id}/tags`),
  ]),
  rule('delete_project_tag', ADMIN, 'Remove a tag from a project.', [
    op('DELETE', `${V3}/projects/{project_id}/tags/{value}`),
  ]),
  // users
  rule('get_user', `${adminOrReaders('target.user.domain_id')} or user_id:%(target.user.id)s`, 'Show a user.', [
    op('GET', `${V3}/users/{user_id}`),
  ]),
  rule('list_users', adminOrReaders('target.domain_id'), 'List users.', [op('GET', `${V3}/users`)]),
  rule('create_user', ADMIN, 'Create a user.', [op('POST', `${V3}/users`)]),
  rule('update_user', ADMIN, 'Update a user.', [op('PATCH', `${V3}/users/{user_id}`)]),
  rule('delete_user', ADMIN, 'Delete a user.', [op('DELETE', `${V3}/users/{user_id}`)]),
  // groups
  rule('get_group', adminOrReaders('target.group.domain_id'), 'Show a group.', [op('GET', `${V3}/groups/{group_id}`)]),
  rule('list_groups', adminOrReaders('target.domain_id'), 'List groups.', [op('GET', `${V3}/groups`)]),
  rule(
    'list_groups_for_user',
    `${adminOrReaders('target.user.domain_id')} or user_id:%(user_id)s`,
    'List the groups of a user.',
    [op('GET', `${V3}/users/{user_id}/groups`)],
  ),
  rule('list_users_in_group', adminOrReaders('target.group.domain_id'), 'List the users in a group.', [
    op('GET', `${V3}/groups/{group_id}/users`),
  ]),
  rule('check_user_in_group', adminOrReaders('target.group.domain_id'), 'Check whether a user is in a group.', [
    op('HEAD', `${V3}/groups/{group_id}/users/{user_id}`),
  ]),
  rule('create_group', ADMIN, 'Create a group.', [op('POST', `${V3}/groups`)]),
  rule('update_group', ADMIN, 'Update a group.', [op('PATCH', `${V3}/groups/{group_id}`)]),
  rule('delete_group', ADMIN, 'Delete a group.', [op('DELETE', `${V3}/groups/{group_id}`)]),
  rule('add_user_to_group', ADMIN, 'Add a user to a group.', [op('PUT', `${V3}/groups/{group_id}/users/{user_id}`)]),
  rule('remove_user_from_group', ADMIN, 'Remove a user from a group.', [
    op('DELETE', `${V3}/groups/{group_id}/users/{user_id}`),
  ]),
  // roles and implied roles
  rule('get_role', ADMIN_OR_SYSTEM_READER, 'Show a role.', [op('GET', `${V3}/roles/{role_id}`)]),
  rule('list_roles', ADMIN_OR_SYSTEM_READER, 'List roles.', [op('GET', `${V3}/roles`)]),
  rule('create_role', ADMIN, 'Create a role.', [op('POST', `${V3}/roles`)]),
  rule('update_role', ADMIN, 'Update a role.', [op('PATCH', `${V3}/roles/{role_id}`)]),
  rule('delete_role', ADMIN, 'Delete a role.', [op('DELETE', `${V3}/roles/{role_id}`)]),
  rule('get_implied_role', ADMIN_OR_SYSTEM_READER, 'Show a role implication.', [
    op('GET', `${V3}/roles/{prior_role_id}/implies/{implied_role_id}`),
  ]),
  rule('check_implied_role', ADMIN_OR_SYSTEM_READER, 'Check a role implication.', [
    op('HEAD', `${V3}/roles/{prior_role_id}/implies/{implied_role_id}`),
  ]),
  rule('list_implied_roles', ADMIN_OR_SYSTEM_READER, 'List the roles a role implies.', [
    op('GET', `${V3}/roles/{prior_role_id}/implies`),
  ]),
  rule('list_role_inference_rules', ADMIN_OR_SYSTEM_READER, 'List all role implications.', [
    op('GET', `${V3}/role_inferences`),
  ]),
  rule('create_implied_role', ADMIN, 'Create a role implication.', [
    op('PUT', `${V3}/roles/{prior_role_id}/implies/{implied_role_id}`),
  ]),
  rule('delete_implied_role', ADMIN, 'Delete a role implication.', [
    op('DELETE', `${V3}/roles/{prior_role_id}/implies/{implied_role_id}`),
  ]),
  // grants and role assignments
  rule(
    'check_grant',
    `${ADMIN_OR_SYSTEM_READER} or ${domainReader('target.domain.id')} or ` +
      `${domainReader('target.project.domain_id')}`,
    'Check a role grant.',
    [op('HEAD', `${V3}/projects/{project_id}/users/{user_id}/roles/{role_id}`)],
  ),
  rule(
    'list_grants',
    `${ADMIN_OR_SYSTEM_READER} or ${domainReader('target.domain.id')} or ` +
      `${domainReader('target.project.domain_id')}`,
    'List the roles granted to an actor on a target.',
    [op('GET', `${V3}/projects/{project_id}/users/{user_id}/roles`)],
  ),
  rule('create_grant', ADMIN, 'Grant a role.', [
    op('PUT', `${V3}/projects/{project_id}/users/{user_id}/roles/{role_id}`),
  ]),
  rule('revoke_grant', ADMIN, 'Revoke a role.', [
    op('DELETE', `${V3}/projects/{project_id}/users/{user_id}/roles/{role_id}`),
  ]),
  rule('list_system_grants_for_user', ADMIN_OR_SYSTEM_READER, "List a user's system roles.", [
    op('GET', `${V3}/system/users/{user_id}/roles`),
  ]),
  rule('check_system_grant_for_user', ADMIN_OR_SYSTEM_READER, "Check a user's system role.", [
    op('HEAD', `${V3}/system/users/{user_id}/roles/{role_id}`),
  ]),
  rule('create_system_grant_for_user', ADMIN, 'Grant a user a system role.', [
    op('PUT', `${V3}/system/users/{user_id}/roles/{role_id}`),
  ]),
  rule('revoke_system_grant_for_user', ADMIN, "Revoke a user's system role.", [
    op('DELETE', `${V3}/system/users/{user_id}/roles/{role_id}`),
  ]),
  rule('list_system_grants_for_group', ADMIN_OR_SYSTEM_READER, "List a group's system roles.", [
    op('GET', `${V3}/system/groups/{group_id}/roles`),
  ]),
  rule('check_system_grant_for_group', ADMIN_OR_SYSTEM_READER, "Check a group's system role.", [
    op('HEAD', `${V3}/system/groups/{group_id}/roles/{role_id}`),
  ]),
  rule('create_system_grant_for_group', ADMIN, 'Grant a group a system role.', [
    op('PUT', `${V3}/system/groups/{group_id}/roles/{role_id}`),
  ]),
  rule('revoke_system_grant_for_group', ADMIN, "Revoke a group's system role.", [
    op('DELETE', `${V3}/system/groups/{group_id}/roles/{role_id}`),
  ]),
  rule('list_role_assignments', adminOrReaders('target.domain_id'), 'List role assignments.', [
    op('GET', `${V3}/role_assignments`),
  ]),
  // catalog
  rule('get_service', ADMIN_OR_SYSTEM_READER, 'Show a service.', [op('GET', `${V3}/services/{service_id}`)]),
  rule('list_services', ADMIN_OR_SYSTEM_READER, 'List services.', [op('GET', `${V3}/services`)]),
  rule('create_service', ADMIN, 'Create a service.', [op('POST', `${V3}/services`)]),
  rule('update_service', ADMIN, 'Update a service.', [op('PATCH', `${V3}/services/{service_id}`)]),
  rule('delete_service', ADMIN, 'Delete a service.', [op('DELETE', `${V3}/services/{service_id}`)]),
  rule('get_endpoint', ADMIN_OR_SYSTEM_READER, 'Show an endpoint.', [op('GET', `${V3}/endpoints/{endpoint_id}`)]),
  rule('list_endpoints', ADMIN_OR_SYSTEM_READER, 'List endpoints.', [op('GET', `${V3}/endpoints`)]),
  rule('create_endpoint', ADMIN, 'Create an endpoint.', [op('POST', `${V3}/endpoints`)]),
  rule('update_endpoint', ADMIN, 'Update an endpoint.', [op('PATCH', `${V3}/endpoints/{endpoint_id}`)]),
  rule('delete_endpoint', ADMIN, 'Delete an endpoint.', [op('DELETE', `${V3}/endpoints/{endpoint_id}`)]),
  // endpoint filtering (OS-EP-FILTER)
  ...epFilterRules(),
  // Region names are not secret: every authenticated user may read them.
  rule('get_region', '', 'Show a region.', [op('GET', `${V3}/regions/{region_id}`)]),
  rule('list_regions', '', 'List regions.', [op('GET', `${V3}/regions`)]),
  rule('create_region', ADMIN, 'Create a region.', [
    op('POST', `${V3}/regions`),
    op('PUT', `${V3}/regions/{region_id}`),
  ]),
  rule('update_region', ADMIN, 'Update a region.', [op('PATCH', `${V3}/regions/{region_id}`)]),
  rule('delete_region', ADMIN, 'Delete a region.', [op('DELETE', `${V3}/regions/{region_id}`)]),
  // application credentials
  // credentials
  rule('get_credential', `${ADMIN_OR_SYSTEM_READER} or user_id:%(target.credential.user_id)s`, 'Show a credential.', [
    op('GET', `${V3}/credentials/{credential_id}`),
  ]),
  rule('list_credentials', `${ADMIN_OR_SYSTEM_READER} or user_id:%(target.credential.user_id)s`, 'List credentials.', [
    op('GET', `${V3}/credentials`),
  ]),
  rule('create_credential', 'rule:admin_required or user_id:%(target.credential.user_id)s', 'Create a credential.', [
    op('POST', `${V3}/credentials`),
  ]),
  rule('update_credential', 'rule:admin_required or user_id:%(target.credential.user_id)s', 'Update a credential.', [
    op('PATCH', `${V3}/credentials/{credential_id}`),
  ]),
  rule('delete_credential', 'rule:admin_required or user_id:%(target.credential.user_id)s', 'Delete a credential.', [
    op('DELETE', `${V3}/credentials/{credential_id}`),
  ]),
  rule(
    'ec2_get_credential',
    `${ADMIN_OR_SYSTEM_READER} or user_id:%(target.credential.user_id)s`,
    'Show an EC2 credential.',
    [op('GET', `${V3}/users/{user_id}/credentials/OS-EC2/{credential_id}`)],
  ),
  rule('ec2_list_credentials', `${ADMIN_OR_SYSTEM_READER} or rule:owner`, "List a user's EC2 credentials.", [
    op('GET', `${V3}/users/{user_id}/credentials/OS-EC2`),
  ]),
  rule('ec2_create_credential', 'rule:admin_required or rule:owner', 'Create an EC2 credential.', [
    op('POST', `${V3}/users/{user_id}/credentials/OS-EC2`),
  ]),
  rule(
    'ec2_delete_credential',
    'rule:admin_required or user_id:%(target.credential.user_id)s',
    'Delete an EC2 credential.',
    [op('DELETE', `${V3}/users/{user_id}/credentials/OS-EC2/{credential_id}`)],
  ),
  // trusts: the trustor creates and deletes, trustor and trustee read
  rule(
    'create_trust',
    'user_id:%(trust.trustor_user_id)s',
    'Create a trust.',
    [op('POST', `${V3}/OS-TRUST/trusts`)],
    ['project'],
  ),
  rule(
    'list_trusts',
    ADMIN_OR_SYSTEM_READER,
    'List all trusts.',
    [op('GET', `${V3}/OS-TRUST/trusts`), op('HEAD', `${V3}/OS-TRUST/trusts`)],
    ['system'],
  ),
  rule(
    'list_trusts_for_trustor',
    `(${SYSTEM_READER}) or ${TRUSTOR}`,
    'List the trusts a user is the trustor of.',
    [op('GET', `${V3}/OS-TRUST/trusts?trustor_user_id={trustor_user_id}`)],
    ['system', 'project'],
  ),
  rule(
    'list_trusts_for_trustee',
    `(${SYSTEM_READER}) or ${TRUSTEE}`,
    'List the trusts a user is the trustee of.',
    [op('GET', `${V3}/OS-TRUST/trusts?trustee_user_id={trustee_user_id}`)],
    ['system', 'project'],
  ),
  rule(
    'get_trust',
    `(${SYSTEM_READER}) or ${TRUSTOR} or ${TRUSTEE}`,
    'Show a trust.',
    [op('GET', `${V3}/OS-TRUST/trusts/{trust_id}`), op('HEAD', `${V3}/OS-TRUST/trusts/{trust_id}`)],
    ['system', 'project'],
  ),
  rule(
    'list_roles_for_trust',
    `(${SYSTEM_READER}) or ${TRUSTOR} or ${TRUSTEE}`,
    'List the roles a trust delegates.',
    [op('GET', `${V3}/OS-TRUST/trusts/{trust_id}/roles`), op('HEAD', `${V3}/OS-TRUST/trusts/{trust_id}/roles`)],
    ['system', 'project'],
  ),
  rule(
    'get_role_for_trust',
    `(${SYSTEM_READER}) or ${TRUSTOR} or ${TRUSTEE}`,
    'Check a role a trust delegates.',
    [
      op('GET', `${V3}/OS-TRUST/trusts/{trust_id}/roles/{role_id}`),
      op('HEAD', `${V3}/OS-TRUST/trusts/{trust_id}/roles/{role_id}`),
    ],
    ['system', 'project'],
  ),
  rule(
    'delete_trust',
    `(role:admin and system_scope:all) or ${TRUSTOR}`,
    'Delete a trust.',
    [op('DELETE', `${V3}/OS-TRUST/trusts/{trust_id}`)],
    ['system', 'project'],
  ),
  // access rules: only new (Train) defaults, which the system or the owner pass
  rule(
    'get_access_rule',
    `(${SYSTEM_READER}) or user_id:%(target.user.id)s`,
    'Show an access rule.',
    [
      op('GET', `${V3}/users/{user_id}/access_rules/{access_rule_id}`),
      op('HEAD', `${V3}/users/{user_id}/access_rules/{access_rule_id}`),
    ],
    ['system', 'project'],
  ),
  rule(
    'list_access_rules',
    `(${SYSTEM_READER}) or user_id:%(target.user.id)s`,
    "List a user's access rules.",
    [op('GET', `${V3}/users/{user_id}/access_rules`), op('HEAD', `${V3}/users/{user_id}/access_rules`)],
    ['system', 'project'],
  ),
  rule(
    'delete_access_rule',
    '(role:admin and system_scope:all) or user_id:%(target.user.id)s',
    'Delete an access rule.',
    [op('DELETE', `${V3}/users/{user_id}/access_rules/{access_rule_id}`)],
    ['system', 'project'],
  ),
  rule(
    'get_application_credential',
    `${ADMIN_OR_SYSTEM_READER} or rule:owner`,
    'Show an application credential.',
    [op('GET', `${V3}/users/{user_id}/application_credentials/{application_credential_id}`)],
    ['system', 'project'],
  ),
  rule(
    'list_application_credentials',
    `${ADMIN_OR_SYSTEM_READER} or rule:owner`,
    'List application credentials.',
    [op('GET', `${V3}/users/{user_id}/application_credentials`)],
    ['system', 'project'],
  ),
  rule(
    'create_application_credential',
    'user_id:%(user_id)s',
    'Create an application credential.',
    [op('POST', `${V3}/users/{user_id}/application_credentials`)],
    ['project'],
  ),
  rule(
    'delete_application_credential',
    'rule:admin_required or rule:owner',
    'Delete an application credential.',
    [op('DELETE', `${V3}/users/{user_id}/application_credentials/{application_credential_id}`)],
    ['system', 'project'],
  ),
];

/** A policy target as oslo.policy sees Keystone's: nested objects, plus each nested value under its
 * dotted name ('target.user.id'), which is how Keystone flattens targets for %(...)s checks. */
export const policyTarget = flattenTarget;

export function identityEnforcer(opts: {
  config: Pick<Config, 'policyFile' | 'enforceScope' | 'enforceNewDefaults'>;
  configDir: string;
  log?: { warn(msg: string): void };
}): PolicyEnforcer {
  return createEnforcer({ ...opts, rules: IDENTITY_RULES });
}
