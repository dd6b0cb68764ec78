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
import { badRequest } from './errors.js';

/** Where the versioned API lives under the service root (DevStack catalogs .../compute/v2.1). */
export const API_ROOT = '/v2.1';

const JSON_TYPES = new Set(['application/json', 'application/vnd.openstack.compute+json']);

/** Python's str() of a JSON value, as Nova puts it in "Value: ..." */
function pyStrValue(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

/** The JSON request body, valid against `schema`. */
export function readBody<S extends TSchema>(req: FastifyRequest, schema: S): Static<S> {
  const ctype = req.headers['content-type']?.split(';')[0]!.trim().toLowerCase();
  if (ctype && ctype !== 'text/plain' && !JSON_TYPES.has(ctype)) throw new HttpError(415, 'Unsupported Content-Type');
  const raw = typeof req.body === 'string' ? req.body : '';
  // Nova calls the handler without a body, which then fails for want of one.
  if (raw.trim() === '') throw badRequest();
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw badRequest('Malformed request body');
  }
  const err = schemaError(schema, data);
  if (err) {
    const field = err.path[err.path.length - 1];
    throw badRequest(field === undefined ? err.message
      : `Invalid input for field/attribute ${field}. Value: ${pyStrValue(err.value)}. ${err.message}`);
  }
  return data as Static<S>;
}

/** The query string as name → values, validated against `schema` (whose properties are arrays, as
 * Nova's multi_params). Names the schema does not know are dropped unless it refuses them. */
export function readQuery(req: FastifyRequest, schema: TSchema & { properties?: Record<string, unknown> }):
  Record<string, string[]> {
  const query: Record<string, string[]> = {};
  for (const [k, v] of queryPairs(req)) (query[k] ??= []).push(v);
  const err = schemaError(schema, query);
  if (err) {
    const [name] = err.path;
    throw badRequest(name === undefined ? err.message
      : `Invalid input for query parameters ${name}. Value: ${pyStrValue(err.value)}. ${err.message}`);
  }
  const known = Object.keys(schema.properties ?? {});
  return Object.fromEntries(Object.entries(query).filter(([k]) => known.includes(k)));
}

/** The first value of a query parameter, as WebOb's req.GET.get(). */
export function first(query: Record<string, string[]>, name: string): string | undefined {
  return query[name]?.[0];
}

/** The service root as clients reach it (http://host/compute): [DEFAULT] public_endpoint behind
 * a proxy, else the request's own host. */
export function serviceUrl(compute: Compute, req: FastifyRequest): string {
  const base = compute.config.publicEndpoint
    ? compute.config.publicEndpoint.replace(/\/+$/, '')
    : `${req.protocol}://${req.headers.host ?? req.hostname}`;
  return `${base}${req.scriptName}`;
}

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
export function nextLinks(compute: Compute, req: FastifyRequest, collection: string, pageSize: number,
  limit: number, lastId: string | undefined): { rel: string; href: string }[] {
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
  const raw = first(query, 'limit');
  let limit = max;
  if (raw !== undefined) {
    if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw badRequest('Invalid input received: limit must be an integer');
    const n = Number(raw);
    if (n < 0) throw badRequest('Invalid input received: limit must be >= 0');
    limit = Math.min(max, n);
  }
  const marker = first(query, 'marker');
  return marker === undefined ? { limit } : { limit, marker };
}
