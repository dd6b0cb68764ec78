// A session bound to one service (keystoneauth's Adapter): where it is (catalog type, interfaces,
// region, or an endpoint override), which microversion to ask for, and how hard to try. The typed
// clients are built on one each.
import type { Readable } from 'node:stream';
import type { Call } from './call.js';
import type { EndpointFilter, Interface } from './catalog.js';
import type { ClientResponse, RetryOptions, Session } from './session.js';
import type { HttpMethod } from './transport.js';

export interface AdapterOptions extends RetryOptions {
  /** The catalog type (placement, image, identity ...). */
  serviceType: string;
  /** In order of preference; default internal, then public (Nova's default). */
  interfaces?: readonly Interface[];
  /** Empty or absent: any region. */
  region?: string;
  /** The service's URL, used instead of the catalog's ([placement] endpoint_override). */
  endpointOverride?: string;
  /** Sent as `OpenStack-API-Version: <service> <version>` unless a call asks for another. */
  microversion?: { service: string; version: string };
}

export interface CallOptions extends RetryOptions {
  json?: unknown;
  body?: string | Buffer | Readable;
  headers?: Record<string, string>;
  /** Overrides the adapter's microversion for this call. */
  microversion?: string;
  idempotent?: boolean;
  stream?: boolean;
}

const DEFAULT_INTERFACES: readonly Interface[] = ['internal', 'public'];

export class Adapter {
  private readonly endpoint: EndpointFilter | string;
  private readonly retry: RetryOptions;

  constructor(
    readonly session: Session,
    readonly opts: AdapterOptions,
  ) {
    this.endpoint = opts.endpointOverride
      ? opts.endpointOverride.replace(/\/+$/, '')
      : {
          serviceType: opts.serviceType,
          interfaces: opts.interfaces ?? DEFAULT_INTERFACES,
          ...(opts.region ? { region: opts.region } : {}),
        };
    this.retry = {
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.connectRetries !== undefined ? { connectRetries: opts.connectRetries } : {}),
      ...(opts.statusCodeRetries !== undefined ? { statusCodeRetries: opts.statusCodeRetries } : {}),
    };
  }

  /** The service's URL: the override, else the catalog's. */
  async url(call: Call): Promise<string> {
    return typeof this.endpoint === 'string' ? this.endpoint : this.session.endpoint(this.endpoint, call);
  }

  request(call: Call, method: HttpMethod, path: string, o: CallOptions = {}): Promise<ClientResponse> {
    const { microversion, headers, ...rest } = o;
    const version = microversion ?? this.opts.microversion?.version;
    return this.session.request({
      ...this.retry,
      ...rest,
      service: this.opts.serviceType,
      endpoint: this.endpoint,
      method,
      path,
      call,
      headers: {
        ...(version !== undefined
          ? { 'openstack-api-version': `${this.opts.microversion?.service ?? this.opts.serviceType} ${version}` }
          : {}),
        ...headers,
      },
    });
  }

  /** The JSON answer of a call. */
  async json<T>(call: Call, method: HttpMethod, path: string, o: CallOptions = {}): Promise<T> {
    return JSON.parse((await this.request(call, method, path, o)).body) as T;
  }
}
