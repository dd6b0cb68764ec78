// Request helpers of the compute API, read as Nova's wsgi and validation layers read requests:
// JSON bodies (application/json, or no declared type) validated against a TypeBox schema with
// Nova's wording of a failure, query parameters as lists of values, the API's root URL.
import type { FastifyRequest } from 'fastify';
import type { Static, TSchema } from '@sinclair/typebox';
import { schemaError } from '../common/http/json-schema.js';
import { HttpError } from '../common/http/errors.js';
import { pyRepr } from '../common/http/pyrepr.js';
import { queryPairs } from '../common/http/request_params.js';
import type { Compute } from './context.js';
import { Version } from '../common/http/microversion.js';
import { badRequest, forbidden, notFound } from './errors.js';

/** Where the versioned API lives under the service root (DevStack catalogs .../compute/v2.1). */
export const API_ROOT = '/v2.1';

const JSON_TYPES = new Set(['application/json', 'application/vnd.openstack.compute+json']);

/** Python's str() of a JSON value, as Nova puts it in "Value: ..." */
function pyStrValue(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

type SchemaNode = {
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
};

/** A string as Python's int() or float() reads it, or null. */
function numberFromString(s: string): number | null {
  return /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(s) ? Number(s) : null;
}

/** Nova's validator also holds strings of digits to a schema's minimum and maximum (a number may
 * come as a string, "1024"); JSON Schema leaves strings alone there. The first such failure. */
function numericStringError(
  schema: SchemaNode,
  data: unknown,
  path: string[] = [],
): { message: string; path: string[]; value: unknown } | null {
  if (typeof data === 'string') {
    const n = numberFromString(data);
    if (n === null) return null;
    const fail = (message: string) => ({ message, path, value: data });
    if (schema.minimum !== undefined && n < schema.minimum) {
      return fail(`${pyRepr(n)} is less than the minimum of ${pyRepr(schema.minimum)}`);
    }
    if (schema.exclusiveMinimum !== undefined && n <= schema.exclusiveMinimum) {
      return fail(`${pyRepr(n)} is less than or equal to the minimum of ${pyRepr(schema.exclusiveMinimum)}`);
    }
    if (schema.maximum !== undefined && n > schema.maximum) {
      return fail(`${pyRepr(n)} is greater than the maximum of ${pyRepr(schema.maximum)}`);
    }
    return null;
  }
  if (Array.isArray(data)) {
    for (const [i, v] of data.entries()) {
      const e = schema.items && numericStringError(schema.items, v, [...path, String(i)]);
      if (e) return e;
    }
    return null;
  }
  if (data === null || typeof data !== 'object') return null;
  for (const [k, v] of Object.entries(data)) {
    const sub =
      schema.properties?.[k] ??
      Object.entries(schema.patternProperties ?? {}).find(([re]) => new RegExp(re).test(k))?.[1];
    const e = sub && numericStringError(sub, v, [...path, k]);
    if (e) return e;
  }
  return null;
}

/** The request's JSON body, whatever it is; 415 for a body declared as something else. */
export function readJson(req: FastifyRequest): unknown {
  const ctype = req.headers['content-type']?.split(';')[0]!.trim().toLowerCase();
  if (ctype && ctype !== 'text/plain' && !JSON_TYPES.has(ctype)) throw new HttpError(415, 'Unsupported Content-Type');
  const raw = typeof req.body === 'string' ? req.body : '';
  // Nova calls the handler without a body, which then fails for want of one.
  if (raw.trim() === '') throw badRequest();
  try {
    return JSON.parse(raw);
  } catch {
    throw badRequest('Malformed request body');
  }
}

/** `data` with every string adminPass (at any depth) replaced by ******; `data` itself when it has
 * none. */
function maskPasswords(data: unknown): unknown {
  if (Array.isArray(data)) {
    const items = data.map(maskPasswords);
    return items.some((v, i) => v !== data[i]) ? items : data;
  }
  if (data === null || typeof data !== 'object') return data;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(data)) {
    const m = k === 'adminPass' && typeof v === 'string' ? '******' : maskPasswords(v);
    if (m !== v) (out ??= { ...(data as Record<string, unknown>) })[k] = m;
  }
  return out ?? data;
}

/** `data`, valid against `schema`, or a 400 worded as Nova's validation words it. A password is any
 * string to Nova's schemas, so they check it masked: a failure that quotes the body (Nova's would)
 * never quotes a password back. */
export function validate<S extends TSchema>(schema: S, data: unknown): Static<S> {
  const checked = maskPasswords(data);
  const err = schemaError(schema, checked) ?? numericStringError(schema as SchemaNode, checked);
  if (err) {
    const field = err.path[err.path.length - 1];
    throw badRequest(
      field === undefined
        ? err.message
        : `Invalid input for field/attribute ${field}. Value: ${pyStrValue(err.value)}. ${err.message}`,
    );
  }
  return data;
}

/** The JSON request body, valid against `schema`. */
export function readBody<S extends TSchema>(req: FastifyRequest, schema: S): Static<S> {
  return validate(schema, readJson(req));
}

export type ActionHandler = (body: unknown) => Promise<unknown>;

/** POST .../action: the body's one key names the action (Nova's wsgi action dispatch); the
 * handler gets the whole body. */
export async function dispatchAction(req: FastifyRequest, actions: Record<string, ActionHandler>): Promise<unknown> {
  const body = readJson(req);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('Malformed request body');
  const [name] = Object.keys(body);
  if (name === undefined) throw badRequest('Malformed request body');
  const handler = Object.hasOwn(actions, name) ? actions[name] : undefined;
  if (!handler) throw badRequest(`There is no such action: ${name}`);
  return handler(body);
}

/** The query string as name → values, validated against `schema` (whose properties are arrays, as
 * Nova's multi_params). Names the schema does not know are dropped unless it refuses them. */
export function readQuery(
  req: FastifyRequest,
  schema: TSchema & { properties?: Record<string, unknown> },
): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  for (const [k, v] of queryPairs(req)) (query[k] ??= []).push(v);
  const err = schemaError(schema, query);
  if (err) {
    const [name] = err.path;
    throw badRequest(
      name === undefined
        ? err.message
        : `Invalid input for query parameters ${name}. Value: ${pyStrValue(err.value)}. ${err.message}`,
    );
  }
  const known = Object.keys(schema.properties ?? {});
  return Object.fromEntries(Object.entries(query).filter(([k]) => known.includes(k)));
}

/** The first value of a query parameter (WebOb's getall()[0]). */
export function first(query: Record<string, string[]>, name: string): string | undefined {
  return query[name]?.[0];
}

/** The last value of a query parameter (WebOb's req.GET.get() and req.GET[name]). */
export function last(query: Record<string, string[]>, name: string): string | undefined {
  return query[name]?.[query[name].length - 1];
}

/** A method that exists only from (or until) some microversion is a 404 outside it, as Nova's
 * VersionNotFoundForAPIMethod. */
export function requireVersion(req: FastifyRequest, min: string, max?: string): void {
  if (req.version.lt(min) || (max !== undefined && req.version.cmp(Version.parse(max)!) > 0)) throw notFound();
}

/** Whether the caller is an administrator (Nova's context.is_admin, see service.ts). */
export function isAdmin(req: FastifyRequest): boolean {
  return req.ctx.policyValues?.is_admin === true;
}

/** Policy check: 403 in Nova's words unless `rule` allows the caller (on `target`; by default
 * the caller's own project and user). */
export function authorize(compute: Compute, req: FastifyRequest, rule: string, target?: Record<string, unknown>): void {
  if (!compute.policy.allowed(req.ctx, rule, target)) throw forbidden(`Policy doesn't allow ${rule} to be performed.`);
}

/** Whether `rule` allows the caller, for what a view shows (Nova's context.can(fatal=False)). */
export function allowed(
  compute: Compute,
  req: FastifyRequest,
  rule: string,
  target?: Record<string, unknown>,
): boolean {
  return compute.policy.allowed(req.ctx, rule, target);
}

/** The service root as clients reach it (http://host/compute): [DEFAULT] public_endpoint behind
 * a proxy, else the request's own host. */
export function serviceUrl(compute: Compute, req: FastifyRequest): string {
  // A server list asks it three times per server: once per request is enough.
  let url = serviceUrls.get(req);
  if (url === undefined) {
    const base = compute.config.publicEndpoint
      ? compute.config.publicEndpoint.replace(/\/+$/, '')
      : `${req.protocol}://${req.headers.host ?? req.hostname}`;
    serviceUrls.set(req, (url = `${base}${req.scriptName}`));
  }
  return url;
}
const serviceUrls = new WeakMap<FastifyRequest, string>();

/** A resource's self (versioned) and bookmark (unversioned) links, as Nova's ViewBuilder. */
export function resourceLinks(compute: Compute, req: FastifyRequest, collection: string, id: string) {
  const root = serviceUrl(compute, req);
  const tail = `${collection}/${encodeURIComponent(id)}`;
  return [
    { rel: 'self', href: `${root}${API_ROOT}/${tail}` },
    { rel: 'bookmark', href: `${root}/${tail}` },
  ];
}

/** The collection's "next" link when the page is full (Nova's _get_collection_links): the same
 * query with the last item as the marker. */
export function nextLinks(
  compute: Compute,
  req: FastifyRequest,
  collection: string,
  pageSize: number,
  limit: number,
  lastId: string | undefined,
): { rel: string; href: string }[] {
  if (!limit || pageSize !== limit || lastId === undefined) return [];
  const params = new Map<string, string>();
  // WebOb's req.params as a dict: the last value of each name, in sorted order.
  for (const [k, v] of queryPairs(req)) params.set(k, v);
  params.set('marker', lastId);
  const query = new URLSearchParams([...params.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return [{ rel: 'next', href: `${serviceUrl(compute, req)}${API_ROOT}/${collection}?${query}` }];
}

/** limit and marker of a list call (Nova's get_limit_and_marker): limit at most [api] max_limit. */
export function limitAndMarker(compute: Compute, query: Record<string, string[]>): { limit: number; marker?: string } {
  const max = compute.config.computeMaxLimit;
  const raw = last(query, 'limit');
  let limit = max;
  if (raw !== undefined) {
    if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw badRequest('Invalid input received: limit must be an integer');
    const n = Number(raw);
    if (n < 0) throw badRequest('Invalid input received: limit must be >= 0');
    limit = Math.min(max, n);
  }
  const marker = last(query, 'marker');
  return marker === undefined ? { limit } : { limit, marker };
}

/** A stored timestamp as Nova's JSON shows a datetime: ISO 8601 with microseconds, no zone. */
export function novaTime(ts: string): string {
  const d = new Date(ts);
  return `${d.toISOString().slice(0, 23)}000`;
}

// The ISO 8601 forms Nova's date-time format accepts (the iso8601 library's parse_date): a date
// (YYYY, YYYY-MM, YYYY-MM-DD, YYYYMMDD, YYYY-M-D), optionally a time after T or a space (hh, hh:mm, hh:mm:ss with
// a fraction) and a zone (Z, ±hh, ±hh:mm); no zone is UTC.
const ISO8601 =
  /^(\d{4})(?:(?:-(\d{1,2})|(\d{2})(?!$))(?:(?:-(\d{1,2})|(\d{2}))(?:[T ](\d{2})(?::?(\d{2}))?(?::?(\d{1,2})(?:[.,](\d+))?)?(Z|([-+])(\d{2}):?(\d{2})?)?)?)?)?$/;

/** A query's date-time as epoch milliseconds, or undefined when Nova would refuse it. */
export function parseDateTime(raw: string): number | undefined {
  const m = ISO8601.exec(raw);
  if (!m) return undefined;
  const n = (i: number) => Number(m[i] ?? 0);
  const month = Number(m[2] ?? m[3] ?? 1);
  const day = Number(m[4] ?? m[5] ?? 1);
  const ms = Math.round(Number(`0.${m[9] ?? '0'}`) * 1000);
  const t = Date.UTC(n(1), month - 1, day, n(6), n(7), n(8), ms);
  const d = new Date(t);
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || n(6) > 23 || n(7) > 59 || n(8) > 59) return undefined;
  const offset = m[11] ? (m[11] === '-' ? -1 : 1) * (n(12) * 60 + n(13)) : 0;
  return t - offset * 60000;
}
