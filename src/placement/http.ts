// Request/response helpers of the Placement API: accept and content-type rules, JSON bodies
// validated against per-microversion schemas, query strings, cache headers.
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, badRequest } from '../common/http/errors.js';
import { validateSchema } from '../common/http/json-schema.js';
import { pyRepr } from '../common/http/pyrepr.js';
import { Version } from '../common/http/microversion.js';
import { bodyText, mediaType, parseJson } from '../common/http/request_body.js';
import { queryPairs } from '../common/http/request_params.js';
import { NotFound } from './exceptions.js';
import type { JsonBody } from './json_chunks.js';

function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((part) => {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) return false;
    return type === 'application/json' || type === 'application/*' || type === '*/*';
  });
}

/** 406 unless the client accepts application/json (upstream's @check_accept). */
export function checkAccept(req: FastifyRequest): void {
  if (!acceptsJson(req.headers.accept)) {
    throw new HttpError(406, 'Only application/json is provided');
  }
}

/** 415 unless the request body is declared JSON (upstream's @require_content, which runs
 * before anything else in the handler). */
export function requireContent(req: FastifyRequest): void {
  const type = mediaType(req);
  if (type === undefined) throw new HttpError(415, 'The media type None is not supported, use application/json');
  if (type !== 'application/json') {
    throw new HttpError(415, `The media type ${type} is not supported, use application/json`);
  }
}

/** The JSON body, validated against `schema` (upstream's extract_json). */
export function readJson<T>(req: FastifyRequest, schema: object): T {
  requireContent(req);
  const data = parseJson(bodyText(req), (e) => badRequest(`Malformed JSON: ${e.message}`));
  const err = validateSchema(schema, data);
  if (err) throw badRequest(`JSON does not validate: ${err}`);
  return data as T;
}

/** readJson for a route on a provider that is not read beforehand: when the body is bad,
 * `exists` runs first (and throws the route's 404), as upstream looks the provider up before
 * reading the body. */
export async function readJsonFor<T>(req: FastifyRequest, schema: object, exists: () => Promise<unknown>): Promise<T> {
  try {
    return readJson<T>(req, schema);
  } catch (e) {
    await exists();
    throw e;
  }
}

/** Query parameters (the last value of each) validated against a schema, as upstream
 * validates dict(req.GET). */
export function readQuery(req: FastifyRequest, schema: object): Record<string, string> {
  const q = lastValues(req);
  const err = validateSchema(schema, q);
  if (err) throw badRequest(`Invalid query string parameters: ${err}`);
  return q;
}

export const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** Normalises a UUID to the dashed lowercase form used as the storage key. */
export function normalizeUuid(s: string): string {
  const hex = s
    .replace(/[{}-]/g, '')
    .replace(/^urn:uuid:/, '')
    .toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Since 1.15 GET responses carry Last-Modified and Cache-Control: no-cache. */
export function cacheHeaders(req: FastifyRequest, reply: FastifyReply, lastModified: Date | string | null): void {
  if (req.version.lt('1.15')) return;
  const d = lastModified ? new Date(lastModified) : new Date();
  reply.header('last-modified', d.toUTCString());
  reply.header('cache-control', 'no-cache');
}

/** The later of two timestamps (ISO strings), as upstream computes a collection's Last-Modified. */
export function latest(a: string | null, b: string | null | undefined): string | null {
  if (!b) return a;
  if (!a) return b;
  return a > b ? a : b;
}

/** Streams a body already serialised as JSON (see json_chunks.ts). */
export function sendJsonBody(reply: FastifyReply, status: number, body: JsonBody): FastifyReply {
  reply.code(status).header('content-type', 'application/json').header('content-length', body.length);
  return reply.send(Readable.from(body.chunks, { objectMode: false }));
}

/** The absolute URL of a path of this service, as webob turns every Location header absolute. */
export function absoluteUrl(req: FastifyRequest, path: string): string {
  return `${req.protocol}://${req.headers.host ?? req.hostname}${req.scriptName}${path}`;
}

export { pyRepr };

/** The entry for the highest microversion in `table` the request is at or above (the table
 * lists them highest first), else `fallback`: per-version schemas chosen as upstream does. */
export function byVersion<T>(req: FastifyRequest, table: [string, T][], fallback: T): T {
  for (const [v, value] of table) if (req.version.gte(v)) return value;
  return fallback;
}

/** Routes that exist only from (or until) some microversion answer 404 outside it, as upstream. */
export function requireVersion(req: FastifyRequest, min: string, max?: string): void {
  if (req.version.lt(min) || (max !== undefined && req.version.cmp(Version.parse(max)!) > 0)) {
    throw new HttpError(404, 'The resource could not be found.');
  }
}

/** Runs `lookup`, rewording a NotFound as this handler's 404 (upstream words it per route). */
export async function or404<T>(lookup: Promise<T>, wording: (message: string) => string): Promise<T> {
  try {
    return await lookup;
  } catch (e) {
    if (e instanceof NotFound) throw new HttpError(404, wording(e.message));
    throw e;
  }
}

/** Policy check with upstream's default target (the caller's own project and user). */
export function authorize(
  p: { policy: { enforce(ctx: unknown, rule: string, target?: Record<string, unknown>): void } },
  req: FastifyRequest,
  rule: string,
  target?: Record<string, unknown>,
): void {
  p.policy.enforce(req.ctx, rule, target ?? { project_id: req.ctx.projectId, user_id: req.ctx.userId });
}

/** The last value of each query parameter, as Python's dict(req.GET) sees them. */
export function lastValues(req: FastifyRequest): Record<string, string> {
  return Object.fromEntries(queryPairs(req));
}

/** Every value of one query parameter, in order. */
export function allValues(req: FastifyRequest, key: string): string[] {
  return queryPairs(req)
    .filter(([k]) => k === key)
    .map(([, v]) => v);
}
