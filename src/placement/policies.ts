// Placement's policy rules with the defaults of upstream placement 8.0.0 (Zed): system readers read,
// system admins write, project readers see their own project's usages. Until the operator sets
// [oslo_policy] enforce_new_defaults, the base rules also let anyone with the admin role through
// (the pre-Wallaby default), whatever the token's scope.
import type { RequestContext } from '../common/http/context.js';
import type { Config } from '../common/config.js';
import { createEnforcer, type PolicyEnforcer, type PolicyRule, type ScopeType } from '../common/policy/index.js';

const SYSTEM_ADMIN = 'rule:system_admin_api';
const SYSTEM_READER = 'rule:system_reader_api';
const SYSTEM_OR_PROJECT_READER = 'rule:system_or_project_reader';
/** Upstream names the deprecated default by its reference, so no policy file key can match it. */
const LEGACY_ADMIN = { name: 'rule:admin_api', checkStr: 'role:admin' };

const BASE_RULES: PolicyRule[] = [
  {
    name: 'admin_api',
    checkStr: 'role:admin',
    scopeTypes: ['system'],
    description: 'The pre-Wallaby default of most Placement APIs (deprecated for removal).',
  },
  {
    name: 'system_admin_api',
    checkStr: 'role:admin and system_scope:all',
    deprecatedRule: LEGACY_ADMIN,
    description: 'Administrators of the whole deployment (system scope).',
  },
  {
    name: 'system_reader_api',
    checkStr: 'role:reader and system_scope:all',
    deprecatedRule: LEGACY_ADMIN,
    description: 'Read-only access to the whole deployment (system scope).',
  },
  {
    name: 'project_reader_api',
    checkStr: 'role:reader and project_id:%(project_id)s',
    deprecatedRule: LEGACY_ADMIN,
    description: "Read-only access to what belongs to the caller's project.",
  },
  {
    name: 'system_or_project_reader',
    checkStr: 'rule:system_reader_api or rule:project_reader_api',
    deprecatedRule: LEGACY_ADMIN,
    description: 'System readers, or readers of the project concerned.',
  },
];

type Op = [method: string, path: string];

function api(
  name: string,
  checkStr: string,
  description: string,
  ops: Op[],
  scopeTypes: ScopeType[] = ['system'],
): PolicyRule {
  return {
    name: `placement:${name}`,
    checkStr,
    description,
    scopeTypes,
    operations: ops.map(([method, path]) => ({ method, path })),
  };
}

const RP = '/resource_providers/{uuid}';

export const PLACEMENT_RULES: readonly PolicyRule[] = [
  ...BASE_RULES,
  api('resource_providers:list', SYSTEM_READER, 'List resource providers.', [['GET', '/resource_providers']]),
  api('resource_providers:create', SYSTEM_ADMIN, 'Create a resource provider.', [['POST', '/resource_providers']]),
  api('resource_providers:show', SYSTEM_READER, 'Show a resource provider.', [['GET', RP]]),
  api('resource_providers:update', SYSTEM_ADMIN, 'Update a resource provider.', [['PUT', RP]]),
  api('resource_providers:delete', SYSTEM_ADMIN, 'Delete a resource provider.', [['DELETE', RP]]),

  api('resource_classes:list', SYSTEM_READER, 'List resource classes.', [['GET', '/resource_classes']]),
  api('resource_classes:create', SYSTEM_ADMIN, 'Create a resource class.', [['POST', '/resource_classes']]),
  api('resource_classes:show', SYSTEM_READER, 'Show a resource class.', [['GET', '/resource_classes/{name}']]),
  api('resource_classes:update', SYSTEM_ADMIN, 'Create or update a resource class.', [
    ['PUT', '/resource_classes/{name}'],
  ]),
  api('resource_classes:delete', SYSTEM_ADMIN, 'Delete a resource class.', [['DELETE', '/resource_classes/{name}']]),

  api('resource_providers:inventories:list', SYSTEM_READER, "List a resource provider's inventories.", [
    ['GET', `${RP}/inventories`],
  ]),
  api('resource_providers:inventories:create', SYSTEM_ADMIN, 'Add one inventory to a resource provider.', [
    ['POST', `${RP}/inventories`],
  ]),
  api('resource_providers:inventories:show', SYSTEM_READER, 'Show one inventory of a resource provider.', [
    ['GET', `${RP}/inventories/{resource_class}`],
  ]),
  api(
    'resource_providers:inventories:update',
    SYSTEM_ADMIN,
    "Replace a resource provider's inventories, or one of them.",
    [
      ['PUT', `${RP}/inventories`],
      ['PUT', `${RP}/inventories/{resource_class}`],
    ],
  ),
  api(
    'resource_providers:inventories:delete',
    SYSTEM_ADMIN,
    "Delete a resource provider's inventories, or one of them.",
    [
      ['DELETE', `${RP}/inventories`],
      ['DELETE', `${RP}/inventories/{resource_class}`],
    ],
  ),

  api('resource_providers:aggregates:list', SYSTEM_READER, 'List the aggregates a resource provider is in.', [
    ['GET', `${RP}/aggregates`],
  ]),
  api('resource_providers:aggregates:update', SYSTEM_ADMIN, 'Set the aggregates a resource provider is in.', [
    ['PUT', `${RP}/aggregates`],
  ]),

  api('resource_providers:usages', SYSTEM_READER, "Show a resource provider's usages.", [['GET', `${RP}/usages`]]),
  api(
    'usages',
    SYSTEM_OR_PROJECT_READER,
    'Show the total usages of a project (and user).',
    [['GET', '/usages']],
    ['system', 'project'],
  ),

  api('traits:list', SYSTEM_READER, 'List traits.', [['GET', '/traits']]),
  api('traits:show', SYSTEM_READER, 'Check that a trait exists.', [['GET', '/traits/{name}']]),
  api('traits:update', SYSTEM_ADMIN, 'Create a custom trait.', [['PUT', '/traits/{name}']]),
  api('traits:delete', SYSTEM_ADMIN, 'Delete a custom trait.', [['DELETE', '/traits/{name}']]),
  api('resource_providers:traits:list', SYSTEM_READER, "List a resource provider's traits.", [['GET', `${RP}/traits`]]),
  api('resource_providers:traits:update', SYSTEM_ADMIN, "Set a resource provider's traits.", [['PUT', `${RP}/traits`]]),
  api('resource_providers:traits:delete', SYSTEM_ADMIN, 'Remove all traits from a resource provider.', [
    ['DELETE', `${RP}/traits`],
  ]),

  api('allocations:manage', SYSTEM_ADMIN, 'Write the allocations of several consumers at once.', [
    ['POST', '/allocations'],
  ]),
  api('allocations:list', SYSTEM_READER, "Show a consumer's allocations.", [['GET', '/allocations/{consumer_uuid}']]),
  api('allocations:update', SYSTEM_ADMIN, "Replace a consumer's allocations.", [
    ['PUT', '/allocations/{consumer_uuid}'],
  ]),
  api('allocations:delete', SYSTEM_ADMIN, "Delete a consumer's allocations.", [
    ['DELETE', '/allocations/{consumer_uuid}'],
  ]),
  api('resource_providers:allocations:list', SYSTEM_READER, 'List the allocations against a resource provider.', [
    ['GET', `${RP}/allocations`],
  ]),

  api('allocation_candidates:list', SYSTEM_READER, 'List allocation candidates for a request.', [
    ['GET', '/allocation_candidates'],
  ]),

  api('reshaper:reshape', SYSTEM_ADMIN, 'Move inventories and allocations between providers in one step.', [
    ['POST', '/reshaper'],
  ]),
];

/** Placement's target when a handler names none (upstream `context.can(action)`): the caller's own
 * project and user, which is what `project_id:%(project_id)s` then compares with. */
export const defaultTarget = (ctx: RequestContext) => ({ project_id: ctx.projectId, user_id: ctx.userId });

export const PLACEMENT_POLICY_MODES = ['default', 'legacy', 'open', 'secure'] as const;
export type PlacementPolicyMode = (typeof PLACEMENT_POLICY_MODES)[number];

/** The policy modes upstream's functional tests run under (their policy fixtures), as settings:
 * `default`/`legacy` keep the deprecated admin fallback and ignore scope, `secure` enforces new
 * defaults and scope, `open` lets any token through every rule but `admin_api`. Unset: whatever
 * concord.conf says. */
export function placementPolicyMode(mode: string | undefined): {
  config: Partial<Pick<Config, 'enforceScope' | 'enforceNewDefaults'>>;
  open: boolean;
} {
  if (mode === undefined || mode === '') return { config: {}, open: false };
  if (!(PLACEMENT_POLICY_MODES as readonly string[]).includes(mode)) {
    throw new Error(`PLACEMENT_POLICY_MODE=${mode}: expected one of ${PLACEMENT_POLICY_MODES.join(', ')}`);
  }
  const secure = mode === 'secure';
  return { config: { enforceScope: secure, enforceNewDefaults: secure }, open: mode === 'open' };
}

export function placementEnforcer(opts: {
  config: Pick<Config, 'policyFile' | 'enforceScope' | 'enforceNewDefaults'>;
  configDir: string;
  open?: boolean;
  log?: { warn(msg: string): void };
}): PolicyEnforcer {
  return createEnforcer({
    ...opts,
    rules: PLACEMENT_RULES,
    defaultTarget,
    open: opts.open ? { except: ['admin_api'] } : false,
  });
}
