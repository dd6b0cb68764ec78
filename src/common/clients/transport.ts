// How a service's clients reach another service's REST API: over HTTP (another process or host),
// or in-process through Fastify's inject() when the callee is mounted in the same server
// (`concord up`). Everything above the transport — auth headers, request ids, retries, error
// mapping — is the same code path either way (session.ts).
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface TransportRequest {
  method: HttpMethod;
  /** Absolute: http(s)://host[:port]/path?query. */
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer | Readable;
  /** Over HTTP: gives up when the connection idles this long (connecting, sending, waiting for
   * the answer, or between two chunks of it). In-process: when the answer takes this long, unless
   * data is streamed. */
  timeoutMs?: number;
  /** The answer's body as a stream (image data) instead of read whole. */
  stream?: boolean;
}

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface TransportResponse {
  status: number;
  headers: ResponseHeaders;
  /** The body, read whole; '' when the request asked for a stream. */
  body: string;
  /** The body, when the request asked for a stream. */
  stream?: Readable;
}

/** Sends one request; rejects (with a ConnectFailure) only when no answer came back. */
export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

/** No answer: the connection failed, was cut, or timed out. `code` is Node's (ECONNREFUSED ...). */
export class ConnectFailure extends Error {
  override readonly name = 'ConnectFailure';
  constructor(
    readonly url: string,
    readonly code: string,
    message: string,
  ) {
    super(`${url}: ${message}`);
  }
}

export interface HttpTransportOptions {
  /** Most connections open to one host at once. */
  maxSockets?: number;
  /** How long an idle kept-alive connection is kept: below the servers' keep-alive timeout (75 s in
   * concord, 5 s in Node), so that a request is not written into a connection the server is closing
   * (which would fail it: a POST is not sent twice). */
  idleSocketMs?: number;
}

/** HTTP/1.1 with kept-alive connections (a scheduler makes ~100 calls/s to Placement). */
export function httpTransport(opts: HttpTransportOptions = {}): Transport {
  const agentOptions = { keepAlive: true, maxSockets: opts.maxSockets ?? 64, timeout: opts.idleSocketMs ?? 4000 };
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };

  function send(r: TransportRequest, u: URL): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      const agent = agents[u.protocol as keyof typeof agents];
      if (!agent) {
        reject(new ConnectFailure(r.url, 'EPROTO', `${u.protocol} is not http: or https:`));
        return;
      }
      const request = (u.protocol === 'https:' ? https : http).request(u, {
        method: r.method,
        headers: r.headers,
        agent,
      });
      const fail = (err: NodeJS.ErrnoException) =>
        reject(err instanceof ConnectFailure ? err : new ConnectFailure(r.url, err.code ?? 'ECONNRESET', err.message));
      if (r.timeoutMs !== undefined) {
        request.setTimeout(r.timeoutMs, () =>
          request.destroy(new ConnectFailure(r.url, 'ETIMEDOUT', `no answer within ${r.timeoutMs} ms`)),
        );
      }
      request.once('error', fail);
      request.once('response', (res) => {
        const headers = res.headers as ResponseHeaders;
        const status = res.statusCode ?? 0;
        if (r.stream) {
          // Failures from here on (a timeout, a cut connection) reach the stream's reader.
          request.off('error', fail);
          request.on('error', (err) => res.destroy(err));
          resolve({ status, headers, body: '', stream: res });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', fail);
        res.once('end', () => resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      if (r.body instanceof Readable) r.body.once('error', (err) => request.destroy(err)).pipe(request);
      else request.end(r.body);
    });
  }

  return (r) => send(r, new URL(r.url));
}

/** One transport for a process's clients: its connections are shared by every session. */
let shared: Transport | undefined;
export const defaultHttpTransport = (): Transport => (shared ??= httpTransport());

function injectHeaders(h: http.OutgoingHttpHeaders): ResponseHeaders {
  const out: ResponseHeaders = {};
  for (const [k, v] of Object.entries(h)) out[k] = typeof v === 'number' ? String(v) : v;
  return out;
}

/** `p`, or a ConnectFailure once `ms` have passed without its answer. */
function deadline<T>(p: Promise<T>, ms: number, url: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConnectFailure(url, 'ETIMEDOUT', `no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

/**
 * The services mounted in `app`, reached through inject(): requests for URLs under `base` (the
 * cloud's public base URL, as the catalog has it) are handed to the app without a socket; any
 * other URL (an endpoint_override elsewhere) goes through `fallback`. The body is passed as it
 * is (a JSON string is parsed once, by the callee) and the answer read once.
 */
export function injectTransport(
  app: FastifyInstance,
  base: string,
  fallback: Transport = defaultHttpTransport(),
): Transport {
  const root = base.replace(/\/+$/, '');
  return async (r) => {
    if (r.url !== root && !r.url.startsWith(`${root}/`) && !r.url.startsWith(`${root}?`)) return fallback(r);
    const answer = app.inject({
      method: r.method,
      url: r.url.slice(root.length) || '/',
      headers: r.headers,
      ...(r.body !== undefined ? { payload: r.body } : {}),
      ...(r.stream ? { payloadAsStream: true } : {}),
    });
    // In-process there is no connection to go idle: the timeout bounds the whole exchange, except
    // where data is streamed either way (as long as the image it carries takes).
    const streamed = r.stream || r.body instanceof Readable;
    const res = await (r.timeoutMs === undefined || streamed ? answer : deadline(answer, r.timeoutMs, r.url)).catch(
      (err: unknown) => {
        if (err instanceof ConnectFailure) throw err;
        throw new ConnectFailure(r.url, (err as NodeJS.ErrnoException).code ?? 'EINJECT', (err as Error).message);
      },
    );
    const headers = injectHeaders(res.headers);
    return r.stream
      ? { status: res.statusCode, headers, body: '', stream: res.stream() }
      : { status: res.statusCode, headers, body: res.body };
  };
}
