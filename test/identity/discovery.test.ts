import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentity, type TestIdentity } from '../helpers/identity.js';

const NONE = { 'x-auth-token': '' };

describe('version discovery', () => {
  let t: TestIdentity;
  beforeAll(async () => {
    t = await startIdentity({ prefix: '/identity' });
  });
  afterAll(async () => {
    await t.close();
  });

  const v3 = {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: 'http://localhost:80/identity/v3/' }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };

  it('lists the versions at the root with 300 Multiple Choices, without a token', async () => {
    for (const path of ['', '/']) {
      const r = await t.call('GET', path, undefined, NONE);
      expect(r.status).toBe(300);
      expect(r.body).toEqual({ versions: { values: [v3] } });
    }
  });

  it('describes v3 at /v3 and /v3/', async () => {
    for (const path of ['/v3', '/v3/']) {
      const r = await t.call('GET', path, undefined, NONE);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ version: v3 });
      expect(r.headers['content-type']).toMatch(/^application\/json/);
    }
    expect((await t.call('HEAD', '/v3', undefined, NONE)).status).toBe(200);
  });

  it('builds links from the forwarded host and protocol', async () => {
    const r = await t.call('GET', '/v3', undefined, {
      ...NONE,
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'cloud.example',
    });
    expect(r.body.version.links[0].href).toBe('https://cloud.example/identity/v3/');
  });

  it('takes a trailing slash on any path, as Keystone (its url_normalize)', async () => {
    const users = await t.call('GET', '/v3/users/');
    expect(users.status).toBe(200);
    expect(users.body.users.map((u: { name: string }) => u.name)).toContain('admin');
    expect((await t.call('GET', `/v3/users/${t.boot.adminUserId}/`)).body.user.name).toBe('admin');
    const tok = await t.call(
      'POST',
      '/v3/auth/tokens/',
      {
        auth: {
          identity: { methods: ['password'], password: { user: { id: t.boot.adminUserId, password: 'admin-secret' } } },
        },
      },
      NONE,
    );
    expect(tok.status).toBe(201);
    expect((await t.call('GET', '/v3/users/', undefined, NONE)).status).toBe(401);
  });

  it("answers unknown paths and methods in Keystone's error format", async () => {
    const missing = await t.call('GET', '/v3/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 404, title: 'Not Found' });
    const method = await t.call('PUT', '/v3/users');
    expect(method.status).toBe(405);
    expect(method.body.error).toMatchObject({ code: 405, title: 'Method Not Allowed' });
    expect(method.headers.allow).toContain('POST');
  });
});
