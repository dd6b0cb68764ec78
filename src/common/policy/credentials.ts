// What checks see of the caller (oslo.context's to_policy_values) and of the target, and which
// scope the caller's token has.
import type { RequestContext } from '../http/context.js';
import type { ScopeType } from './rule.js';

/** The caller's attributes for `KIND:MATCH` checks. A service adds its own through
 * `ctx.policyValues` (Keystone: the token, for `token.project.domain.id:...`), and only a service
 * that says so makes `is_admin` true. */
export function credentialsOf(ctx: RequestContext): Record<string, unknown> {
  return {
    user_id: ctx.userId,
    project_id: ctx.projectId,
    domain_id: ctx.domainId ?? null,
    system_scope: ctx.systemScope,
    // oslo.policy copies system_scope to 'system' for services whose rules predate the rename.
    ...(ctx.systemScope ? { system: ctx.systemScope } : {}),
    roles: ctx.roles,
    is_admin: false,
    ...ctx.policyValues,
  };
}

export function tokenScope(ctx: RequestContext): ScopeType {
  if (ctx.systemScope === 'all') return 'system';
  if (ctx.domainId && !ctx.projectId) return 'domain';
  return 'project';
}

/** The target with every nested value also under its dotted path ('target.user.id'), which is
 * how `%(target.user.id)s` reaches into nested targets (Keystone and oslopolicy-checker flatten
 * them the same way). Top-level entries are kept as given. */
export function flattenTarget(target: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  const walk = (prefix: string, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(prefix ? `${prefix}.${k}` : k, x);
    } else if (prefix.includes('.')) {
      out[prefix] = v;
    }
  };
  walk('', target);
  return out;
}
