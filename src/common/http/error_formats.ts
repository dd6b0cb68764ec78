// Which error format answers a request that no service route handled — a URL the router cannot
// read, a request Node's HTTP parser refused, a request that timed out, a path under no service:
// the format of the service whose prefix the path is under (each service registers its own when it
// is mounted), else the generic OpenStack one, the API-SIG's {"errors": [...]}.
import { STATUS_CODES, type IncomingHttpHeaders, type Server } from 'node:http';
import type { ErrorBody, ErrorFormatter } from './app.js';
import type { Version } from './microversion.js';
import { HttpError } from './errors.js';
import { REQUEST_ID_HEADER } from './request_id.js';

/** What an error formatter may read of the request: a Fastify request, or as much of one as a
 * request that never reached a route has. */
export interface ErrorRequest {
  headers: IncomingHttpHeaders;
  requestId: string;
  /** The service's prefix ('' at the root), like WSGI's SCRIPT_NAME. */
  scriptName: string;
  protocol: 'http' | 'https';
  /** The negotiated microversion, when the request got that far. */
  version?: Version;
}

/** The API-SIG error format (OpenStack's guideline for error bodies). */
export const genericErrorFormat: ErrorFormatter = (err, req) => ({
  contentType: 'application/json',
  body: JSON.stringify({
    errors: [{ status: err.status, title: err.title, detail: err.message, request_id: req.requestId }],
  }),
});

const formats = new WeakMap<Server, Map<string, ErrorFormatter>>();

/** Records that paths under `prefix` ('' for all) of `server` are answered in `format`. */
export function registerErrorFormat(server: Server, prefix: string, format: ErrorFormatter): void {
  let byPrefix = formats.get(server);
  if (!byPrefix) formats.set(server, (byPrefix = new Map<string, ErrorFormatter>()));
  byPrefix.set(prefix, format);
}

/** The format and prefix of the service `url` is under (the longest matching prefix). */
export function errorFormatFor(server: Server, url: string): { format: ErrorFormatter; prefix: string } {
  const path = url.split('?', 1)[0]!;
  let best: { format: ErrorFormatter; prefix: string } | undefined;
  for (const [prefix, format] of formats.get(server) ?? []) {
    const under = prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
    if (under && (!best || prefix.length > best.prefix.length)) best = { format, prefix };
  }
  return best ?? { format: genericErrorFormat, prefix: '' };
}

/** `err` rendered for `url` in the format of the service it is under. */
export function renderError(
  server: Server,
  url: string,
  err: HttpError,
  req: Omit<ErrorRequest, 'scriptName'>,
): ErrorBody {
  const { format, prefix } = errorFormatFor(server, url);
  return format(err, { ...req, scriptName: prefix });
}

/** A whole HTTP/1.1 error response, for a socket no request object can answer on (the parser
 * refused the request, or it never completed); the connection closes after it. */
export function rawErrorResponse(server: Server, url: string, err: HttpError, requestId: string): string {
  const { contentType, body } = renderError(server, url, err, { headers: {}, requestId, protocol: 'http' });
  const headers = {
    ...err.headers,
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
    [REQUEST_ID_HEADER]: requestId,
    connection: 'close',
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\n${head}\r\n${body}`;
}
