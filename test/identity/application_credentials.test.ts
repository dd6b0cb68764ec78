import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startIdentity, type TestIdentity } from '../helpers/identity.js';

const NONE = { 'x-auth-token': '' };

function appCredAuth(identity: Record<string, unknown>, scope?: unknown) {
  return {
    auth: {
      identity: { methods: ['application_credential'], application_credential: identity },
      ...(scope ? { scope } : {}),
    },
  };
}

describe('application credentials', () => {
  let t: TestIdentity;
  let base: string;
  beforeAll(async () => {
    t = await startIdentity();
    base = `/v3/users/${t.boot.adminUserId}/application_credentials`;
  });
  afterAll(async () => {
    await t.close();
  });

  it("creates one with the caller's roles and shows the secret only once", async () => {
    const r = await t.call('POST', base, { application_credential: { name: 'ci', description: 'for CI' } });
    expect(r.status).toBe(201);
    const ac = r.body.application_credential;
    expect(ac).toMatchObject({
      name: 'ci',
      description: 'for CI',
      project_id: t.boot.adminProjectId,
      unrestricted: false,
      expires_at: null,
      user_id: t.boot.adminUserId,
    });
    expect(ac.secret.length).toBeGreaterThan(40);
    expect(ac.roles.map((x: { name: string }) => x.name).sort()).toEqual(['admin', 'member', 'reader']);
    const shown = await t.call('GET', `${base}/${ac.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.application_credential.secret).toBeUndefined();
    const list = await t.call('GET', `${base}?name=ci`);
    expect(list.body.application_credentials.map((c: { id: string }) => c.id)).toEqual([ac.id]);
    expect(JSON.stringify(list.body)).not.toContain(ac.secret);
    expect((await t.call('POST', base, { application_credential: { name: 'ci' } })).status).toBe(409);
  });

  it('authenticates by id or by name and user, scoped to its project with its roles only', async () => {
    const r = await t.call('POST', base, {
      application_credential: { name: 'readonly', secret: 'my-own-secret', roles: [{ name: 'reader' }] },
    });
    expect(r.status).toBe(201);
    const id = r.body.application_credential.id;
    const byId = await t.call('POST', '/v3/auth/tokens', appCredAuth({ id, secret: 'my-own-secret' }), NONE);
    expect(byId.status).toBe(201);
    expect(byId.body.token.methods).toEqual(['application_credential']);
    expect(byId.body.token.project.id).toBe(t.boot.adminProjectId);
    expect(byId.body.token.roles.map((x: { name: string }) => x.name)).toEqual(['reader']);
    expect(byId.body.token.application_credential).toEqual({ id, name: 'readonly', restricted: true });
    const byName = await t.call(
      'POST',
      '/v3/auth/tokens',
      appCredAuth({
        name: 'readonly',
        secret: 'my-own-secret',
        user: { name: 'admin', domain: { id: 'default' } },
      }),
      NONE,
    );
    expect(byName.status).toBe(201);
    // A reader-only token cannot do admin things.
    const token = String(byId.headers['x-subject-token']);
    expect((await t.call('GET', '/v3/users', undefined, { 'x-auth-token': token })).status).toBe(403);
  });

  it('refuses a wrong secret, a scope request, and a token method on its tokens', async () => {
    const r = await t.call('POST', base, { application_credential: { name: 'strict', secret: 's3cret' } });
    const id = r.body.application_credential.id;
    expect((await t.call('POST', '/v3/auth/tokens', appCredAuth({ id, secret: 'nope' }), NONE)).status).toBe(401);
    expect((await t.call('POST', '/v3/auth/tokens', appCredAuth({ id: 'missing', secret: 'nope' }), NONE)).status).toBe(
      401,
    );
    const scoped = await t.call(
      'POST',
      '/v3/auth/tokens',
      appCredAuth({ id, secret: 's3cret' }, { project: { id: t.boot.demoProjectId } }),
      NONE,
    );
    expect(scoped.status).toBe(401);
    const tok = await t.call('POST', '/v3/auth/tokens', appCredAuth({ id, secret: 's3cret' }), NONE);
    const rescope = await t.call(
      'POST',
      '/v3/auth/tokens',
      {
        auth: { identity: { methods: ['token'], token: { id: tok.headers['x-subject-token'] } } },
      },
      NONE,
    );
    expect(rescope.status).toBe(401);
    const bad = await t.call('POST', '/v3/auth/tokens', appCredAuth({ secret: 's3cret' }), NONE);
    expect(bad.status).toBe(400);
  });

  it("forbids a restricted credential's token from managing application credentials", async () => {
    const r = await t.call('POST', base, { application_credential: { name: 'restricted', secret: 'abc' } });
    const tok = await t.call(
      'POST',
      '/v3/auth/tokens',
      appCredAuth({ id: r.body.application_credential.id, secret: 'abc' }),
      NONE,
    );
    const as = { 'x-auth-token': String(tok.headers['x-subject-token']) };
    const made = await t.call('POST', base, { application_credential: { name: 'child' } }, as);
    expect(made.status).toBe(403);
    const gone = await t.call('DELETE', `${base}/${r.body.application_credential.id}`, undefined, as);
    expect(gone.status).toBe(403);

    const u = await t.call('POST', base, {
      application_credential: { name: 'unrestricted', secret: 'abc', unrestricted: true },
    });
    const tok2 = await t.call(
      'POST',
      '/v3/auth/tokens',
      appCredAuth({ id: u.body.application_credential.id, secret: 'abc' }),
      NONE,
    );
    const made2 = await t.call(
      'POST',
      base,
      { application_credential: { name: 'child2' } },
      { 'x-auth-token': String(tok2.headers['x-subject-token']) },
    );
    expect(made2.status).toBe(201);
  });

  it('stops working once deleted or expired', async () => {
    const r = await t.call('POST', base, { application_credential: { name: 'short', secret: 'abc' } });
    const id = r.body.application_credential.id;
    const tok = await t.call('POST', '/v3/auth/tokens', appCredAuth({ id, secret: 'abc' }), NONE);
    const subject = { 'x-subject-token': String(tok.headers['x-subject-token']) };
    expect((await t.call('GET', '/v3/auth/tokens', undefined, subject)).status).toBe(200);
    expect((await t.call('DELETE', `${base}/${id}`)).status).toBe(204);
    expect((await t.call('GET', '/v3/auth/tokens', undefined, subject)).status).toBe(404);
    expect((await t.call('POST', '/v3/auth/tokens', appCredAuth({ id, secret: 'abc' }), NONE)).status).toBe(401);
    expect((await t.call('GET', `${base}/${id}`)).status).toBe(404);
    expect((await t.call('DELETE', `${base}/${id}`)).status).toBe(404);

    const soon = new Date(Date.now() + 1500).toISOString();
    const e = await t.call('POST', base, {
      application_credential: { name: 'expiring', secret: 'abc', expires_at: soon },
    });
    expect(e.status).toBe(201);
    // Keystone's rendering of a stored datetime: UTC, microseconds, no zone designator.
    expect(e.body.application_credential.expires_at).toBe(soon.replace(/\.(\d{3})Z$/, '.$1000'));
    const etok = await t.call(
      'POST',
      '/v3/auth/tokens',
      appCredAuth({ id: e.body.application_credential.id, secret: 'abc' }),
      NONE,
    );
    expect(etok.status).toBe(201);
    expect(Date.parse(etok.body.token.expires_at)).toBeLessThanOrEqual(Date.parse(soon));
    await new Promise((res) => setTimeout(res, 1600));
    expect(
      (
        await t.call(
          'POST',
          '/v3/auth/tokens',
          appCredAuth({ id: e.body.application_credential.id, secret: 'abc' }),
          NONE,
        )
      ).status,
    ).toBe(401);
  });

  it('keeps expires_at to the microsecond, in UTC, as Keystone gives it back', async () => {
    const year = new Date().getUTCFullYear() + 1;
    const cases: [string, string][] = [
      [`${year}-06-01T10:48:18.598006`, `${year}-06-01T10:48:18.598006`],
      [`${year}-06-01T12:48:18.5+02:00`, `${year}-06-01T10:48:18.500000`],
      [`${year}-06-01 10:48:18Z`, `${year}-06-01T10:48:18.000000`],
    ];
    for (const [given, shown] of cases) {
      const r = await t.call('POST', base, { application_credential: { name: `micro-${given}`, expires_at: given } });
      expect(r.status, given).toBe(201);
      expect(r.body.application_credential.expires_at).toBe(shown);
      const again = await t.call('GET', `${base}/${r.body.application_credential.id}`);
      expect(again.body.application_credential.expires_at).toBe(shown);
    }
    const feb31 = await t.call('POST', base, {
      application_credential: { name: 'feb31', expires_at: `${year}-02-31T00:00:00` },
    });
    expect(feb31.status).toBe(400);
  });

  it('rejects bad input and roles the caller does not hold with 400, unknown role names with 404', async () => {
    const cases: unknown[] = [
      {},
      { application_credential: {} },
      { application_credential: { name: '' } },
      { application_credential: { name: 'x', roles: 'admin' } },
      { application_credential: { name: 'x', bogus: 1 } },
      { application_credential: { name: 'x', expires_at: 'yesterday' } },
      { application_credential: { name: 'x', expires_at: '2001-01-01T00:00:00Z' } },
      { application_credential: { name: 'x', unrestricted: 'yes' } },
    ];
    for (const body of cases) {
      const r = await t.call('POST', base, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe(400);
    }
    const role = await t.call('POST', '/v3/roles', { role: { name: 'not-held' } });
    for (const ref of [{ id: role.body.role.id }, { name: 'not-held' }, { id: 'nope' }]) {
      const r = await t.call('POST', base, { application_credential: { name: 'x', roles: [ref] } });
      expect(r.status, JSON.stringify(ref)).toBe(400);
      expect(r.body.error.message).toBe(
        'Invalid application credential: Cannot create an application credential with unassigned role',
      );
    }
    const unknown = await t.call('POST', base, {
      application_credential: { name: 'x', roles: [{ name: 'no-such-role' }] },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe('Could not find role: no-such-role.');
    expect((await t.call('GET', `${base}?name=x`)).body.application_credentials).toEqual([]);
  });

  it('refuses to create one for another user or without a project-scoped token', async () => {
    const other = await t.call('POST', `/v3/users/${t.boot.demoUserId}/application_credentials`, {
      application_credential: { name: 'x' },
    });
    expect(other.status).toBe(403);
    const system = await t.login({ user: 'admin', password: ADMIN_PASSWORD, scope: { system: { all: true } } });
    const r = await t.call('POST', base, { application_credential: { name: 'x' } }, { 'x-auth-token': system.token });
    expect(r.status).toBe(403);
    expect((await t.call('GET', '/v3/users/nope/application_credentials')).status).toBe(404);
  });

  it('are removed with the role assignment they delegate', async () => {
    const member = (await t.call('GET', '/v3/roles?name=member')).body.roles[0].id;
    const u = (await t.call('POST', '/v3/users', { user: { name: 'kim', password: 'kim-pw' } })).body.user.id;
    await t.call('PUT', `/v3/projects/${t.boot.demoProjectId}/users/${u}/roles/${member}`);
    const admin = (await t.call('GET', '/v3/roles?name=admin')).body.roles[0].id;
    await t.call('PUT', `/v3/projects/${t.boot.demoProjectId}/users/${u}/roles/${admin}`);
    const kim = await t.login({ user: 'kim', password: 'kim-pw', project: 'demo' });
    const r = await t.call(
      'POST',
      `/v3/users/${u}/application_credentials`,
      { application_credential: { name: 'k', secret: 'abc', roles: [{ name: 'member' }] } },
      { 'x-auth-token': kim.token },
    );
    expect(r.status).toBe(201);
    await t.call('DELETE', `/v3/projects/${t.boot.demoProjectId}/users/${u}/roles/${member}`);
    expect((await t.call('GET', `/v3/users/${u}/application_credentials`)).body.application_credentials).toEqual([]);
  });
});
