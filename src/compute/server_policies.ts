// The policy rules of servers, their actions and instance actions, with Nova Zed's names and
// defaults (nova/policies/servers.py, lock_server.py, pause_server.py, suspend_server.py,
// extended_server_attributes.py, instance_actions.py, server_groups.py): a project's members act on its servers,
// its readers see them, administrators do anything.
import type { PolicyRule } from '../common/policy/index.js';

export const ADMIN = 'rule:context_is_admin';
export const MEMBER = 'rule:project_member_or_admin';
export const READER = 'rule:project_reader_or_admin';
const LEGACY_OWNER = { name: 'rule:admin_or_owner', checkStr: 'is_admin:True or project_id:%(project_id)s' };
const LEGACY_ADMIN = { name: 'rule:admin_api', checkStr: 'is_admin:True' };

export const SERVER = '/servers/{server_id}';
export const ACTION = `${SERVER}/action`;

/** A project-scoped rule on servers, whose legacy default was the admin's or the owner's. */
export function rule(name: string, checkStr: string, description: string, ops: [string, string][]): PolicyRule {
  const legacy = checkStr === ADMIN ? LEGACY_ADMIN : LEGACY_OWNER;
  return {
    name: `os_compute_api:${name}`,
    checkStr,
    description,
    scopeTypes: ['project'],
    operations: ops.map(([method, path]) => ({ method, path })),
    deprecatedRule: { ...legacy, name: legacy.name },
  };
}

export const SERVER_RULES: readonly PolicyRule[] = [
  rule('servers:index', READER, 'List all servers', [['GET', '/servers']]),
  rule('servers:detail', READER, 'List all servers with detailed information', [['GET', '/servers/detail']]),
  rule('servers:index:get_all_tenants', ADMIN, 'List all servers for all projects', [['GET', '/servers']]),
  rule('servers:detail:get_all_tenants', ADMIN, 'List all servers with detailed information for all projects', [
    ['GET', '/servers/detail'],
  ]),
  rule('servers:allow_all_filters', ADMIN, 'Allow all filters when listing servers', [
    ['GET', '/servers'],
    ['GET', '/servers/detail'],
  ]),
  rule('servers:show', READER, 'Show a server', [['GET', SERVER]]),
  rule(
    'servers:show:flavor-extra-specs',
    READER,
    'Starting with microversion 2.47, the flavor and its extra ' +
      'specs used for a server is also returned in the response when showing server details, updating a server ' +
      'or rebuilding a server.',
    [
      ['GET', SERVER],
      ['GET', '/servers/detail'],
      ['PUT', SERVER],
    ],
  ),
  rule('servers:show:host_status', ADMIN, 'Show a server with additional host status information.', [
    ['GET', SERVER],
    ['GET', '/servers/detail'],
  ]),
  rule('servers:create', MEMBER, 'Create a server', [['POST', '/servers']]),
  rule('servers:create:forced_host', ADMIN, 'Create a server on the specified host and/or node.', [
    ['POST', '/servers'],
  ]),
  rule(
    'servers:create:requested_destination',
    ADMIN,
    'Create a server on the requested compute service host ' + 'and/or hypervisor_hostname.',
    [['POST', '/servers']],
  ),
  rule('servers:update', MEMBER, 'Update a server', [['PUT', SERVER]]),
  rule('servers:delete', MEMBER, 'Delete a server', [['DELETE', SERVER]]),
  rule('servers:reboot', MEMBER, 'Reboot a server', [['POST', `${ACTION} (reboot)`]]),
  rule('servers:rebuild', MEMBER, 'Rebuild a server', [['POST', `${ACTION} (rebuild)`]]),
  rule('servers:resize', MEMBER, 'Resize a server', [['POST', `${ACTION} (resize)`]]),
  rule('servers:confirm_resize', MEMBER, 'Confirm a server resize', [['POST', `${ACTION} (confirmResize)`]]),
  rule('servers:revert_resize', MEMBER, 'Revert a server resize', [['POST', `${ACTION} (revertResize)`]]),
  rule('servers:create_image', MEMBER, 'Create an image from a server', [['POST', `${ACTION} (createImage)`]]),
  rule('servers:create_image:allow_volume_backed', MEMBER, 'Create an image from a volume backed server', [
    ['POST', `${ACTION} (createImage)`],
  ]),
  rule('servers:start', MEMBER, 'Start a server', [['POST', `${ACTION} (os-start)`]]),
  rule('servers:stop', MEMBER, 'Stop a server', [['POST', `${ACTION} (os-stop)`]]),
  rule('os-pause-server:pause', MEMBER, 'Pause a server', [['POST', `${ACTION} (pause)`]]),
  rule('os-pause-server:unpause', MEMBER, 'Unpause a paused server', [['POST', `${ACTION} (unpause)`]]),
  rule('os-suspend-server:suspend', MEMBER, 'Suspend server', [['POST', `${ACTION} (suspend)`]]),
  rule('os-suspend-server:resume', MEMBER, 'Resume suspended server', [['POST', `${ACTION} (resume)`]]),
  rule('os-lock-server:lock', MEMBER, 'Lock a server', [['POST', `${ACTION} (lock)`]]),
  rule('os-lock-server:unlock', MEMBER, 'Unlock a server', [['POST', `${ACTION} (unlock)`]]),
  rule('os-lock-server:unlock:unlock_override', ADMIN, 'Unlock a server, regardless who locked the server.', [
    ['POST', `${ACTION} (unlock)`],
  ]),
  rule('os-extended-server-attributes', ADMIN, 'Return extended attributes for server.', [
    ['GET', SERVER],
    ['GET', '/servers/detail'],
    ['PUT', SERVER],
  ]),
  rule('os-server-groups:create', 'rule:project_member_api', 'Create a new server group', [
    ['POST', '/os-server-groups'],
  ]),
  rule('os-server-groups:delete', MEMBER, 'Delete a server group', [['DELETE', '/os-server-groups/{server_group_id}']]),
  rule('os-server-groups:index', READER, 'List all server groups', [['GET', '/os-server-groups']]),
  rule('os-server-groups:index:all_projects', ADMIN, 'List all server groups for all projects', [
    ['GET', '/os-server-groups'],
  ]),
  rule('os-server-groups:show', READER, 'Show details of a server group', [
    ['GET', '/os-server-groups/{server_group_id}'],
  ]),
  rule('os-migrations:index', ADMIN, 'List migrations', [['GET', '/os-migrations']]),
  rule('servers:migrations:index', ADMIN, 'Lists in-progress live migrations for a given server', [
    ['GET', `${SERVER}/migrations`],
  ]),
  rule('servers:migrations:show', ADMIN, 'Show details for an in-progress live migration for a given server', [
    ['GET', `${SERVER}/migrations/{migration_id}`],
  ]),
  rule(
    'servers:migrations:force_complete',
    ADMIN,
    'Force an in-progress live migration for a given server to complete',
    [['POST', `${SERVER}/migrations/{migration_id}/action (force_complete)`]],
  ),
  rule('servers:migrations:delete', ADMIN, 'Delete(Abort) an in-progress live migration', [
    ['DELETE', `${SERVER}/migrations/{migration_id}`],
  ]),
  rule('os-instance-actions:list', READER, 'List actions for a server.', [['GET', `${SERVER}/os-instance-actions`]]),
  rule('os-instance-actions:show', READER, 'Show action details for a server.', [
    ['GET', `${SERVER}/os-instance-actions/{request_id}`],
  ]),
  rule('os-instance-actions:events', ADMIN, 'Add events details in action details for a server.', [
    ['GET', `${SERVER}/os-instance-actions/{request_id}`],
  ]),
  rule('os-instance-actions:events:details', ADMIN, 'Add "details" key in action events for a server.', [
    ['GET', `${SERVER}/os-instance-actions/{request_id}`],
  ]),
];
