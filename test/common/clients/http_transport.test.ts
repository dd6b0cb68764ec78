// What only a socket shows: connections kept alive between calls, connection failures retried
// for idempotent calls (never for a POST), and a refused connection reported as such.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adapter, asService, ConnectFailure, httpTransport, Session } from '../../../src/common/clients/index.js';
import { freePort } from '../../helpers/cloud.js';

/** A server that cuts the first `cut` connections' requests short, then answers 200. */
function flakyServer() {
  const state = { cut: 0, requests: 0, connections: 0 };
  const server: Server = createServer((req, res) => {
    state.requests++;
    if (state.cut > 0) {
      state.cut--;
      req.socket.destroy();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-openstack-request-id', 'req-00000000-0000-0000-0000-000000000001');
    res.end(JSON.stringify({ ok: true }));
  });
  server.on('connection', (_s: Socket) => {
    state.connections++;
  });
  return { server, state };
}

describe('HTTP transport', () => {
  const { server, state } = flakyServer();
  let base: string;
  // No identity here: the session's login goes to this same server, which answers a token.
  const transport = httpTransport();
  const loggedIn: typeof transport = async (r) =>
    r.url.endsWith('/v3/auth/tokens')
      ? {
          status: 201,
          headers: { 'x-subject-token': 'tok' },
          body: JSON.stringify({ token: { expires_at: '2999-01-01T00:00:00Z', catalog: [] } }),
        }
      : transport(r);
  const adapter = (url: string) =>
    new Adapter(
      new Session({
        transport: loggedIn,
        authUrl: 'http://identity.invalid',
        retryDelayMs: 1,
        maxRetryDelayMs: 5,
        credentials: {
          username: 'u',
          password: 'p',
          projectName: 'service',
          userDomainName: 'Default',
          projectDomainName: 'Default',
        },
      }),
      { serviceType: 'peer', endpointOverride: url, connectRetries: 2 },
    );

  beforeAll(async () => {
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('keeps one connection alive across sequential calls', async () => {
    const peer = adapter(base);
    const before = state.connections;
    for (let i = 0; i < 20; i++) expect(await peer.json(asService(), 'GET', '/x')).toEqual({ ok: true });
    expect(state.connections - before).toBe(1);
  });

  it('retries an idempotent call whose connection was cut, not a POST', async () => {
    const peer = adapter(base);
    state.cut = 2;
    let before = state.requests;
    expect(await peer.json(asService(), 'GET', '/x')).toEqual({ ok: true });
    expect(state.requests - before).toBe(3);

    state.cut = 1;
    before = state.requests;
    const err = await peer.request(asService(), 'POST', '/x', { json: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectFailure);
    expect(state.requests - before).toBe(1);
    state.cut = 0;
  });

  it('reports a refused connection after its retries', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const err = await adapter(closed)
      .request(asService(), 'GET', '/x')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectFailure);
    expect((err as ConnectFailure).code).toBe('ECONNREFUSED');
  });
});
