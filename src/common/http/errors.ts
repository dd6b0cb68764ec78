// HTTP errors as thrown by domain and API code. Each service renders them in its own wire format
// (Placement: {"errors": [...]}, Nova/Ironic/Neutron have their own) via the app's error formatter.

/** webob's standard explanations; upstream error details start with them. */
const EXPLANATIONS: Record<number, [string, string]> = {
  400: [
    'Bad Request',
    'The server could not comply with the request since it is either malformed or otherwise incorrect.',
  ],
  401: ['Unauthorized', 'This server could not verify that you are authorized to access the document you requested.'],
  403: ['Forbidden', 'Access was denied to this resource.'],
  404: ['Not Found', 'The resource could not be found.'],
  405: ['Method Not Allowed', 'The method specified is not allowed for this resource.'],
  406: [
    'Not Acceptable',
    'The resource could not be generated that was acceptable to your browser (content of type application/json.',
  ],
  408: ['Request Timeout', 'The server stopped waiting for the rest of the request.'],
  409: ['Conflict', 'There was a conflict when trying to complete your request.'],
  413: ['Request Entity Too Large', 'The body of your request was too large for this server.'],
  414: ['Request-URI Too Long', 'The request URI was too long for this server.'],
  415: ['Unsupported Media Type', 'The request media type is not supported by this server.'],
  429: ['Too Many Requests', 'The client holds more connections than this server allows one client.'],
  431: ['Request Header Fields Too Large', 'The request header fields were too large for this server.'],
  500: ['Internal Server Error', 'The server has either erred or is incapable of performing the requested operation.'],
  503: ['Service Unavailable', 'The server is currently unavailable. Please try again at a later time.'],
};

export class HttpError extends Error {
  readonly headers: Record<string, string>;
  /** Why, for the log only (never sent): e.g. which check refused a 401. */
  reason?: string;
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    headers: Record<string, string> = {},
    readonly explanation?: string,
  ) {
    super(message);
    this.headers = headers;
  }
  get title(): string {
    return EXPLANATIONS[this.status]?.[0] ?? 'Error';
  }
  /** The detail text as webob renders it: explanation, blank line, the specific message. */
  get detail(): string {
    const explanation = this.explanation ?? EXPLANATIONS[this.status]?.[1] ?? '';
    return `${explanation}\n\n ${this.message}  `;
  }
}

/** Anything thrown while handling a request, as the HTTP error to answer: client errors Fastify
 * raised keep their status and message; anything unknown is a 500 that says nothing more. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new HttpError(413, 'Request is too large.');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new HttpError(e.statusCode, e.message ?? 'Bad request');
  }
  return new HttpError(500, 'An unexpected error occurred.');
}

export const badRequest = (msg: string, code?: string) => new HttpError(400, msg, code);
export const notFound = (msg: string, code?: string) => new HttpError(404, msg, code);
export const conflict = (msg: string, code?: string) => new HttpError(409, msg, code);
export const forbidden = (msg: string, code?: string) => new HttpError(403, msg, code);
/** A 401. The client learns nothing beyond that; `reason` goes to the log (never a secret). */
export function unauthorized(reason: string, headers: Record<string, string> = {}): HttpError {
  const err = new HttpError(401, 'The request you have made requires authentication.', undefined, headers);
  err.reason = reason;
  return err;
}
export { EXPLANATIONS };
