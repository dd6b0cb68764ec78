import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createServer, servicePlugin } from '../../src/common/http/app.js';
import type { Authenticator } from '../../src/common/http/auth.js';
import { createLogger } from '../../src/common/log.js';
import { loadConfig } from '../../src/common/config.js';
import { keystoneAuthenticator, TokenVerifier, type KeystoneAuthOptions } from '../../src/identity/index.js';
import {
  credentialsFromConfig,
  injectTransport,
  Session,
  type ServiceCredentials,
  type Transport,
} from '../../src/common/clients/index.js';
import { DEMO_PASSWORD, SERVICE_PASSWORD, startIdentity, type TestIdentity } from '../helpers/identity.js';

const credentials = {
  username: 'placement',
  password: SERVICE_PASSWORD,
  projectName: 'service',
  userDomainName: 'Default',
  projectDomainName: 'Default',
};

/** A downstream service that echoes the request context its authenticator produced. */
async function downstream(authenticate: Authenticator): Promise<FastifyInstance> {
  const log = createLogger({ name: 'test' });
  log.level = 'silent';
  const app = createServer({ logger: log });
  await app.register(
    servicePlugin({
      name: 'echo',
      authenticate,
      formatError: (err) => ({
        contentType: 'application/json',
        body: JSON.stringify({ status: err.status, message: err.message }),
      }),
      routes: { '/whoami': { GET: async (req) => req.ctx } },
    }),
  );
  await app.ready();
  return app;
}

const AUTH_URL = 'http://identity.test/identity';
const session = (transport: Transport, c: ServiceCredentials = credentials) =>
  new Session({ transport, authUrl: AUTH_URL, credentials: c, retryDelayMs: 1 });

describe('keystoneAuthenticator', () => {
  let t: TestIdentity;
  let calls: string[];
  let transport: Transport;
  const make = async (o: Partial<KeystoneAuthOptions> = {}) =>
    downstream(keystoneAuthenticator({ session: session(transport), cacheSeconds: 60, ...o }));
  const whoami = async (app: FastifyInstance, headers: Record<string, string>) => {
    const r = await app.inject({ method: 'GET', url: '/whoami', headers });
    return { status: r.statusCode, body: JSON.parse(r.body) };
  };

  beforeAll(async () => {
    t = await startIdentity({ prefix: '/identity' });
    const inner = injectTransport(t.app, 'http://identity.test');
    transport = async (req) => {
      calls.push(`${req.method} ${req.url.slice(AUTH_URL.length)}`);
      return inner(req);
    };
  });
  afterAll(async () => {
    await t.close();
  });

  it('turns a token into the request context, roles implied included, and caches it', async () => {
    calls = [];
    const app = await make();
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const r = await whoami(app, { 'x-auth-token': demo.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      userId: t.boot.demoUserId,
      projectId: t.boot.demoProjectId,
      domainId: null,
      systemScope: null,
    });
    expect(r.body.roles.sort()).toEqual(['member', 'reader']);
    expect(calls).toEqual(['POST /v3/auth/tokens', 'GET /v3/auth/tokens?nocatalog']);
    await whoami(app, { 'x-auth-token': demo.token });
    expect(calls).toHaveLength(2);
    await app.close();
  });

  it("passes the caller's global request id, else the request's own, on to identity", async () => {
    const sent: (string | undefined)[] = [];
    const inner = transport;
    const app = await downstream(
      keystoneAuthenticator({
        cacheSeconds: 0,
        session: session(async (req) => {
          sent.push(req.headers['x-openstack-request-id']);
          return inner(req);
        }),
      }),
    );
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const global = 'req-0123abcd-4567-89ab-cdef-0123456789ab';
    await app.inject({
      method: 'GET',
      url: '/whoami',
      headers: { 'x-auth-token': demo.token, 'x-openstack-request-id': global },
    });
    expect(sent).toEqual([global, global]);
    sent.length = 0;
    const own = await app.inject({ method: 'GET', url: '/whoami', headers: { 'x-auth-token': demo.token } });
    expect(sent).toEqual([own.headers['x-openstack-request-id']]);
    await app.close();
  });

  it('refuses missing, invalid and revoked tokens with 401', async () => {
    const app = await make({ cacheSeconds: 0 });
    expect((await whoami(app, {})).status).toBe(401);
    expect((await whoami(app, { 'x-auth-token': 'garbage' })).status).toBe(401);
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    expect((await whoami(app, { 'x-auth-token': demo.token })).status).toBe(200);
    await t.call('DELETE', '/v3/auth/tokens', undefined, { 'x-subject-token': demo.token });
    expect((await whoami(app, { 'x-auth-token': demo.token })).status).toBe(401);
    await app.close();
  });

  it('honours a revocation once the cached validation runs out', async () => {
    const app = await make({ cacheSeconds: 1 });
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    expect((await whoami(app, { 'x-auth-token': demo.token })).status).toBe(200);
    await t.call('DELETE', '/v3/auth/tokens', undefined, { 'x-subject-token': demo.token });
    expect((await whoami(app, { 'x-auth-token': demo.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await whoami(app, { 'x-auth-token': demo.token })).status).toBe(401);
    await app.close();
  });

  it('with the public keys, refuses forged tokens without asking identity', async () => {
    calls = [];
    const app = await make({ verifier: new TokenVerifier(t.identity.signer.verificationKeys) });
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const [h, p] = demo.token.split('.');
    const forged = `${h}.${p}.${'A'.repeat(86)}`;
    expect((await whoami(app, { 'x-auth-token': forged })).status).toBe(401);
    expect((await whoami(app, { 'x-auth-token': 'not.a.jwt' })).status).toBe(401);
    expect(calls).toEqual([]);
    expect((await whoami(app, { 'x-auth-token': demo.token })).status).toBe(200);
    await app.close();
  });

  it("marks requests carrying a service's X-Service-Token", async () => {
    const app = await make();
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const svc = await t.login({ user: 'placement', password: SERVICE_PASSWORD, project: 'service' });
    const withService = await whoami(app, { 'x-auth-token': demo.token, 'x-service-token': svc.token });
    expect(withService.body.isService).toBe(true);
    expect(withService.body.userId).toBe(t.boot.demoUserId);
    const notService = await whoami(app, { 'x-auth-token': demo.token, 'x-service-token': demo.token });
    expect(notService.body.isService).toBe(false);
    expect((await whoami(app, { 'x-auth-token': demo.token, 'x-service-token': 'garbage' })).status).toBe(401);
    await app.close();
  });

  it('answers 503 when identity cannot be reached or its credentials are wrong', async () => {
    const down = await downstream(
      keystoneAuthenticator({
        session: session(async () => {
          throw new Error('connection refused');
        }),
      }),
    );
    expect((await whoami(down, { 'x-auth-token': 'x' })).status).toBe(503);
    await down.close();
    const wrong = await make({ session: session(transport, { ...credentials, password: 'wrong' }) });
    expect((await whoami(wrong, { 'x-auth-token': t.adminToken })).status).toBe(503);
    await wrong.close();
  });

  it('takes its service user from [keystone_authtoken]', async () => {
    const config = loadConfig(undefined, {
      CONCORD_KEYSTONE_AUTHTOKEN__USERNAME: 'placement',
      CONCORD_KEYSTONE_AUTHTOKEN__PASSWORD: SERVICE_PASSWORD,
    });
    expect(credentialsFromConfig(config)).toEqual(credentials);
    const app = await make({
      session: session(transport, credentialsFromConfig(config)),
      cacheSeconds: config.keystoneTokenCacheTime,
    });
    expect((await whoami(app, { 'x-auth-token': t.adminToken })).status).toBe(200);
    await app.close();
  });
});
