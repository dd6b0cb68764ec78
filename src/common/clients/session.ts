// A service user's session with the cloud, as keystoneauth's Session with a password plugin: it
// logs in (password, project-scoped), keeps the token until shortly before it expires, finds
// endpoints in the token's catalog, and sends every call through one pipeline — auth headers,
// X-OpenStack-Request-ID, retries of idempotent calls, a log line per call, non-2xx answers as
// ClientErrors — whatever the transport underneath (HTTP, or inject() inside `concord up`).
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Call } from './call.js';
import { findEndpoint, type CatalogService, type EndpointFilter } from './catalog.js';
import { ClientError, parseErrorBody, peerRequestId } from './errors.js';
import {
  ConnectFailure,
  type HttpMethod,
  type ResponseHeaders,
  type Transport,
  type TransportResponse,
} from './transport.js';

export interface ServiceCredentials {
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
}

/** How hard one call tries (keystoneauth's adapter options of the same names). */
export interface RetryOptions {
  /** Gives up when nothing arrives for this long. */
  timeoutMs?: number;
  /** Retries of an idempotent call whose connection failed (refused, cut, timed out). */
  connectRetries?: number;
  /** Retries of an idempotent call answered 502, 503 or 504. */
  statusCodeRetries?: number;
}

export interface SessionOptions extends RetryOptions {
  transport: Transport;
  /** Identity's URL (http://host/identity; a trailing /v3 is allowed, as in [keystone_authtoken]). */
  authUrl: string;
  credentials: ServiceCredentials;
  /** Each call is logged here at debug (warn when it failed): method, path, status, duration, the
   * peer's request id. */
  log?: Logger;
  /** The first retry waits about this long, each next one twice as long, up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

export interface SessionRequest extends RetryOptions {
  /** The callee's catalog type, for logs and errors. */
  service: string;
  /** Where the service is: found in the catalog, or given (an endpoint_override). */
  endpoint: EndpointFilter | string;
  method: HttpMethod;
  /** Relative to the endpoint, query string included. */
  path: string;
  call: Call;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is (a stream is sent once: neither retried nor replayed after a 401). */
  body?: string | Buffer | Readable;
  /** Retried like GET although its method is not idempotent (a POST the callee dedupes). */
  idempotent?: boolean;
  /** The answer's body as a stream. */
  stream?: boolean;
}

export interface ClientResponse {
  status: number;
  headers: ResponseHeaders;
  /** The peer's X-OpenStack-Request-ID. */
  requestId: string | undefined;
  /** '' when the body was asked for as a stream. */
  body: string;
  stream?: Readable;
}

interface OwnToken {
  token: string;
  catalog: CatalogService[];
  refreshAt: number;
}

const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
const RETRIABLE_STATUS: ReadonlySet<number> = new Set([502, 503, 504]);
const DEFAULTS = {
  timeoutMs: 30000,
  connectRetries: 3,
  statusCodeRetries: 3,
  retryDelayMs: 200,
  maxRetryDelayMs: 5000,
};

const pathOf = (path: string) => path.split('?', 1)[0]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks).toString('utf8');
}

export class Session {
  readonly authRoot: string;
  private own: OwnToken | undefined;
  private login: Promise<OwnToken> | undefined;
  private readonly o: SessionOptions & typeof DEFAULTS;

  constructor(opts: SessionOptions) {
    this.o = { ...DEFAULTS, ...opts };
    this.authRoot = opts.authUrl.replace(/\/+$/, '').replace(/\/v3$/, '');
  }

  /** The service user's token and catalog: the cached one while it is fresh, else a new login
   * (concurrent callers share it). */
  async token(call: Call): Promise<OwnToken> {
    if (this.own && Date.now() < this.own.refreshAt) return this.own;
    this.login ??= this.authenticate(call).finally(() => {
      this.login = undefined;
    });
    return this.login;
  }

  /** Forgets `token` (refused by a service): the next call logs in again. */
  invalidate(token: string): void {
    if (this.own?.token === token) this.own = undefined;
  }

  private async authenticate(call: Call): Promise<OwnToken> {
    const c = this.o.credentials;
    const res = await this.send(
      {
        service: 'identity',
        endpoint: this.authRoot,
        method: 'POST',
        path: '/v3/auth/tokens',
        call,
        // Issuing a token changes nothing another attempt would duplicate.
        idempotent: true,
        json: {
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: c.username, password: c.password, domain: { name: c.userDomainName } } },
            },
            scope: { project: { name: c.projectName, domain: { name: c.projectDomainName } } },
          },
        },
      },
      {},
    );
    const token = res.headers['x-subject-token'];
    if (typeof token !== 'string') {
      throw new ClientError(
        'identity',
        'POST',
        '/v3/auth/tokens',
        res.status,
        { detail: 'no X-Subject-Token in the answer' },
        res.requestId,
      );
    }
    const body = JSON.parse(res.body) as { token: { expires_at: string; catalog?: CatalogService[] } };
    const now = Date.now();
    const expires = Date.parse(body.token.expires_at);
    // Renewed a minute early, or halfway through a short-lived token.
    this.own = { token, catalog: body.token.catalog ?? [], refreshAt: Math.max(expires - 60000, (now + expires) / 2) };
    return this.own;
  }

  /** Whether identity still accepts `token` (our own). */
  private async stillValid(token: string, call: Call): Promise<boolean> {
    try {
      await this.send(
        {
          service: 'identity',
          endpoint: this.authRoot,
          method: 'HEAD',
          path: '/v3/auth/tokens',
          call,
        },
        { 'x-auth-token': token, 'x-subject-token': token },
      );
      return true;
    } catch (err) {
      if (err instanceof ClientError && (err.status === 401 || err.status === 404)) return false;
      throw err;
    }
  }

  /** The URL of the endpoint `filter` asks for, in the service user's catalog. */
  async endpoint(filter: EndpointFilter, call: Call): Promise<string> {
    return findEndpoint((await this.token(call)).catalog, filter);
  }

  /** One call to a service, authenticated as `r.call` says. */
  async request(r: SessionRequest): Promise<ClientResponse> {
    const replayable = !(r.body instanceof Readable);
    for (let reauthenticated = false; ; reauthenticated = true) {
      const own = await this.token(r.call);
      const auth: Record<string, string> =
        r.call.userToken === undefined
          ? { 'x-auth-token': own.token }
          : { 'x-auth-token': r.call.userToken, 'x-service-token': own.token };
      const endpoint = typeof r.endpoint === 'string' ? r.endpoint : findEndpoint(own.catalog, r.endpoint);
      try {
        return await this.send({ ...r, endpoint }, auth);
      } catch (err) {
        if (!(err instanceof ClientError) || err.status !== 401 || reauthenticated || !replayable) throw err;
        // Refused: our token was revoked or expired early — unless the user's was the one refused,
        // which a new login (a password hash in identity) would not mend.
        if (r.call.userToken !== undefined && (await this.stillValid(own.token, r.call))) throw err;
        this.invalidate(own.token);
      }
    }
  }

  /** Sends `r` with `auth`, retrying as its method allows; the answer if 2xx, else a ClientError. */
  private async send(r: SessionRequest & { endpoint: string }, auth: Record<string, string>): Promise<ClientResponse> {
    const idempotent = (r.idempotent ?? IDEMPOTENT.has(r.method)) && !(r.body instanceof Readable);
    const url = `${r.endpoint}${r.path}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...r.headers,
      ...auth,
      'x-openstack-request-id': r.call.globalRequestId,
    };
    let body = r.body;
    if (r.json !== undefined) {
      body = JSON.stringify(r.json);
      headers['content-type'] = 'application/json';
    }
    const timeoutMs = r.timeoutMs ?? this.o.timeoutMs;
    const path = pathOf(r.path);
    const logged = { service: r.service, method: r.method, path, global_request_id: r.call.globalRequestId };
    let connectFailures = 0;
    let statusFailures = 0;
    for (;;) {
      const started = performance.now();
      let res: TransportResponse;
      try {
        res = await this.o.transport({
          method: r.method,
          url,
          headers,
          timeoutMs,
          ...(body !== undefined ? { body } : {}),
          ...(r.stream ? { stream: true } : {}),
        });
      } catch (err) {
        const failure = err instanceof ConnectFailure ? err : new ConnectFailure(url, 'ETRANSPORT', String(err));
        this.o.log?.warn(
          { ...logged, error: failure.code, duration_ms: Math.round(performance.now() - started) },
          `${r.service} ${r.method} ${path} failed: ${failure.message}`,
        );
        if (idempotent && connectFailures < (r.connectRetries ?? this.o.connectRetries)) {
          await sleep(this.backoff(++connectFailures));
          continue;
        }
        throw failure;
      }
      const requestId = peerRequestId(res.headers);
      const level = res.status >= 500 ? 'warn' : 'debug';
      // Built only when it is logged: a scheduler makes ~100 calls/s.
      if (this.o.log?.isLevelEnabled(level)) {
        this.o.log[level](
          {
            ...logged,
            status: res.status,
            duration_ms: Math.round(performance.now() - started),
            peer_request_id: requestId,
          },
          `${r.service} ${r.method} ${path} ${res.status}`,
        );
      }
      if (res.status >= 200 && res.status < 300) {
        return {
          status: res.status,
          headers: res.headers,
          requestId,
          body: res.body,
          ...(res.stream ? { stream: res.stream } : {}),
        };
      }
      const text = res.stream ? await readAll(res.stream) : res.body;
      if (
        RETRIABLE_STATUS.has(res.status) &&
        idempotent &&
        statusFailures < (r.statusCodeRetries ?? this.o.statusCodeRetries)
      ) {
        await sleep(this.backoff(++statusFailures));
        continue;
      }
      const contentType = res.headers['content-type'];
      throw new ClientError(
        r.service,
        r.method,
        path,
        res.status,
        parseErrorBody(text, typeof contentType === 'string' ? contentType : ''),
        requestId,
      );
    }
  }

  /** Exponential with jitter, so that callers a failure hit together do not retry together. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(this.o.maxRetryDelayMs, this.o.retryDelayMs * 2 ** (attempt - 1));
    return ceiling / 2 + (Math.random() * ceiling) / 2;
  }
}
