// The answers no service route gives, in the OpenStack format of the service the path is under
// (else the generic one) rather than Fastify's or Node's own: unknown paths at the root of
// `concord up`, URLs the router cannot read, and requests Node's HTTP parser refuses or that did
// not arrive in time.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, toHttpError } from './errors.js';
import { rawErrorResponse, renderError } from './error_formats.js';
import { newRequestId, REQUEST_ID_HEADER } from './request_id.js';

/** Longest path parameter the router takes (a resource id far longer than any real one is a 414). */
export const MAX_PARAM_LENGTH = 1000;

function send(req: FastifyRequest, reply: FastifyReply, err: HttpError): Buffer {
  if (err.status >= 500) req.log.error({ err }, 'unexpected error');
  const { contentType, body } = renderError(req.server.server, req.url, err, {
    headers: req.headers,
    requestId: req.id,
    protocol: req.protocol,
  });
  // Set here too: the router's own errors come before any hook.
  reply.code(err.status).headers(err.headers).header('content-type', contentType).header(REQUEST_ID_HEADER, req.id);
  return Buffer.from(body);
}

/** Errors of Fastify's router, before any route or hook: Fastify's `frameworkErrors` option. */
export function frameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const httpErr =
    err.code === 'FST_ERR_BAD_URL'
      ? new HttpError(400, 'The request URL is not valid: it has a malformed %-escape.')
      : err.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new HttpError(414, `A segment of the request URL is longer than ${MAX_PARAM_LENGTH} characters.`)
        : toHttpError(err);
  void reply.send(send(req, reply, httpErr));
}

/** Answers what reaches the root of a server whose services all live under prefixes (`concord
 * up`): unknown paths (404) and any error there, in the generic format. Bodies sent there are read
 * as text and ignored, so that a path that does not exist is a 404 whatever its body. */
export function answerUnmatched(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setNotFoundHandler(async (req, reply) =>
    send(req, reply, new HttpError(404, 'The resource could not be found.')),
  );
  app.setErrorHandler(async (err, req, reply) => send(req, reply, toHttpError(err)));
}

const CLIENT_ERRORS: Record<string, () => HttpError> = {
  HPE_HEADER_OVERFLOW: () => new HttpError(431, 'The request line and headers are larger than this server accepts.'),
  ERR_HTTP_REQUEST_TIMEOUT: () => new HttpError(408, 'The request line and headers did not arrive in time.'),
  HPE_INVALID_CONTENT_LENGTH: () => new HttpError(400, 'content-length header must be an integer'),
};

/** The path of the request line at the start of what the parser refused, when there is one. */
function requestPath(raw: unknown): string {
  const line = Buffer.isBuffer(raw) ? /^[A-Z]+ (\/\S*) HTTP\//.exec(raw.subarray(0, 8192).toString('latin1')) : null;
  return line?.[1] ?? '/';
}

/** Requests Node's HTTP parser refused (or that timed out before their head was complete): the
 * answer is written to the socket, which then closes. */
export function clientError(server: Server, err: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const httpErr = CLIENT_ERRORS[err.code ?? '']?.() ?? new HttpError(400, 'The request could not be parsed.');
  // Closed at once, as Node does: a client that stalled does not get to hold the socket half-open.
  socket.end(rawErrorResponse(server, requestPath(err.rawPacket), httpErr, newRequestId()));
  socket.destroy();
}
