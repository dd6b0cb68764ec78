// What the identity route modules share: policy checks with Keystone-shaped targets, the caller's
// validated token, HEAD for every GET (Keystone, on Flask, answers HEAD wherever it answers GET)
// and a trailing slash for every path.
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

/** The target of a list the caller may narrow to one domain: that domain, for the domain-reader
 * checks. Unfiltered there is no target domain, so those checks fail (as Keystone's KeyError),
 * instead of a project token's empty domain matching an empty filter (None == None). */
export function domainFilterTarget(domainId: string | undefined): Record<string, unknown> {
  return domainId === undefined ? {} : { target: { domain_id: domainId } };
}

export function withHead(routes: RouteTable): RouteTable {
  const out: RouteTable = {};
  for (const [path, methods] of Object.entries(routes)) {
    out[path] = methods.GET && !methods.HEAD ? { ...methods, HEAD: methods.GET } : methods;
  }
  return out;
}

/** Keystone strips a trailing slash from every path (its url_normalize middleware), and clients
 * rely on it (tempest lists trusts at OS-TRUST/trusts/): each route answers with one too. */
export function withTrailingSlash(routes: RouteTable): RouteTable {
  const out: RouteTable = { ...routes };
  for (const [path, methods] of Object.entries(routes)) {
    if (!path.endsWith('/') && !(`${path}/` in out)) out[`${path}/`] = methods;
  }
  return out;
}

/** A path as Keystone routes it: without a trailing slash. */
export function normalizePath(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') || '/' : path;
}
