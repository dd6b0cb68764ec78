// The session under the service clients, against a real cloud reached both ways — in-process
// (inject) and over a socket (`bin/concord.js up`) — with the same cases: one login for many
// calls, a new one after a revocation, service and user tokens as the callee sees them, the
// global request id passed on, retries, timeouts, catalog lookup, endpoint override, and every
// service's error body mapped.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Adapter,
  asService,
  ClientError,
  ConnectFailure,
  EndpointNotFound,
  IdentityClient,
  ImageClient,
  onBehalfOf,
  PlacementClient,
  serviceClients,
  type Call,
  type Session,
} from '../../../src/common/clients/index.js';
import { loadConfig } from '../../../src/common/config.js';
import { recording, startHarness, type Harness } from '../../helpers/clients.js';

const LOGIN = 'POST /identity/v3/auth/tokens';
const DEMO_CTX = { userId: 'demo', projectId: 'demo', systemScope: null, roles: ['member'] };

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _e, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    }),
  );
  return { log, lines };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('the call succeeded');
}

describe.each(['in-process', 'http'] as const)('service clients (%s)', (name) => {
  let h: Harness;
  let admin: Session;
  const asAdmin = asService();
  /** A call to identity as the admin (setup: revocations, catalog entries). */
  const identityCall = async (
    method: 'POST' | 'DELETE',
    path: string,
    json?: unknown,
    headers?: Record<string, string>,
  ) =>
    admin.request({
      service: 'identity',
      endpoint: h.authUrl,
      method,
      path,
      call: asAdmin,
      ...(json ? { json } : {}),
      ...(headers ? { headers } : {}),
    });
  const userToken = async (user: 'demo' | 'admin') => {
    const s = h.session({ credentials: { username: user, password: h.passwords[user], projectName: user } });
    return (await s.token(asService())).token;
  };

  beforeAll(async () => {
    h = await startHarness(name);
    admin = h.session({ credentials: { username: 'admin', password: h.passwords.admin, projectName: 'admin' } });
  }, 60000);
  afterAll(async () => {
    await h?.close();
  });

  it('logs in once for many calls, concurrent ones included', async () => {
    const rec = recording(h.transport);
    const placement = new PlacementClient(h.session({ transport: rec.transport }));
    const call = asService();
    await Promise.all(Array.from({ length: 10 }, () => placement.resourceProviders.list(call)));
    for (let i = 0; i < 10; i++) await placement.resourceProviders.list(call);
    expect(rec.calls.filter((c) => c === LOGIN)).toHaveLength(1);
    expect(rec.calls.filter((c) => c === 'GET /placement/resource_providers')).toHaveLength(20);
  });

  it('logs in again, once, when the callee refuses its revoked token', async () => {
    const rec = recording(h.transport);
    const session = h.session({ transport: rec.transport });
    const placement = new PlacementClient(session);
    const call = asService();
    await placement.resourceProviders.list(call);
    const first = (await session.token(call)).token;
    await identityCall('DELETE', '/v3/auth/tokens', undefined, { 'x-subject-token': first });
    await placement.resourceProviders.list(call);
    expect(rec.calls).toEqual([
      LOGIN,
      'GET /placement/resource_providers',
      'GET /placement/resource_providers',
      LOGIN,
      'GET /placement/resource_providers',
    ]);
    expect((await session.token(call)).token).not.toBe(first);
  });

  it("on a user's behalf sends the user's token with its own as X-Service-Token; as the service, its own alone", async () => {
    const session = h.session();
    const peer = new Adapter(session, { serviceType: 'peer', endpointOverride: h.peerBase });
    const demo = await userToken('demo');
    const own = (await session.token(asService())).token;
    const forDemo = onBehalfOf({ ...DEMO_CTX, authToken: demo }, { requestId: `req-${randomUUID()}` });
    await peer.request(forDemo, 'GET', '/who');
    await peer.request(asService(), 'GET', '/who');
    const [user, service] = h.peer.seen.filter((s) => s.url === '/who').map((s) => s.headers);
    expect(user!['x-auth-token']).toBe(demo);
    expect(user!['x-service-token']).toBe(own);
    expect(service!['x-auth-token']).toBe(own);
    expect(service!['x-service-token']).toBeUndefined();
    // The callee applies the user's roles: the demo member may not list providers, the service may.
    const placement = new PlacementClient(session);
    const refused = await failure(placement.resourceProviders.list(forDemo));
    expect(refused).toBeInstanceOf(ClientError);
    expect((refused as ClientError).status).toBe(403);
    expect(await placement.resourceProviders.list(asService())).toEqual(expect.any(Array));
  });

  it("a 401 for the user's token is the caller's answer: its own token is kept", async () => {
    const rec = recording(h.transport);
    const placement = new PlacementClient(h.session({ transport: rec.transport }));
    const err = await failure(
      placement.resourceProviders.list(
        onBehalfOf({ ...DEMO_CTX, authToken: 'not-a-token' }, { requestId: `req-${randomUUID()}` }),
      ),
    );
    expect((err as ClientError).status).toBe(401);
    // One login, then the refusal and a check that identity still takes our token.
    expect(rec.calls).toEqual([LOGIN, 'GET /placement/resource_providers', 'HEAD /identity/v3/auth/tokens']);
  });

  it("passes on the caller's global request id, else the request's own, and logs each call without tokens", async () => {
    const { log, lines } = capture();
    const session = h.session({ log });
    const peer = new Adapter(session, { serviceType: 'peer', endpointOverride: h.peerBase });
    const global = `req-${randomUUID()}`;
    const own = `req-${randomUUID()}`;
    await peer.request(asService({ requestId: own, globalRequestId: global }), 'GET', '/ids/1');
    await peer.request(asService({ requestId: own }), 'GET', '/ids/2');
    await peer.request(asService(), 'GET', '/ids/3');
    const sent = h.peer.seen.filter((s) => s.url.startsWith('/ids/')).map((s) => s.headers['x-openstack-request-id']);
    expect(sent.slice(0, 2)).toEqual([global, own]);
    expect(sent[2]).toMatch(/^req-[0-9a-f-]{36}$/);

    const demo = await userToken('demo');
    await failure(
      new PlacementClient(session).resourceProviders.show(
        onBehalfOf({ ...DEMO_CTX, authToken: demo }, { requestId: own, globalRequestId: global }),
        randomUUID(),
      ),
    );
    const line = lines.find((l) => l.service === 'placement' && l.global_request_id === global)!;
    expect(line).toMatchObject({ method: 'GET', status: 403, path: expect.stringMatching(/^\/resource_providers\//) });
    expect(line.peer_request_id).toMatch(/^req-/);
    expect(line.duration_ms).toEqual(expect.any(Number));
    const text = JSON.stringify(lines);
    expect(text).not.toContain(demo);
    expect(text).not.toContain((await session.token(asService())).token);
    expect(text).not.toContain(h.passwords.service);
  });

  it('retries idempotent calls answered 502, 503 or 504, a POST only when marked idempotent', async () => {
    const peer = new Adapter(h.session(), { serviceType: 'peer', endpointOverride: h.peerBase, statusCodeRetries: 3 });
    const call = asService();
    const key = () => randomUUID();
    for (const status of [502, 503, 504]) {
      const k = key();
      const res = await peer.json<{ hits: number }>(call, 'GET', `/flaky/${k}?fail=2&status=${status}`);
      expect(res.hits).toBe(3);
    }
    for (const method of ['PUT', 'DELETE', 'HEAD'] as const) {
      const k = key();
      await peer.request(call, method, `/flaky/${k}?fail=1`);
      expect(h.peer.hits.get(k)).toBe(2);
    }
    const gaveUp = key();
    const err = await failure(peer.request(call, 'GET', `/flaky/${gaveUp}?fail=10`));
    expect((err as ClientError).status).toBe(503);
    expect(h.peer.hits.get(gaveUp)).toBe(4);

    const post = key();
    expect(
      ((await failure(peer.request(call, 'POST', `/flaky/${post}?fail=1`, { json: {} }))) as ClientError).status,
    ).toBe(503);
    expect(h.peer.hits.get(post)).toBe(1);
    const marked = key();
    await peer.request(call, 'POST', `/flaky/${marked}?fail=1`, { json: {}, idempotent: true });
    expect(h.peer.hits.get(marked)).toBe(2);
    const internal = key();
    expect(
      ((await failure(peer.request(call, 'GET', `/flaky/${internal}?fail=1&status=500`))) as ClientError).status,
    ).toBe(500);
    expect(h.peer.hits.get(internal)).toBe(1);
  });

  it('gives up on a call after its timeout', async () => {
    const peer = new Adapter(h.session(), { serviceType: 'peer', endpointOverride: h.peerBase, connectRetries: 0 });
    const started = Date.now();
    const err = await failure(peer.request(asService(), 'GET', '/slow?ms=1000', { timeoutMs: 100 }));
    expect(err).toBeInstanceOf(ConnectFailure);
    expect((err as ConnectFailure).code).toBe('ETIMEDOUT');
    expect(Date.now() - started).toBeLessThan(900);
    expect(await peer.json(asService(), 'GET', '/slow?ms=10', { timeoutMs: 1000 })).toEqual({ late: true });
  });

  it('finds endpoints in the catalog by type, interface and region', async () => {
    const type = `peer-${randomUUID().slice(0, 8)}`;
    await identityCall('POST', '/v3/regions', { region: { id: `Region-${type}` } });
    const svc = JSON.parse(
      (await identityCall('POST', '/v3/services', { service: { type, name: type } })).body,
    ).service;
    for (const [region, iface, where] of [
      ['RegionOne', 'public', 'r1-public'],
      ['RegionOne', 'internal', 'r1-internal'],
      [`Region-${type}`, 'public', 'r2-public'],
    ] as const) {
      await identityCall('POST', '/v3/endpoints', {
        endpoint: { service_id: svc.id, interface: iface, region_id: region, url: `${h.peerBase}/${where}/` },
      });
    }
    // The catalog comes with the token: a session made now sees the new endpoints.
    const session = h.session();
    const reached = async (o: Partial<ConstructorParameters<typeof Adapter>[1]>) => {
      const path = `/${randomUUID()}`;
      await new Adapter(session, { serviceType: type, ...o }).request(asService(), 'GET', path);
      return h.peer.seen.find((s) => s.url.endsWith(path))!.url.slice(0, -path.length);
    };
    expect(await reached({})).toBe('/r1-internal');
    expect(await reached({ interfaces: ['public'], region: 'RegionOne' })).toBe('/r1-public');
    expect(await reached({ interfaces: ['internal', 'public'], region: `Region-${type}` })).toBe('/r2-public');
    for (const o of [{ interfaces: ['admin'] as const }, { region: 'Atlantis' }, { serviceType: 'no-such-type' }]) {
      const err = await failure(new Adapter(session, { serviceType: type, ...o }).request(asService(), 'GET', '/'));
      expect(err).toBeInstanceOf(EndpointNotFound);
    }
    expect(await new Adapter(session, { serviceType: 'placement', interfaces: ['public'] }).url(asService())).toBe(
      `${h.cloudBase}/placement`,
    );
  });

  it("calls [placement] endpoint_override instead of the catalog's, with the client's microversion", async () => {
    const config = loadConfig(undefined, { CONCORD_PLACEMENT__ENDPOINT_OVERRIDE: `${h.peerBase}/elsewhere/` });
    const { placement, image } = serviceClients(h.session(), config);
    const uuid = randomUUID();
    await placement.resourceProviders.show(asService(), uuid);
    const seen = h.peer.seen.find((s) => s.url === `/elsewhere/resource_providers/${uuid}`)!;
    expect(seen.headers['openstack-api-version']).toBe('placement 1.39');
    // The other services are still found in the catalog.
    expect(await image.api.url(asService())).toBe(`${h.cloudBase}/image`);
  });

  it("maps each service's error body to a ClientError with the peer's request id", async () => {
    const session = h.session();
    const call = asService();
    const placement = new PlacementClient(session);
    const missing = randomUUID();
    const p404 = (await failure(placement.resourceProviders.show(call, missing))) as ClientError;
    expect(p404).toMatchObject({
      service: 'placement',
      status: 404,
      code: 'placement.undefined_code',
      title: 'Not Found',
    });
    expect(p404.detail).toContain(missing);
    expect(p404.requestId).toMatch(/^req-/);
    const rp = await placement.resourceProviders.create(call, { name: `conflict-${missing}` });
    const p409 = (await failure(
      placement.inventories.put(call, rp.uuid, rp.generation + 5, { VCPU: { total: 4 } }),
    )) as ClientError;
    expect(p409).toMatchObject({ status: 409, code: 'placement.concurrent_update' });

    const k404 = (await failure(new IdentityClient(session).showProject(call, missing))) as ClientError;
    expect(k404).toMatchObject({
      service: 'identity',
      status: 404,
      title: 'Not Found',
      detail: `Could not find project: ${missing}.`,
    });
    expect(k404.requestId).toMatch(/^req-/);

    const g404 = (await failure(new ImageClient(session).show(call, missing))) as ClientError;
    expect(g404).toMatchObject({ service: 'image', status: 404, title: 'Not Found' });
    expect(g404.detail).toMatch(/No image found with ID/);
    expect(g404.requestId).toMatch(/^req-/);

    const peer = new Adapter(session, { serviceType: 'compute', endpointOverride: h.peerBase });
    const expected: Record<string, Partial<ClientError>> = {
      nova: { status: 404, code: 'itemNotFound', detail: 'Flavor vm-huge could not be found.' },
      neutron: { status: 404, code: 'NetworkNotFound', detail: 'Network 42 could not be found.' },
      ironic: { status: 409, code: 'Client', detail: 'Node n1 is locked by host c1.' },
    };
    for (const [format, e] of Object.entries(expected)) {
      const err = (await failure(peer.request(call, 'GET', `/errors/${format}`))) as ClientError;
      expect(err).toMatchObject({ ...e, requestId: 'req-00000000-0000-0000-0000-00000000peer' });
    }
  });

  it('reaches every service of the cloud by the catalog with the same session', async () => {
    const session = h.session();
    const call: Call = asService();
    const [project] = await new IdentityClient(session).listProjects(call, { name: 'service' });
    expect(project).toMatchObject({ name: 'service', domain_id: 'default' });
    expect(await new IdentityClient(session).showProject(call, project!.id)).toEqual(project);
    const images = await new ImageClient(session).list(call);
    expect(images.map((i) => i.name)).toContain('cirros-0.6.2-x86_64-disk');
  });
});
