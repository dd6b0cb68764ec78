// Answers as the OpenStack services send them: JSON with the exact content type the service uses,
// and empty answers without one.
import type { FastifyReply } from 'fastify';

/** Sends `body` as JSON with `contentType` exactly (clients compare the header). */
export function sendJson(
  reply: FastifyReply,
  status: number,
  body: unknown,
  contentType = 'application/json',
): FastifyReply {
  // A Buffer, because Fastify appends '; charset=utf-8' to a string's content type.
  return reply
    .code(status)
    .header('content-type', contentType)
    .send(Buffer.from(JSON.stringify(body)));
}

/** An answer without a body (204, or a 202 that has nothing to say). */
export function sendEmpty(reply: FastifyReply, status: number): FastifyReply {
  return reply.code(status).removeHeader('content-type').send();
}
