// A cap on the connections one client address holds ([wsgi] max_connections_per_client), so that
// one client cannot take every file descriptor of the process (about 21,000 idle connections from
// one address once left nothing for anybody else). A connection beyond the cap is answered 429 in
// the generic error format and closed before its request is read, so that request is never served.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { HttpError } from './errors.js';
import { rawErrorResponse } from './error_formats.js';
import { newRequestId } from './request_id.js';

/** The client's address, an IPv4 client the same whether it came in over IPv4 or IPv6. */
function clientAddress(socket: Socket): string {
  return (socket.remoteAddress ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

export function limitConnectionsPerClient(server: Server, max: number, log: Logger): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  // Told once per client, until it is under the cap again: a flood would flood the log too.
  const warned = new Set<string>();
  // Before the HTTP server's own listener, so a refused connection is never parsed.
  server.prependListener('connection', (socket: Socket) => {
    const client = clientAddress(socket);
    const count = open.get(client) ?? 0;
    if (count >= max) {
      if (!warned.has(client)) {
        warned.add(client);
        log.warn(
          { client, max },
          `client ${client} holds ${max} connections ([wsgi] max_connections_per_client): ` +
            'refusing more until some close',
        );
      }
      const err = new HttpError(429, `Too many open connections from ${client} (at most ${max}).`);
      socket.end(rawErrorResponse(server, '/', err, newRequestId()));
      socket.destroy();
      return;
    }
    open.set(client, count + 1);
    socket.once('close', () => {
      const left = open.get(client)! - 1;
      if (left > 0) open.set(client, left);
      else open.delete(client);
      if (left < max) warned.delete(client);
    });
  });
}
