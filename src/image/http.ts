// Request and response helpers of the image API, read and written as Glance's wsgi layer does:
// JSON bodies whatever their declared type, explicit JSON content types, paths relative to the
// service root.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { validateSchema } from '../common/http/json-schema.js';
import { sendJson as sendJsonAs } from '../common/http/reply.js';
import { bodyText, parseJson } from '../common/http/request_body.js';
import { badRequest } from './errors.js';

/** The JSON request body (an object or a list, as Glance's JSONRequestDeserializer accepts), or
 * undefined when the request has none. */
export function readJson(req: FastifyRequest): unknown {
  const raw = bodyText(req);
  if (raw === '' && !req.headers['transfer-encoding']) return undefined;
  const data = parseJson(raw, () => badRequest('Malformed JSON in request body.'));
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

/** JSON with the content type exactly as webob sends it. */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return sendJsonAs(reply, status, body, 'application/json; charset=UTF-8');
}

/** The service root as an absolute URL (http://host/image), as webob's application_url. */
export function applicationUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? req.hostname}${req.scriptName}`;
}
