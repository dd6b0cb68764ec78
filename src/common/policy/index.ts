// Policy enforcement interface shared by every service (oslo.policy semantics).
import type { RequestContext } from '../http/context.js';

export interface Enforcer {
  /** Throws a 403 HttpError unless `ctx` may perform `rule` on `target`. */
  enforce(ctx: RequestContext, rule: string, target?: Record<string, unknown>): void;
  /** Whether `ctx` may perform `rule` (no exception). */
  allowed(ctx: RequestContext, rule: string, target?: Record<string, unknown>): boolean;
}
