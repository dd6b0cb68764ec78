// Request and response helpers of the image API, read and written as Glance's wsgi layer does:
// JSON bodies whatever their declared type, explicit JSON content types, paths relative to the
// service root.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { validateSchema } from '../common/http/json-schema.js';
import { badRequest } from './errors.js';

/** The JSON request body (an object or a list, as Glance's JSONRequestDeserializer accepts), or
 * undefined when the request has none. */
export function readJson(req: FastifyRequest): unknown {
  const raw = typeof req.body === 'string' ? req.body : '';
  if (raw === '' && !req.headers['transfer-encoding']) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw badRequest('Malformed JSON in request body.');
  }
  if (data === null || typeof data !== 'object') throw badRequest('Unexpected body type. Expected list/dict.');
  return data;
}

/** The JSON request body; 400 when there is none. */
export function requireJson(req: FastifyRequest): unknown {
  const body = readJson(req);
  if (body === undefined) throw badRequest('Body expected in request.');
  return body;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Validates against one of Glance's schemas, with its InvalidObject message. */
export function validateAgainst(schema: { name: string; [k: string]: unknown }, data: unknown): void {
  const err = validateSchema(schema, data);
  if (err) throw badRequest(`Provided object does not match schema '${schema.name}': ${err}`);
}

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  // A Buffer, so that Fastify keeps the content type exactly as webob sends it.
  return reply.code(status).header('content-type', 'application/json; charset=UTF-8')
    .send(Buffer.from(JSON.stringify(body)));
}

export function noContent(reply: FastifyReply): FastifyReply {
  return reply.code(204).removeHeader('content-type').send();
}

export function param(req: FastifyRequest, name: string): string {
  return (req.params as Record<string, string>)[name]!;
}

/** The query string as (key, value) pairs in order, repeated keys kept. */
export function queryPairs(req: FastifyRequest): [string, string][] {
  const i = req.url.indexOf('?');
  return i < 0 ? [] : [...new URLSearchParams(req.url.slice(i + 1)).entries()];
}

/** The service root as an absolute URL (http://host/image), as webob's application_url. */
export function applicationUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? req.hostname}${req.scriptName}`;
}

/** The media type of the request body, without parameters. */
export function mediaType(req: FastifyRequest): string | undefined {
  return req.headers['content-type']?.split(';')[0]!.trim().toLowerCase();
}
