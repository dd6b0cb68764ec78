// A service's non-2xx answer as a typed error: the status, what the body says in whichever of the
// OpenStack formats the service speaks, and the peer's request id (to find its side in its log).
import type { ResponseHeaders } from './transport.js';

export interface ErrorBody {
  /** A symbolic code when the service gives one: Placement's `placement.concurrent_update`,
   * Nova's fault name (`itemNotFound`), Neutron's type (`NetworkNotFound`), Ironic's faultcode. */
  code?: string;
  title?: string;
  /** The human-readable explanation. */
  detail: string;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** webob's explanation markup (Glance), reduced to its text. */
const unmarkup = (s: string) =>
  s
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .trim();

function fromJson(body: unknown): ErrorBody | undefined {
  if (!isObject(body)) return undefined;
  // API-WG (Placement): {"errors": [{status, title, detail, code, request_id}]}
  if (Array.isArray(body.errors) && isObject(body.errors[0])) {
    const e = body.errors[0];
    return { code: text(e.code), title: text(e.title), detail: text(e.detail) ?? '' };
  }
  // Keystone, and keystonemiddleware's 401 in front of any service: {"error": {code, title, message}}
  if (isObject(body.error)) {
    return { title: text(body.error.title), detail: text(body.error.message) ?? '' };
  }
  // Ironic: {"error_message": "<JSON of {faultstring, faultcode, debuginfo}>"}
  if (body.error_message !== undefined) {
    let fault: unknown = body.error_message;
    if (typeof fault === 'string') {
      try {
        fault = JSON.parse(fault);
      } catch {
        return { detail: fault as string };
      }
    }
    if (isObject(fault)) return { code: text(fault.faultcode), detail: text(fault.faultstring) ?? '' };
  }
  // Neutron: {"NeutronError": {type, message, detail}}
  if (isObject(body.NeutronError)) {
    return { code: text(body.NeutronError.type), detail: text(body.NeutronError.message) ?? '' };
  }
  // Glance (webob's JSON): {message, code: "404 Not Found", title}
  if (typeof body.message === 'string') {
    return { title: text(body.title), detail: unmarkup(body.message) };
  }
  // Nova: {"itemNotFound": {code, message}}, the one key naming the fault
  const keys = Object.keys(body);
  if (keys.length === 1 && isObject(body[keys[0]!])) {
    const fault = body[keys[0]!] as Record<string, unknown>;
    if (typeof fault.message === 'string') return { code: keys[0], detail: fault.message };
  }
  return undefined;
}

/** What an error body says, whichever service's format it is in; the raw text when none. */
export function parseErrorBody(body: string, contentType = ''): ErrorBody {
  if (/json/i.test(contentType) || /^\s*[{[]/.test(body)) {
    try {
      const parsed = fromJson(JSON.parse(body));
      if (parsed) return parsed;
    } catch {
      /* not JSON after all: read as text */
    }
  }
  if (/html/i.test(contentType)) {
    // webob's page: <title>404 Not Found</title> ... <h1>...</h1> explanation
    const title = /<title>\s*\d{3}\s+([^<]*)<\/title>/i.exec(body)?.[1];
    return { ...(title ? { title } : {}), detail: unmarkup(body.replace(/^[\s\S]*<\/h1>/i, '')) };
  }
  // webob's plain text: "404 Not Found\n\nexplanation"
  const plain = /^\d{3} ([^\n]+)\n\n([\s\S]*)$/.exec(body);
  if (plain) return { title: plain[1]!.trim(), detail: plain[2]!.trim() };
  return { detail: body.trim() };
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** The request id a service answered with: OpenStack's header, or Nova's legacy one. */
export function peerRequestId(headers: ResponseHeaders): string | undefined {
  return first(headers['x-openstack-request-id']) ?? first(headers['x-compute-request-id']);
}

/** A service answered with a status outside 2xx. */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly code?: string;
  readonly title?: string;
  readonly detail: string;
  constructor(
    /** The catalog type of the service that answered (placement, image, identity ...). */
    readonly service: string,
    readonly method: string,
    /** The URL's path, without the query string (which may name things the log should not). */
    readonly path: string,
    readonly status: number,
    body: ErrorBody,
    /** The peer's X-OpenStack-Request-ID. */
    readonly requestId: string | undefined,
  ) {
    super(
      `${service} ${method} ${path}: ${status}${body.title ? ` ${body.title}` : ''}: ${body.detail}` +
        `${requestId ? ` (${requestId})` : ''}`,
    );
    if (body.code !== undefined) this.code = body.code;
    if (body.title !== undefined) this.title = body.title;
    this.detail = body.detail;
  }
}
