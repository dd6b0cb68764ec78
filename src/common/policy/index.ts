// Policy enforcement shared by every service, with oslo.policy's rule language and semantics.
import type { RequestContext } from '../http/context.js';

export interface Enforcer {
  /** Throws a 403 HttpError unless `ctx` may perform `rule` on `target`. */
  enforce(ctx: RequestContext, rule: string, target?: Record<string, unknown>): void;
  /** Whether `ctx` may perform `rule` (no exception). */
  allowed(ctx: RequestContext, rule: string, target?: Record<string, unknown>): boolean;
}

export type { PolicyRule, ScopeType } from './rule.js';
export { PolicyEnforcer, type EnforcerOptions } from './enforcer.js';
export { createEnforcer, type CreateEnforcerOptions } from './create.js';
export { readPolicyFile, policyFilePath } from './file.js';
export { renderSamplePolicy } from './sample.js';
export { flattenTarget } from './credentials.js';
export { parseCheck } from './parser.js';
