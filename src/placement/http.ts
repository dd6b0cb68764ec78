// Request/response helpers of the Placement API: accept and content-type rules, JSON bodies
// validated against per-microversion schemas, query strings, cache headers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, badRequest } from '../common/http/errors.js';
import { validateSchema } from '../common/http/json-schema.js';
import { pyRepr } from '../common/http/pyrepr.js';
import { Version } from '../common/http/microversion.js';

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

/** The JSON body, validated against `schema` (upstream's @require_content + extract_json). */
export function readJson<T>(req: FastifyRequest, schema: object): T {
  const ctype = req.headers['content-type'];
  const raw = typeof req.body === 'string' ? req.body : '';
  if (!ctype) {
    if (Number(req.headers['content-length'] ?? 0) > 0 || raw.length > 0) {
      throw badRequest('content-type header required when content-length is set');
    }
    throw new HttpError(415, 'The media type None is not supported, use application/json');
  }
  const mediaType = ctype.split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw new HttpError(415, `The media type ${mediaType} is not supported, use application/json`);
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    throw badRequest(`Malformed JSON: ${(e as Error).message}`);
  }
  const err = validateSchema(schema, data);
  if (err) throw badRequest(`JSON does not validate: ${err}`);
  return data as T;
}

/** Query parameters validated against a schema (strings, or arrays for repeated keys). */
export function readQuery<T>(req: FastifyRequest, schema: object): T {
  const q = req.query as Record<string, unknown>;
  const err = validateSchema(schema, q);
  if (err) throw badRequest(`Invalid query string parameters: ${err}`);
  return q as T;
}

/** The raw query string as (key, value) pairs in order, keeping repeated keys. */
export function queryPairs(req: FastifyRequest): [string, string][] {
  const i = req.url.indexOf('?');
  if (i < 0) return [];
  return [...new URLSearchParams(req.url.slice(i + 1)).entries()];
}

export const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** Normalises a UUID to the dashed lowercase form used as the storage key. */
export function normalizeUuid(s: string): string {
  const hex = s.replace(/[{}-]/g, '').replace(/^urn:uuid:/, '').toLowerCase();
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

export function now(): string {
  return new Date().toISOString();
}

/** Sends JSON with an explicit content type (every Placement body is JSON). */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  // Set through header(): reply.type() would append '; charset=utf-8', which upstream does not send.
  return reply.code(status).header('content-type', 'application/json').send(JSON.stringify(body));
}

export { pyRepr };

/** Routes that exist only from (or until) some microversion answer 404 outside it, as upstream. */
export function requireVersion(req: FastifyRequest, min: string, max?: string): void {
  if (req.version.lt(min) || (max !== undefined && req.version.cmp(Version.parse(max)!) > 0)) {
    throw new HttpError(404, 'The resource could not be found.');
  }
}
