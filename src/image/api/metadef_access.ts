// Who may see and do what with metadata definitions, as Glance's MetadefAPIPolicy and its database
// layer decide it: a namespace the caller cannot see is a 404 (with the message each API has), and
// a refused rule on a namespace the caller cannot read is a 404 too, never a 403, so that nobody
// learns what other projects define. Also the request and view helpers the metadef APIs share.
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../../common/http/errors.js';
import type { Image } from '../context.js';
import { badRequest, forbidden, hiddenNotFound } from '../errors.js';
import { isObject, requireJson, validateAgainst } from '../http.js';
import { isoTime } from '../objects/image.js';
import { findNamespace, isNamespaceVisible, type NamespaceRecord } from '../objects/metadef_namespace.js';
import { callerOf, notAuthorized, type Caller } from './access.js';

export class MetadefAccess {
  constructor(
    readonly image: Image,
    readonly caller: Caller,
    readonly namespace?: NamespaceRecord,
  ) {}

  /** The namespace (its owner as project_id), or the caller's project when there is none. */
  private target(): Record<string, unknown> {
    const t = this.namespace
      ? { project_id: this.namespace.owner, visibility: this.namespace.visibility }
      : { project_id: this.caller.project ?? undefined };
    return Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined));
  }

  allowed(rule: string): boolean {
    return this.image.policy.allowed(this.caller.ctx, rule, this.target());
  }

  enforce(rule: string): void {
    if (this.allowed(rule)) return;
    if (rule === 'get_metadef_namespace' || !this.allowed('get_metadef_namespace')) throw hiddenNotFound();
    throw notAuthorized(rule);
  }
}

export function metadefAccess(image: Image, req: FastifyRequest): MetadefAccess {
  return new MetadefAccess(image, callerOf(image, req));
}

/** How an API says a namespace was not found (Glance's messages differ from one API to the next):
 * `generic` "Namespace N not found" whether it is missing or hidden; `specific` names a missing one
 * as the database layer does and a hidden one generically; `show` says nothing of a hidden one. */
export type NotFoundStyle = 'generic' | 'specific' | 'show';

/** Access to a namespace that exists and is visible. */
export type NamespaceAccess = MetadefAccess & { namespace: NamespaceRecord };

export async function lookupNamespace(
  image: Image,
  req: FastifyRequest,
  name: string,
  style: NotFoundStyle = 'generic',
): Promise<NamespaceAccess> {
  const caller = callerOf(image, req);
  const ns = await findNamespace(image.db, name);
  const generic = () => new HttpError(404, `Namespace ${name} not found`);
  if (!ns)
    throw style === 'generic' ? generic() : new HttpError(404, `Metadata definition namespace=${name} was not found.`);
  if (!isNamespaceVisible(caller, ns)) throw style === 'show' ? hiddenNotFound() : generic();
  return new MetadefAccess(image, caller, ns) as NamespaceAccess;
}

/** "An object", per schema name (schemas are compiled once per object). */
const OBJECT_SCHEMAS = new Map<string, { name: string; type: 'object' }>();

/** A create or update body: the read-only attributes refused (403), then the schema (400). */
export function metadefBody(
  req: FastifyRequest,
  schema: { name: string },
  readOnly: string[],
): Record<string, unknown> {
  const body = requireJson(req);
  if (isObject(body)) {
    const key = readOnly.find((k) => Object.hasOwn(body, k));
    if (key) throw forbidden(`Attribute '${key}' is read-only.`);
  }
  // Glance's schemas do not say "object" (a list would get past them and fail later): ask first.
  let object = OBJECT_SCHEMAS.get(schema.name);
  if (!object) OBJECT_SCHEMAS.set(schema.name, (object = { name: schema.name, type: 'object' }));
  validateAgainst(object, body);
  validateAgainst(schema, body);
  return body as Record<string, unknown>;
}

/** Glance's list parameters: sort_dir asc or desc, limit a non-negative integer. */
export function sortDir(value: string | null): 'asc' | 'desc' {
  const dir = value ?? 'desc';
  if (dir !== 'asc' && dir !== 'desc') throw badRequest(`Invalid sort direction: ${dir}`);
  return dir;
}

export function listLimit(value: string | null, opts: { positive?: boolean } = {}): number | undefined {
  if (value === null) return undefined;
  if (!/^\s*[+-]?\d+\s*$/.test(value)) throw badRequest('limit param must be an integer');
  const n = Number(value);
  if (n < 0 || (opts.positive && n === 0)) throw badRequest('limit param must be positive');
  return n;
}

export function sortKey(value: string | null, allowed: string[]): string {
  const key = value ?? 'created_at';
  if (!allowed.includes(key)) throw badRequest(`Invalid sort key: ${key}`);
  return key;
}

/** A view without its null attributes (Glance's models leave them out). */
export function compact(view: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(view).filter(([, v]) => v !== null && v !== undefined));
}

export function timestamps(r: { created_at: string; updated_at: string }) {
  return { created_at: isoTime(r.created_at), updated_at: isoTime(r.updated_at) };
}

export const namespaceHref = (name: string) => `/v2/metadefs/namespaces/${name}`;
