// The policy rules of what servers have beside their core API (nova/policies/admin_actions.py,
// deferred_delete.py, console_output.py, server_tags.py, server_metadata.py, ips.py,
// server_password.py, server_external_events.py, migrate_server.py, admin_password.py, create_backup.py,
// shelve.py, rescue.py, server_diagnostics.py, evacuate.py), with Nova Zed's names and defaults.
import type { PolicyRule } from '../common/policy/index.js';
import { ACTION, ADMIN, MEMBER, READER, rule, SERVER } from './server_policies.js';

const RESCUE = 'os_compute_api:os-rescue';

export const SERVER_EXTENSION_RULES: readonly PolicyRule[] = [
  rule('os-admin-actions:reset_state', ADMIN, 'Reset the state of a given server', [
    ['POST', `${ACTION} (os-resetState)`],
  ]),
  rule('os-migrate-server:migrate', ADMIN, 'Cold migrate a server to a host', [['POST', `${ACTION} (migrate)`]]),
  rule('os-migrate-server:migrate_live', ADMIN, 'Live migrate a server to a new host without a reboot', [
    ['POST', `${ACTION} (os-migrateLive)`],
  ]),
  rule('os-evacuate', ADMIN, 'Evacuate a server from a failed host to a new host', [['POST', `${ACTION} (evacuate)`]]),
  rule('os-admin-password', MEMBER, 'Change the administrative password for a server', [
    ['POST', `${ACTION} (changePassword)`],
  ]),
  rule('os-deferred-delete:restore', MEMBER, 'Restore a soft deleted server', [['POST', `${ACTION} (restore)`]]),
  rule('os-deferred-delete:force', MEMBER, 'Force delete a server before deferred cleanup', [
    ['POST', `${ACTION} (forceDelete)`],
  ]),
  rule('os-create-backup', MEMBER, 'Create a back up of a server', [['POST', `${ACTION} (createBackup)`]]),
  rule('os-shelve:shelve', MEMBER, 'Shelve server', [['POST', `${ACTION} (shelve)`]]),
  rule('os-shelve:unshelve', MEMBER, 'Unshelve (restore) shelved server', [['POST', `${ACTION} (unshelve)`]]),
  rule('os-shelve:unshelve_to_host', ADMIN, 'Unshelve (restore) shelve offloaded server to a specific host', [
    ['POST', `${ACTION} (unshelve)`],
  ]),
  rule('os-shelve:shelve_offload', ADMIN, 'Shelf-offload (remove) server', [['POST', `${ACTION} (shelveOffload)`]]),
  rule('os-console-output', MEMBER, 'Show console output for a server', [['POST', `${ACTION} (os-getConsoleOutput)`]]),
  // Nova's default is the legacy admin_api's in effect: it keeps no deprecated rule.
  {
    name: 'os_compute_api:os-server-diagnostics',
    checkStr: ADMIN,
    description: 'Show the usage data for a server',
    scopeTypes: ['project'],
    operations: [{ method: 'GET', path: `${SERVER}/diagnostics` }],
  },
  // Nova gives os-rescue no deprecated rule; os-unrescue, split out of it in Ussuri, has os-rescue's
  // old default as its own, so that an operator's override of os-rescue still covers unrescue.
  {
    name: RESCUE,
    checkStr: MEMBER,
    description: 'Rescue a server',
    scopeTypes: ['project'],
    operations: [{ method: 'POST', path: `${ACTION} (rescue)` }],
  },
  {
    ...rule('os-unrescue', MEMBER, 'Unrescue a server', [['POST', `${ACTION} (unrescue)`]]),
    deprecatedRule: { name: RESCUE, checkStr: 'is_admin:True or project_id:%(project_id)s' },
  },
  rule('os-server-tags:index', READER, 'List all tags for given server', [['GET', `${SERVER}/tags`]]),
  rule('os-server-tags:show', READER, 'Check tag existence on the server.', [['GET', `${SERVER}/tags/{tag}`]]),
  rule('os-server-tags:update_all', MEMBER, 'Replace all tags on specified server with the new set of tags.', [
    ['PUT', `${SERVER}/tags`],
  ]),
  rule('os-server-tags:update', MEMBER, 'Add a single tag to the server if server has no specified tag', [
    ['PUT', `${SERVER}/tags/{tag}`],
  ]),
  rule('os-server-tags:delete_all', MEMBER, 'Delete all the server tags', [['DELETE', `${SERVER}/tags`]]),
  rule('os-server-tags:delete', MEMBER, 'Delete a single tag from the specified server', [
    ['DELETE', `${SERVER}/tags/{tag}`],
  ]),
  rule('server-metadata:index', READER, 'List all metadata of a server', [['GET', `${SERVER}/metadata`]]),
  rule('server-metadata:show', READER, 'Show metadata for a server', [['GET', `${SERVER}/metadata/{key}`]]),
  rule('server-metadata:create', MEMBER, 'Create metadata for a server', [['POST', `${SERVER}/metadata`]]),
  rule('server-metadata:update_all', MEMBER, 'Replace metadata for a server', [['PUT', `${SERVER}/metadata`]]),
  rule('server-metadata:update', MEMBER, 'Update metadata from a server', [['PUT', `${SERVER}/metadata/{key}`]]),
  rule('server-metadata:delete', MEMBER, 'Delete metadata from a server', [['DELETE', `${SERVER}/metadata/{key}`]]),
  rule('ips:index', READER, 'List IP addresses that are assigned to a server', [['GET', `${SERVER}/ips`]]),
  rule('ips:show', READER, 'Show IP addresses details for a network label of a server', [
    ['GET', `${SERVER}/ips/{network_label}`],
  ]),
  rule('os-server-password:show', READER, 'Show the encrypted administrative password of a server', [
    ['GET', `${SERVER}/os-server-password`],
  ]),
  rule('os-server-password:clear', MEMBER, 'Clear the encrypted administrative password of a server', [
    ['DELETE', `${SERVER}/os-server-password`],
  ]),
  rule('os-server-external-events:create', ADMIN, 'Create one or more external events', [
    ['POST', '/os-server-external-events'],
  ]),
];
