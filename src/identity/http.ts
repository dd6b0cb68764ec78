// Request/response helpers of the Identity API: JSON bodies validated the way Keystone reports
// them, absolute links (Keystone's links are full URLs), query filters.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorRequest } from '../common/http/error_formats.js';
import { schemaError } from '../common/http/json-schema.js';
import { pyRepr } from '../common/http/pyrepr.js';
import { sendJson as sendJsonAs } from '../common/http/reply.js';
import { bodyText, mediaType, parseJson } from '../common/http/request_body.js';
import { expecting, invalid } from './exceptions.js';

/** Fields whose values never appear in an error message. */
const SECRET_FIELDS = new Set(['password', 'original_password', 'secret']);

/** Validates `data` as Keystone's SchemaValidator does: "Invalid input for field 'a/b': MESSAGE". */
export function validate<T>(schema: object, data: unknown): T {
  const err = schemaError(schema, data);
  if (!err) return data as T;
  let message = err.message;
  if (err.path.some((p) => SECRET_FIELDS.has(p))) message = message.split(pyRepr(err.value)).join("'******'");
  throw invalid(err.path.length ? `Invalid input for field '${err.path.join('/')}': ${message}` : message);
}

/** The parsed JSON request body (an object), or {} when there is none. */
export function readJsonBody(req: FastifyRequest): Record<string, unknown> {
  const raw = bodyText(req);
  if (raw.trim() === '') return {};
  const type = mediaType(req) ?? '';
  if (type !== '' && type !== 'application/json') throw expecting('application/json', 'Content-Type header');
  const data = parseJson(raw, () => expecting('valid JSON', 'request body'));
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw invalid(`${pyRepr(data)} is not of type 'object'`);
  }
  return data as Record<string, unknown>;
}

/** The body's `member` object (e.g. "project"), validated against `schema`. As Keystone, a missing
 * member is validated as {} so the message names the first missing property. */
export function readMember<T>(req: FastifyRequest, member: string, schema: object): T {
  return validate<T>(schema, readJsonBody(req)[member] ?? {});
}

/** Where this service is mounted, as an absolute URL (http://host/identity). */
export function baseUrl(req: ErrorRequest): string {
  const host = req.headers['x-forwarded-host'] ?? req.headers.host ?? 'localhost';
  const proto = req.headers['x-forwarded-proto'] ?? req.protocol ?? 'http';
  return `${String(proto).split(',')[0]!.trim()}://${String(host).split(',')[0]!.trim()}${req.scriptName}`;
}

export function v3Url(req: FastifyRequest, path: string): string {
  return `${baseUrl(req)}/v3${path}`;
}

export function selfLinks(req: FastifyRequest, path: string): { self: string } {
  return { self: v3Url(req, path) };
}

/** The links of a collection; Keystone does not paginate, so previous/next are always null. */
export function collectionLinks(req: FastifyRequest): { self: string; previous: null; next: null } {
  return { self: `${baseUrl(req)}${req.url.slice(req.scriptName.length)}`, previous: null, next: null };
}

/** JSON as identity has always answered it, the charset declared. */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return sendJsonAs(reply, status, body, 'application/json; charset=utf-8');
}

/** Query parameters, first value of each. */
export function query(req: FastifyRequest): Record<string, string> {
  const q = req.query as Record<string, string | string[] | undefined>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v[0]! : v;
  }
  return out;
}

/** Keystone's reading of a boolean query value: anything but an explicit false is true, and a
 * bare `?flag` is true. */
export function queryFlag(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return !['0', 'false', 'f', 'n', 'no', 'off'].includes(value.trim().toLowerCase());
}
