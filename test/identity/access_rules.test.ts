// Application credential access rules: defined with a credential, listed and deleted per user,
// carried by the credential's tokens, and enforced by identity itself (service type identity) and
// by keystoneAuthenticator for the other services. On both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createServer, servicePlugin } from '../../src/common/http/app.js';
import { createLogger } from '../../src/common/log.js';
import { pathMatches } from '../../src/common/http/access_rules.js';
import { keystoneAuthenticator } from '../../src/identity/index.js';
import { injectTransport, Session } from '../../src/common/clients/index.js';
import { ADMIN_PASSWORD, SERVICE_PASSWORD, startIdentity, type TestIdentity } from '../helpers/identity.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const NONE = { 'x-auth-token': '' };
const skipPg = postgresUnavailable();

describe('access rule paths, as keystonemiddleware matches them', () => {
  it('matches * and {name} to one segment, ** to any number', () => {
    expect(pathMatches('/v2.1/servers/abc/ips', '/v2.1/servers/*/ips')).toBe(true);
    expect(pathMatches('/v2.1/servers/abc/def/ips', '/v2.1/servers/*/ips')).toBe(false);
    expect(pathMatches('/v2.1/servers/abc/ips', '/v2.1/servers/{server_id}/ips')).toBe(true);
    expect(pathMatches('/v2.1/servers/a/b/c', '/v2.1/servers/**')).toBe(true);
    expect(pathMatches('/v2x1/servers', '/v2.1/servers')).toBe(false);
    expect(pathMatches('/v2.1/servers/', '/v2.1/servers')).toBe(false);
  });
});

describe('application credential access rules, SQLite', () => accessRules(false));
describe.skipIf(skipPg)(`application credential access rules, PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () =>
  accessRules(true),
);

function accessRules(postgres: boolean) {
  let pg: PgCluster | undefined;
  let t: TestIdentity;
  let rules: string;
  let creds: string;
  const ips = { service: 'compute', method: 'GET', path: '/v2.1/servers/*/ips' };

  beforeAll(async () => {
    if (postgres) pg = await startPostgres();
    t = await startIdentity({
      prefix: '/identity',
      ...(pg ? { databaseUrl: await pg.createDatabase('access_rules') } : {}),
    });
    rules = `/v3/users/${t.boot.adminUserId}/access_rules`;
    creds = `/v3/users/${t.boot.adminUserId}/application_credentials`;
  });
  afterAll(async () => {
    await t?.close();
    pg?.stop();
  });

  const create = (name: string, accessRules?: unknown) =>
    t.call('POST', creds, {
      application_credential: { name, secret: 'sekret', ...(accessRules ? { access_rules: accessRules } : {}) },
    });
  const appCredToken = async (id: string) => {
    const r = await t.call(
      'POST',
      '/v3/auth/tokens',
      { auth: { identity: { methods: ['application_credential'], application_credential: { id, secret: 'sekret' } } } },
      NONE,
    );
    expect(r.status).toBe(201);
    return { token: String(r.headers['x-subject-token']), body: r.body };
  };

  it('defines rules with a credential, shares identical ones, and deletes them only when unused', async () => {
    const plain = await create('plain');
    expect(plain.body.application_credential).not.toHaveProperty('access_rules');
    const a = await create('a', [ips]);
    expect(a.status).toBe(201);
    const [rule] = a.body.application_credential.access_rules;
    expect(rule).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), ...ips });
    const b = await create('b', [{ ...ips }, { id: rule.id }]);
    expect(b.body.application_credential.access_rules).toEqual([rule]);
    expect(
      (await t.call('GET', `${creds}/${a.body.application_credential.id}`)).body.application_credential.access_rules,
    ).toEqual([rule]);

    const list = await t.call('GET', rules);
    expect(list.body.access_rules).toEqual([
      { ...rule, links: { self: expect.stringMatching(new RegExp(`${rules}/${rule.id}$`)) } },
    ]);
    expect((await t.call('GET', `${rules}?method=POST`)).body.access_rules).toEqual([]);
    expect((await t.call('GET', `${rules}/${rule.id}`)).body.access_rule).toMatchObject(rule);
    // A rule belongs to its user: not found under another's, even for the system.
    const system = await t.login({ user: 'admin', password: ADMIN_PASSWORD, scope: { system: { all: true } } });
    const elsewhere = await t.call('GET', `/v3/users/${t.boot.demoUserId}/access_rules/${rule.id}`, undefined, {
      'x-auth-token': system.token,
    });
    expect(elsewhere.status).toBe(404);

    const inUse = await t.call('DELETE', `${rules}/${rule.id}`);
    expect(inUse.status).toBe(403);
    expect(inUse.body.error.message).toBe('May not delete access rule in use');
    await t.call('DELETE', `${creds}/${a.body.application_credential.id}`);
    expect((await t.call('DELETE', `${rules}/${rule.id}`)).status).toBe(403);
    await t.call('DELETE', `${creds}/${b.body.application_credential.id}`);
    expect((await t.call('GET', rules)).body.access_rules).toHaveLength(1);
    expect((await t.call('DELETE', `${rules}/${rule.id}`)).status).toBe(204);
    expect((await t.call('GET', `${rules}/${rule.id}`)).status).toBe(404);
    expect((await t.call('DELETE', `${rules}/${rule.id}`)).status).toBe(404);
  });

  it('refuses malformed rules and unknown rule ids, creating nothing', async () => {
    const bad = [
      [{ ...ips, method: 'FETCH' }],
      [{ ...ips, path: 'v2.1/servers' }],
      [{ ...ips, extra: 1 }],
      [{ service: 'compute' }],
      [{ ...ips, service: 'a b' }],
      'GET',
    ];
    for (const accessRules of bad) {
      const r = await create('bad', accessRules);
      expect(r.status, JSON.stringify(accessRules)).toBe(400);
    }
    expect((await create('bad', [{ id: 'nope' }])).status).toBe(404);
    expect((await t.call('GET', `${creds}?name=bad`)).body.application_credentials).toEqual([]);
    expect((await t.call('GET', rules)).body.access_rules).toEqual([]);
  });

  it("puts the rules in the credential's tokens, valid only to a middleware that enforces them", async () => {
    const c = (await create('tok', [ips])).body.application_credential;
    const { token, body } = await appCredToken(c.id);
    expect(body.token.application_credential.access_rules).toEqual(c.access_rules);
    const subject = { 'x-subject-token': token };
    expect((await t.call('GET', '/v3/auth/tokens', undefined, subject)).status).toBe(404);
    expect((await t.call('HEAD', '/v3/auth/tokens', undefined, subject)).status).toBe(404);
    const aware = await t.call('GET', '/v3/auth/tokens', undefined, {
      ...subject,
      'openstack-identity-access-rules': '1',
    });
    expect(aware.status).toBe(200);
    expect(aware.body.token.application_credential.access_rules).toEqual(c.access_rules);
    // Its own token may always be validated; anything else of identity's is outside the rules.
    expect(
      (
        await t.call('GET', '/v3/auth/tokens', undefined, {
          'x-auth-token': token,
          'x-subject-token': token,
          'openstack-identity-access-rules': '1',
        })
      ).status,
    ).toBe(200);
    expect((await t.call('GET', `/v3/users/${t.boot.adminUserId}`, undefined, { 'x-auth-token': token })).status).toBe(
      401,
    );
    await t.call('DELETE', `${creds}/${c.id}`);
  });

  it('lets identity serve exactly the requests an identity rule allows', async () => {
    const c = (await create('idrule', [{ service: 'identity', method: 'GET', path: '/v3/users/{user_id}' }])).body
      .application_credential;
    const { token } = await appCredToken(c.id);
    const as = { 'x-auth-token': token };
    expect((await t.call('GET', `/v3/users/${t.boot.adminUserId}`, undefined, as)).status).toBe(200);
    expect((await t.call('GET', '/v3/users', undefined, as)).status).toBe(401);
    expect((await t.call('PATCH', `/v3/users/${t.boot.adminUserId}`, { user: { description: 'x' } }, as)).status).toBe(
      401,
    );
    await t.call('DELETE', `${creds}/${c.id}`);
  });

  it("holds other services' requests to their rules in keystoneAuthenticator", async () => {
    const c = (await create('svc', [{ service: 'placement', method: 'GET', path: '/resource_providers/*' }])).body
      .application_credential;
    const { token } = await appCredToken(c.id);
    const service = async (serviceType?: string): Promise<FastifyInstance> => {
      const log = createLogger({ name: 'test' });
      log.level = 'silent';
      const app = createServer({ logger: log });
      const authenticate = keystoneAuthenticator({
        session: new Session({
          transport: injectTransport(t.app, 'http://identity.test'),
          authUrl: 'http://identity.test/identity',
          credentials: {
            username: 'placement',
            password: SERVICE_PASSWORD,
            projectName: 'service',
            userDomainName: 'Default',
            projectDomainName: 'Default',
          },
        }),
        serviceType,
      });
      await app.register(
        servicePlugin({
          name: 'echo',
          authenticate,
          formatError: (err) => ({ contentType: 'application/json', body: JSON.stringify({ status: err.status }) }),
          routes: {
            '/resource_providers/:id': { GET: async () => ({ ok: true }), DELETE: async () => ({ ok: true }) },
            '/traits': { GET: async () => ({ ok: true }) },
          },
        }),
        { prefix: '/placement' },
      );
      await app.ready();
      return app;
    };
    const call = async (
      app: FastifyInstance,
      method: 'GET' | 'DELETE',
      url: string,
      extra: Record<string, string> = {},
    ) =>
      (await app.inject({ method, url: `/placement${url}`, headers: { 'x-auth-token': token, ...extra } })).statusCode;
    const placement = await service('placement');
    expect(await call(placement, 'GET', '/resource_providers/abc?x=1')).toBe(200);
    expect(await call(placement, 'DELETE', '/resource_providers/abc')).toBe(401);
    expect(await call(placement, 'GET', '/traits')).toBe(401);
    // A service acting for the user (X-Service-Token) is not held to the user's rules.
    const svc = await t.login({ user: 'placement', password: SERVICE_PASSWORD, project: 'service' });
    expect(await call(placement, 'GET', '/traits', { 'x-service-token': svc.token })).toBe(200);
    const image = await service('image');
    expect(await call(image, 'GET', '/resource_providers/abc')).toBe(401);
    const untyped = await service();
    expect(await call(untyped, 'GET', '/resource_providers/abc')).toBe(401);
    // Unrestricted tokens are unaffected.
    const admin = await t.login({ user: 'admin', password: ADMIN_PASSWORD, project: 'admin' });
    expect(
      (await untyped.inject({ method: 'GET', url: '/placement/traits', headers: { 'x-auth-token': admin.token } }))
        .statusCode,
    ).toBe(200);
    for (const app of [placement, image, untyped]) await app.close();
    await t.call('DELETE', `${creds}/${c.id}`);
  });

  it('lets a user see only its own rules, and deletes them with the user', async () => {
    const u = (await t.call('POST', '/v3/users', { user: { name: 'ruler', password: 'ruler-pw' } })).body.user.id;
    const member = (await t.call('GET', '/v3/roles?name=member')).body.roles[0].id;
    await t.call('PUT', `/v3/projects/${t.boot.demoProjectId}/users/${u}/roles/${member}`);
    const tok = await t.login({ user: 'ruler', password: 'ruler-pw', project: 'demo' });
    const as = { 'x-auth-token': tok.token };
    const mine = await t.call(
      'POST',
      `/v3/users/${u}/application_credentials`,
      { application_credential: { name: 'm', access_rules: [ips] } },
      as,
    );
    expect(mine.status).toBe(201);
    expect((await t.call('GET', `/v3/users/${u}/access_rules`, undefined, as)).body.access_rules).toHaveLength(1);
    expect((await t.call('GET', `/v3/users/${t.boot.adminUserId}/access_rules`, undefined, as)).status).toBe(403);
    expect((await t.call('DELETE', `/v3/users/${u}`)).status).toBe(204);
    const left = await t.identity.db.selectFrom('access_rule').select('id').where('user_id', '=', u).execute();
    expect(left).toEqual([]);
  });
}
