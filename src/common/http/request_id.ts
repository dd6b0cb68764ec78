// OpenStack request ids, as oslo.middleware's request_id assigns them. Every request gets its own
// id (req-<uuid>), answered in X-OpenStack-Request-ID and bound to every log line about the
// request (request_id), so that the id a client prints finds the server's side of the story. A
// caller that sends a valid X-OpenStack-Request-ID of its own (a service acting on a user's
// request, a client tracing one action) has it logged beside ours as global_request_id and passed
// on to the services we call; an id not of that form is ignored, as oslo ignores it.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's id, req-<uuid> (also Fastify's request.id). */
    requestId: string;
    /** The caller's id for the action this request is part of, when it sent a valid one. */
    globalRequestId?: string;
  }
}

export const REQUEST_ID_HEADER = 'x-openstack-request-id';
/** The field request ids are logged under. */
export const REQUEST_ID_LOG_LABEL = 'request_id';

const ID_FORMAT = /^req-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/;

export const newRequestId = (): string => `req-${randomUUID()}`;

/** The caller's X-OpenStack-Request-ID when it is a valid request id. */
export function callerRequestId(headers: IncomingHttpHeaders): string | undefined {
  const v = headers[REQUEST_ID_HEADER];
  const id = Array.isArray(v) ? v[0] : v;
  return id !== undefined && ID_FORMAT.test(id) ? id : undefined;
}

/** The id to send as X-OpenStack-Request-ID when calling another service for this request
 * (oslo.context's global_id): the caller's, else ours. */
export function outgoingRequestId(req: FastifyRequest): string {
  return req.globalRequestId ?? req.requestId;
}

/** The request's logger (Fastify's childLoggerFactory): the caller's global id bound from the
 * first line logged about the request, beside ours (request_id, Fastify's own binding). */
export function requestLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  opts: ChildLoggerOptions,
  raw: IncomingMessage,
): FastifyBaseLogger {
  const global = callerRequestId(raw.headers);
  return logger.child(global === undefined ? bindings : { ...bindings, global_request_id: global }, opts);
}

/** onRequest hook of the whole server: the request's ids, on the request and in the answer. */
export async function adoptRequestIds(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  req.requestId = req.id;
  const global = callerRequestId(req.headers);
  if (global !== undefined) req.globalRequestId = global;
  reply.header(REQUEST_ID_HEADER, req.requestId);
}
