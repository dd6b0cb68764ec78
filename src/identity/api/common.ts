// What the identity route modules share: policy checks with Keystone-shaped targets, the caller's
// validated token, and HEAD for every GET (Keystone, on Flask, answers HEAD wherever it answers GET).
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import { policyTarget } from '../policies.js';
import type { ValidatedToken } from '../token/model.js';

const callers = new WeakMap<FastifyRequest, ValidatedToken>();

export function setCaller(req: FastifyRequest, vt: ValidatedToken): void {
  callers.set(req, vt);
}

/** The validated token of an authenticated request. */
export function caller(req: FastifyRequest): ValidatedToken {
  const vt = callers.get(req);
  if (!vt) throw new Error('request was not authenticated by identity');
  return vt;
}

export function enforcer(identity: Identity) {
  return (req: FastifyRequest, rule: string, target: Record<string, unknown> = {}) =>
    identity.policy.enforce(req.ctx, `identity:${rule}`, policyTarget(target));
}

export function withHead(routes: RouteTable): RouteTable {
  const out: RouteTable = {};
  for (const [path, methods] of Object.entries(routes)) {
    out[path] = methods.GET && !methods.HEAD ? { ...methods, HEAD: methods.GET } : methods;
  }
  return out;
}
