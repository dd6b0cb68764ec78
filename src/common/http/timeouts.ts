// How long a client may take ([wsgi] options). Without limits, a connection that sent its headers
// and one byte of body stayed open for ever, and enough of them exhausted the file descriptors.
//  - The request head (line and headers): Node's headersTimeout, counted from the first byte or
//    from connecting; Node reports it as a client error, which fallback.ts answers 408.
//  - The body: an idle limit, not a total one, so that a large image upload takes as long as it
//    needs while data keeps coming; a stalled body is answered 408 through the service's own
//    error handler (the body reader fails with the 408), and the connection closes.
//  - Between requests: Node's keep-alive timeout closes idle connections.
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import { HttpError } from './errors.js';

export type ServerLimits = Pick<
  Config,
  'clientHeaderTimeout' | 'clientSocketTimeout' | 'keepAliveTimeout' | 'maxConnectionsPerClient'
>;

/** Options of Node's HTTP server: the head deadline, checked often enough to be kept within a
 * tenth of it (Node checks every 30 s by default); no total request deadline (see above). */
export function headTimeoutOptions(limits: ServerLimits): ServerOptions {
  const ms = limits.clientHeaderTimeout * 1000;
  return {
    headersTimeout: ms,
    requestTimeout: 0,
    ...(ms > 0 ? { connectionsCheckingInterval: Math.max(100, Math.min(5000, ms / 10)) } : {}),
  };
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** While a request's body is being received, a pause longer than the limit fails it with a 408. */
function watchBody(req: IncomingMessage, res: ServerResponse, seconds: number): void {
  const socket = req.socket;
  // Node emits 'timeout' on a request whose body is incomplete when its socket idles.
  req.setTimeout(seconds * 1000, () => {
    // Whoever reads the body answers (Fastify's body reader, or an image upload's stream) in the
    // service's format; nobody reading, or an answer already on its way: just close.
    if (res.headersSent || req.listenerCount('error') === 0) {
      socket.destroy();
      return;
    }
    res.setHeader('connection', 'close');
    req.emit('error', new HttpError(408, `The request body stopped arriving: nothing came for ${seconds} s.`));
  });
  // Once the body is in, the server may take its time to answer.
  req.once('end', () => socket.setTimeout(0));
}

/** Applies the limits to `server` (the head timeout comes with the server's creation options). */
export function applyTimeouts(server: Server, limits: ServerLimits): void {
  server.keepAliveTimeout = limits.keepAliveTimeout * 1000;
  const seconds = limits.clientSocketTimeout;
  if (seconds > 0) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (hasBody(req) && !req.complete) watchBody(req, res, seconds);
    });
  }
}
