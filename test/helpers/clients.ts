// The two ways concord's service clients reach a cloud, for tests that must pass either way:
//  - in-process: the cloud of `concord up` built by src/cli/cloud.ts, reached through its own
//    inject() transport (no socket anywhere);
//  - http: `bin/concord.js up` as a real process, reached over kept-alive HTTP (needs `npm run build`).
// Beside the cloud, a peer: a test server that shows what a callee sees (headers, attempts) and
// answers as a test asks (503s, error bodies in Nova's, Neutron's or Ironic's format, silence).
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildCloud } from '../../src/cli/cloud.js';
import { resolveRuntime } from '../../src/cli/runtime.js';
import {
  httpTransport,
  injectTransport,
  Session,
  type ServiceCredentials,
  type SessionOptions,
  type Transport,
} from '../../src/common/clients/index.js';
import { startCloud } from './cloud.js';

export interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** A test server standing for a service the clients call. */
export interface Peer {
  app: FastifyInstance;
  /** Every request it got, in order. */
  seen: Seen[];
  /** Requests per /flaky key. */
  hits: Map<string, number>;
}

const ERROR_BODIES: Record<string, { status: number; body: unknown }> = {
  nova: { status: 404, body: { itemNotFound: { code: 404, message: 'Flavor vm-huge could not be found.' } } },
  neutron: {
    status: 404,
    body: { NeutronError: { type: 'NetworkNotFound', message: 'Network 42 could not be found.', detail: '' } },
  },
  ironic: {
    status: 409,
    body: {
      error_message: JSON.stringify({
        faultcode: 'Client',
        faultstring: 'Node n1 is locked by host c1.',
        debuginfo: null,
      }),
    },
  },
};

export async function startPeer(): Promise<Peer> {
  const seen: Seen[] = [];
  const hits = new Map<string, number>();
  const app = Fastify();
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addHook('onRequest', async (req) => {
    seen.push({ method: req.method, url: req.url, headers: { ...req.headers }, body: undefined });
  });
  app.addHook('preHandler', async (req) => {
    seen[seen.length - 1]!.body = req.body;
  });
  // Answers `status` (default 503) to the first `fail` requests for `key`, then 200.
  app.all('/flaky/:key', async (req, reply) => {
    const { key } = req.params as { key: string };
    const q = req.query as { fail?: string; status?: string };
    const n = (hits.get(key) ?? 0) + 1;
    hits.set(key, n);
    if (n <= Number(q.fail ?? 0)) {
      return reply
        .code(Number(q.status ?? 503))
        .send({ errors: [{ status: Number(q.status ?? 503), title: 'Unavailable', detail: `attempt ${n}` }] });
    }
    return { hits: n };
  });
  app.get('/errors/:format', async (req, reply) => {
    const e = ERROR_BODIES[(req.params as { format: string }).format]!;
    return reply
      .code(e.status)
      .header('x-openstack-request-id', 'req-00000000-0000-0000-0000-00000000peer')
      .send(e.body);
  });
  app.get('/slow', async (req) => {
    await new Promise((r) => setTimeout(r, Number((req.query as { ms: string }).ms)));
    return { late: true };
  });
  app.all('/*', async () => ({ ok: true }));
  await app.ready();
  return { app, seen, hits };
}

export interface Harness {
  name: 'in-process' | 'http';
  /** Reaches the cloud and the peer. */
  transport: Transport;
  cloudBase: string;
  authUrl: string;
  peerBase: string;
  peer: Peer;
  passwords: { admin: string; demo: string; service: string };
  /** What the cloud logged so far (one JSON object a line). */
  cloudLog(): string;
  /** A service user's session (placement's, unless told) with quick retries. */
  session(
    o?: { credentials?: Partial<ServiceCredentials>; transport?: Transport } & Omit<
      Partial<SessionOptions>,
      'credentials'
    >,
  ): Session;
  close(): Promise<void>;
}

const SERVICE_USER = {
  username: 'placement',
  projectName: 'service',
  userDomainName: 'Default',
  projectDomainName: 'Default',
};

function sessionMaker(transport: Transport, authUrl: string, servicePassword: string): Harness['session'] {
  return (o = {}) =>
    new Session({
      transport: o.transport ?? transport,
      authUrl,
      retryDelayMs: 5,
      maxRetryDelayMs: 20,
      ...o,
      credentials: { ...SERVICE_USER, password: servicePassword, ...o.credentials },
    });
}

/** The cloud built in this process, its logs kept. */
async function inProcess(peer: Peer): Promise<Harness> {
  const cloudBase = 'http://cloud.test';
  const peerBase = 'http://peer.test';
  const dataDir = mkdtempSync(join(tmpdir(), 'concord-clients-'));
  let logged = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      logged += String(chunk);
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const cloud = await buildCloud({
    runtime: resolveRuntime({ dataDir }, { fakeHypervisors: 0 }, {}),
    log,
    publicBase: cloudBase,
  });
  // The peer in-process too: no socket anywhere.
  const transport = injectTransport(peer.app, peerBase, cloud.transport);
  const c = cloud.credentials;
  const passwords = { admin: c.adminPassword, demo: c.demoPassword, service: c.servicePassword };
  return {
    name: 'in-process',
    transport,
    cloudBase,
    authUrl: cloud.authUrl,
    peerBase,
    peer,
    passwords,
    cloudLog: () => logged,
    session: sessionMaker(transport, cloud.authUrl, passwords.service),
    async close() {
      await cloud.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `concord up` as a process, the peer on a port of its own. */
async function overHttp(peer: Peer): Promise<Harness> {
  const cloud = await startCloud({ env: { CONCORD_LOG_LEVEL: 'debug' } });
  const peerBase = await peer.app.listen({ port: 0, host: '127.0.0.1' });
  const transport = httpTransport();
  const authUrl = `${cloud.base}/identity`;
  const c = cloud.credentials;
  const passwords = { admin: c.admin_password, demo: c.demo_password, service: c.service_password };
  return {
    name: 'http',
    transport,
    cloudBase: cloud.base,
    authUrl,
    peerBase,
    peer,
    passwords,
    cloudLog: cloud.log,
    session: sessionMaker(transport, authUrl, passwords.service),
    async close() {
      await cloud.stop();
      cloud.cleanup();
    },
  };
}

export const HARNESSES = { 'in-process': inProcess, http: overHttp } as const;

export async function startHarness(name: keyof typeof HARNESSES): Promise<Harness> {
  const peer = await startPeer();
  try {
    const h = await HARNESSES[name](peer);
    return {
      ...h,
      close: async () => {
        await h.close();
        await peer.app.close();
      },
    };
  } catch (err) {
    await peer.app.close();
    throw err;
  }
}

/** Records `METHOD /path` of every call through `inner`. */
export function recording(inner: Transport): { transport: Transport; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    transport: async (r) => {
      calls.push(`${r.method} ${new URL(r.url).pathname}`);
      return inner(r);
    },
  };
}
