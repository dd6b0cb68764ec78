import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, DEMO_PASSWORD, passwordAuth, startIdentity, type TestIdentity } from '../helpers/identity.js';

const NONE = { 'x-auth-token': '' };

/** The token with one character in the middle of its signature changed. The last characters
 * would not do: the final base64url character of an Ed25519 signature carries padding bits that
 * decoders ignore, so changing them can leave the signature intact. */
function spoilSignature(token: string): string {
  const at = token.lastIndexOf('.') + Math.floor((token.length - token.lastIndexOf('.')) / 2);
  return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
}

describe('POST /v3/auth/tokens', () => {
  let t: TestIdentity;
  beforeAll(async () => {
    t = await startIdentity({ prefix: '/identity' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('issues a project-scoped token with roles (implied included) and the catalog', async () => {
    const r = await t.login({ user: 'admin', password: ADMIN_PASSWORD, project: 'admin' });
    expect(r.status).toBe(201);
    expect(r.token.length).toBeGreaterThan(50);
    const tok = r.body.token;
    expect(tok.methods).toEqual(['password']);
    expect(tok.user).toMatchObject({
      name: 'admin',
      domain: { id: 'default', name: 'Default' },
      password_expires_at: null,
    });
    expect(tok.project).toMatchObject({ name: 'admin', domain: { id: 'default', name: 'Default' } });
    expect(tok.is_domain).toBe(false);
    expect(tok.roles.map((x: { name: string }) => x.name).sort()).toEqual(['admin', 'member', 'reader']);
    expect(tok.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Date.parse(tok.expires_at) - Date.parse(tok.issued_at)).toBeGreaterThan(3590_000);
    expect(tok.audit_ids).toHaveLength(1);
    const types = tok.catalog.map((s: { type: string }) => s.type).sort();
    expect(types).toEqual(['identity', 'placement']);
    const ep = tok.catalog.find((s: { type: string }) => s.type === 'placement').endpoints;
    expect(ep.map((e: { interface: string }) => e.interface).sort()).toEqual(['admin', 'internal', 'public']);
    expect(ep[0]).toMatchObject({ region: 'RegionOne', region_id: 'RegionOne', url: 'http://localhost/placement' });
  });

  it('authenticates a user by id, and by name with the domain given by name', async () => {
    const byId = await t.call(
      'POST',
      '/v3/auth/tokens',
      {
        auth: {
          identity: { methods: ['password'], password: { user: { id: t.boot.adminUserId, password: ADMIN_PASSWORD } } },
        },
      },
      NONE,
    );
    expect(byId.status).toBe(201);
    const byName = await t.call(
      'POST',
      '/v3/auth/tokens',
      {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { name: 'Default' }, password: ADMIN_PASSWORD } },
          },
        },
      },
      NONE,
    );
    expect(byName.status).toBe(201);
  });

  it("scopes to the user's default project when no scope is asked for, unless unscoped is explicit", async () => {
    await t.call('PATCH', `/v3/users/${t.boot.demoUserId}`, { user: { default_project_id: t.boot.demoProjectId } });
    const dflt = await t.login({ user: 'demo', password: DEMO_PASSWORD });
    expect(dflt.body.token.project.name).toBe('demo');
    const unscoped = await t.login({ user: 'demo', password: DEMO_PASSWORD, scope: 'unscoped' });
    expect(unscoped.status).toBe(201);
    expect(unscoped.body.token.project).toBeUndefined();
    expect(unscoped.body.token.roles).toBeUndefined();
    expect(unscoped.body.token.catalog).toBeUndefined();
    await t.call('PATCH', `/v3/users/${t.boot.demoUserId}`, { user: { default_project_id: null } });
    const plain = await t.login({ user: 'demo', password: DEMO_PASSWORD });
    expect(plain.body.token.project).toBeUndefined();
  });

  it('issues domain- and system-scoped tokens to users with roles there', async () => {
    const system = await t.login({ user: 'admin', password: ADMIN_PASSWORD, scope: { system: { all: true } } });
    expect(system.status).toBe(201);
    expect(system.body.token.system).toEqual({ all: true });
    expect(system.body.token.roles.map((x: { name: string }) => x.name)).toContain('reader');

    const noRole = await t.login({ user: 'admin', password: ADMIN_PASSWORD, scope: { domain: { id: 'default' } } });
    expect(noRole.status).toBe(401);
    const roles = await t.call('GET', '/v3/roles?name=reader');
    const reader = roles.body.roles[0].id;
    expect((await t.call('PUT', `/v3/domains/default/users/${t.boot.adminUserId}/roles/${reader}`)).status).toBe(204);
    const domain = await t.login({ user: 'admin', password: ADMIN_PASSWORD, scope: { domain: { name: 'Default' } } });
    expect(domain.status).toBe(201);
    expect(domain.body.token.domain).toEqual({ id: 'default', name: 'Default' });
    expect(domain.body.token.roles.map((x: { name: string }) => x.name)).toEqual(['reader']);
  });

  it('refuses wrong credentials with one 401 that does not say which part was wrong', async () => {
    const wrongPw = await t.login({ user: 'admin', password: 'nope', project: 'admin' });
    const noUser = await t.login({ user: 'nobody', password: 'nope', project: 'admin' });
    const noProject = await t.login({ user: 'admin', password: ADMIN_PASSWORD, project: 'nope' });
    const noRoleThere = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'admin' });
    for (const r of [wrongPw, noUser, noProject, noRoleThere]) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({
        error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
      });
      expect(r.headers['www-authenticate']).toBe('Keystone uri="http://localhost:80/identity"');
      expect(r.headers['x-subject-token']).toBeUndefined();
    }
  });

  it("answers malformed requests with 400 in Keystone's error format", async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /'identity' is a required property/],
      [{ auth: { identity: {} } }, /'methods' is a required property/],
      [{ auth: { identity: { methods: 'password' } } }, /Invalid input for field 'identity\/methods'/],
      [{ auth: { identity: { methods: ['password'] } } }, /Expecting to find password in identity/],
      [{ auth: { identity: { methods: ['password'], password: {} } } }, /Expecting to find user in password/],
      [passwordAuth('admin', 'x', { project: { name: 'admin' } }), /Expecting to find domain in project/],
      [
        { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', password: 'x' } } } } },
        /Expecting to find domain in user/,
      ],
      [passwordAuth('admin', ADMIN_PASSWORD, { project: { id: 'x' }, domain: { id: 'default' } }), /scope/],
      [passwordAuth('admin', ADMIN_PASSWORD, 'everything'), /Invalid input for field 'scope'/],
    ];
    for (const [body, msg] of cases) {
      const r = await t.call('POST', '/v3/auth/tokens', body, NONE);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe(400);
      expect(r.body.error.title).toBe('Bad Request');
      expect(r.body.error.message).toMatch(msg);
    }
    const notJson = await t.call('POST', '/v3/auth/tokens', '{"auth":', NONE);
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.message).toMatch(/valid JSON/);
    const xml = await t.call('POST', '/v3/auth/tokens', '<auth/>', { ...NONE, 'content-type': 'application/xml' });
    expect(xml.status).toBe(400);
    const array = await t.call('POST', '/v3/auth/tokens', [1, 2], NONE);
    expect(array.status).toBe(400);
  });

  it('never echoes a password in a validation error', async () => {
    const r = await t.call(
      'POST',
      '/v3/auth/tokens',
      {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { id: 'default' }, password: 12345678 } },
          },
        },
      },
      NONE,
    );
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).not.toContain('12345678');
  });

  it('refuses an unsupported method with 401', async () => {
    const r = await t.call('POST', '/v3/auth/tokens', { auth: { identity: { methods: ['totp'], totp: {} } } }, NONE);
    expect(r.status).toBe(401);
    expect(r.body.error.message).toBe('Attempted to authenticate with an unsupported method.');
  });

  it('rescopes with the token method, keeping the expiry and chaining the audit ids', async () => {
    const first = await t.login({ user: 'demo', password: DEMO_PASSWORD, scope: 'unscoped' });
    const r = await t.call(
      'POST',
      '/v3/auth/tokens',
      {
        auth: {
          identity: { methods: ['token'], token: { id: first.token } },
          scope: { project: { id: t.boot.demoProjectId } },
        },
      },
      NONE,
    );
    expect(r.status).toBe(201);
    expect(r.body.token.project.id).toBe(t.boot.demoProjectId);
    expect(r.body.token.expires_at).toBe(first.body.token.expires_at);
    expect(r.body.token.audit_ids).toEqual([expect.any(String), first.body.token.audit_ids[0]]);
    expect(r.body.token.methods).toEqual(['token', 'password']);
    const bad = await t.call(
      'POST',
      '/v3/auth/tokens',
      {
        auth: { identity: { methods: ['token'], token: { id: `${first.token}x` } } },
      },
      NONE,
    );
    expect(bad.status).toBe(404);
    // As Keystone validates it: a revoked token is not found either (keystoneauth tells it from a 401).
    expect((await t.call('DELETE', '/v3/auth/tokens', undefined, { 'x-subject-token': first.token })).status).toBe(204);
    const revoked = await t.call(
      'POST',
      '/v3/auth/tokens',
      {
        auth: { identity: { methods: ['token'], token: { id: first.token } } },
      },
      NONE,
    );
    expect(revoked.status).toBe(404);
  });
});

describe('GET/HEAD/DELETE /v3/auth/tokens', () => {
  let t: TestIdentity;
  beforeAll(async () => {
    t = await startIdentity();
  });
  afterAll(async () => {
    await t.close();
  });

  it('validates a token with X-Subject-Token, with or without the catalog', async () => {
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const r = await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': demo.token });
    expect(r.status).toBe(200);
    expect(r.headers['x-subject-token']).toBe(demo.token);
    expect(r.body.token.user.name).toBe('demo');
    expect(r.body.token.roles.map((x: { name: string }) => x.name).sort()).toEqual(['member', 'reader']);
    expect(r.body.token.catalog).toHaveLength(2);
    const nocat = await t.call('GET', '/v3/auth/tokens?nocatalog', undefined, { 'x-subject-token': demo.token });
    expect(nocat.body.token.catalog).toBeUndefined();
    const head = await t.call('HEAD', '/v3/auth/tokens', undefined, { 'x-subject-token': demo.token });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it('answers 404 for an unknown subject token and 400 without one', async () => {
    const r = await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': 'garbage' });
    expect(r.status).toBe(404);
    expect(r.body.error.title).toBe('Not Found');
    const head = await t.call('HEAD', '/v3/auth/tokens', undefined, { 'x-subject-token': 'garbage' });
    expect(head.status).toBe(404);
    expect((await t.call('GET', '/v3/auth/tokens')).status).toBe(400);
  });

  it('requires a valid X-Auth-Token for everything but discovery and POST /v3/auth/tokens', async () => {
    for (const token of ['', 'garbage', spoilSignature(t.adminToken)]) {
      const r = await t.call('GET', '/v3/users', undefined, { 'x-auth-token': token });
      expect(r.status).toBe(401);
      expect(r.body.error.title).toBe('Unauthorized');
    }
    expect((await t.call('GET', '/v3', undefined, NONE)).status).toBe(200);
  });

  it('revokes a token: it no longer validates nor authenticates, other tokens live on', async () => {
    const a = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const b = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    expect((await t.call('DELETE', '/v3/auth/tokens', undefined, { 'x-subject-token': a.token })).status).toBe(204);
    expect((await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': a.token })).status).toBe(404);
    expect((await t.call('GET', '/v3/auth/catalog', undefined, { 'x-auth-token': a.token })).status).toBe(401);
    expect((await t.call('DELETE', '/v3/auth/tokens', undefined, { 'x-subject-token': a.token })).status).toBe(404);
    expect((await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': b.token })).status).toBe(200);
  });

  it("answers a user checking its own revoked token 404, and another user's valid token 403", async () => {
    const own = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const other = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const as = { 'x-auth-token': other.token, 'x-subject-token': own.token };
    expect((await t.call('DELETE', '/v3/auth/tokens', undefined, as)).status).toBe(204);
    for (const method of ['GET', 'HEAD', 'DELETE']) {
      expect((await t.call(method, '/v3/auth/tokens', undefined, as)).status, method).toBe(404);
    }
    await t.call('POST', '/v3/users', { user: { name: 'nosy', password: 'nosy-pw' } });
    await t.call(
      'PUT',
      `/v3/projects/${t.boot.demoProjectId}/users/${(await t.call('GET', '/v3/users?name=nosy')).body.users[0].id}/roles/${(await t.call('GET', '/v3/roles?name=member')).body.roles[0].id}`,
    );
    const nosy = await t.login({ user: 'nosy', password: 'nosy-pw', project: 'demo' });
    const peek = await t.call('GET', '/v3/auth/tokens', undefined, {
      'x-auth-token': nosy.token,
      'x-subject-token': other.token,
    });
    expect(peek.status).toBe(403);
  });

  it("invalidates a user's tokens when the user is disabled or the password changes", async () => {
    const created = await t.call('POST', '/v3/users', { user: { name: 'carol', password: 'carol-pw-1' } });
    const id = created.body.user.id;
    const role = (await t.call('GET', '/v3/roles?name=member')).body.roles[0].id;
    await t.call('PUT', `/v3/projects/${t.boot.demoProjectId}/users/${id}/roles/${role}`);
    const tok = await t.login({ user: 'carol', password: 'carol-pw-1', project: 'demo' });
    expect(tok.status).toBe(201);
    const pw = await t.call(
      'POST',
      `/v3/users/${id}/password`,
      { user: { original_password: 'carol-pw-1', password: 'carol-pw-2' } },
      NONE,
    );
    expect(pw.status).toBe(204);
    expect((await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': tok.token })).status).toBe(404);
    expect((await t.login({ user: 'carol', password: 'carol-pw-1', project: 'demo' })).status).toBe(401);
    const tok2 = await t.login({ user: 'carol', password: 'carol-pw-2', project: 'demo' });
    expect(tok2.status).toBe(201);
    await t.call('PATCH', `/v3/users/${id}`, { user: { enabled: false } });
    expect((await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': tok2.token })).status).toBe(404);
    const disabled = await t.login({ user: 'carol', password: 'carol-pw-2', project: 'demo' });
    expect(disabled.status).toBe(401);
    await t.call('PATCH', `/v3/users/${id}`, { user: { enabled: true } });
    // Enabling the user again does not bring back the tokens revoked when it was disabled.
    expect((await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': tok2.token })).status).toBe(404);
  });

  it('drops a token whose last role on its project is revoked, and its roles follow the assignments', async () => {
    const u = (await t.call('POST', '/v3/users', { user: { name: 'dave', password: 'dave-pw' } })).body.user.id;
    const reader = (await t.call('GET', '/v3/roles?name=reader')).body.roles[0].id;
    const member = (await t.call('GET', '/v3/roles?name=member')).body.roles[0].id;
    await t.call('PUT', `/v3/projects/${t.boot.demoProjectId}/users/${u}/roles/${reader}`);
    const tok = await t.login({ user: 'dave', password: 'dave-pw', project: 'demo' });
    await t.call('PUT', `/v3/projects/${t.boot.demoProjectId}/users/${u}/roles/${member}`);
    const grown = await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': tok.token });
    expect(grown.body.token.roles.map((x: { name: string }) => x.name).sort()).toEqual(['member', 'reader']);
    await t.call('DELETE', `/v3/projects/${t.boot.demoProjectId}/users/${u}/roles/${member}`);
    await t.call('DELETE', `/v3/projects/${t.boot.demoProjectId}/users/${u}/roles/${reader}`);
    expect((await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': tok.token })).status).toBe(404);
  });

  it("serves the catalog, projects, domains and system of the caller's token", async () => {
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const as = { 'x-auth-token': demo.token };
    const cat = await t.call('GET', '/v3/auth/catalog', undefined, as);
    expect(cat.status).toBe(200);
    expect(cat.body.catalog.map((s: { type: string }) => s.type).sort()).toEqual(['identity', 'placement']);
    const projects = await t.call('GET', '/v3/auth/projects', undefined, as);
    expect(projects.body.projects.map((p: { name: string }) => p.name)).toEqual(['demo']);
    expect((await t.call('GET', '/v3/auth/domains', undefined, as)).body.domains).toEqual([]);
    expect((await t.call('GET', '/v3/auth/system', undefined, as)).body.system).toEqual([]);
    expect((await t.call('GET', '/v3/auth/system')).body.system).toEqual([{ all: true }]);
    const unscoped = await t.login({ user: 'demo', password: DEMO_PASSWORD, scope: 'unscoped' });
    const denied = await t.call('GET', '/v3/auth/catalog', undefined, { 'x-auth-token': unscoped.token });
    expect(denied.status).toBe(403);
    expect((await t.call('GET', '/v3/auth/projects', undefined, { 'x-auth-token': unscoped.token })).status).toBe(200);
  });
});

describe('token expiry and persistence', () => {
  it('refuses tokens once they expire ([token] expiration)', async () => {
    const t = await startIdentity({ config: { tokenExpiration: 1 } });
    try {
      const tok = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
      expect(Date.parse(tok.body.token.expires_at) - Date.parse(tok.body.token.issued_at)).toBeLessThanOrEqual(1000);
      await new Promise((r) => setTimeout(r, 2100));
      expect(
        (await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': tok.token, 'x-auth-token': tok.token }))
          .status,
      ).toBe(401);
      // The admin token of the helper expired too: a fresh one sees the subject as not found. It is
      // issued for an hour, so that a slow machine cannot let it expire before it is used.
      Object.assign(t.identity.config, { tokenExpiration: 3600 });
      const admin = await t.login({ user: 'admin', password: ADMIN_PASSWORD, project: 'admin' });
      const r = await t.call('GET', '/v3/auth/tokens', undefined, {
        'x-subject-token': tok.token,
        'x-auth-token': admin.token,
      });
      expect(r.status).toBe(404);
    } finally {
      await t.close();
    }
  });
});
