// Interim enforcer: admin role passes everything. Replaced by the oslo.policy engine.
import { forbidden } from '../http/errors.js';
import type { RequestContext } from '../http/context.js';
import type { Enforcer } from './index.js';

export class AdminOnlyEnforcer implements Enforcer {
  allowed(ctx: RequestContext): boolean {
    return ctx.roles.includes('admin');
  }
  enforce(ctx: RequestContext, rule: string): void {
    if (!this.allowed(ctx)) throw forbidden(`Policy does not allow ${rule} to be performed.`);
  }
}
