import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentity, type TestIdentity } from '../helpers/identity.js';

const NONE = { 'x-auth-token': '' };

describe('users', () => {
  let t: TestIdentity;
  beforeAll(async () => {
    t = await startIdentity();
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates a user and never returns or stores the password in clear', async () => {
    const r = await t.call('POST', '/v3/users', {
      user: {
        name: 'alice',
        password: 'alice-secret-pw',
        email: 'alice@example.org',
        description: 'Alice',
        default_project_id: t.boot.demoProjectId,
      },
    });
    expect(r.status).toBe(201);
    const u = r.body.user;
    expect(u).toMatchObject({
      name: 'alice',
      domain_id: 'default',
      enabled: true,
      email: 'alice@example.org',
      description: 'Alice',
      default_project_id: t.boot.demoProjectId,
      password_expires_at: null,
      options: {},
    });
    expect(JSON.stringify(r.body)).not.toContain('alice-secret-pw');
    expect(u.password).toBeUndefined();
    const row = await t.identity.db.selectFrom('user').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(row)).not.toContain('alice-secret-pw');
    const listed = await t.call('GET', '/v3/users?name=alice');
    expect(listed.body.users).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toMatch(/argon2|password_hash/);
    expect((await t.call('POST', '/v3/users', { user: { name: 'alice' } })).status).toBe(409);
  });

  it('updates, including the password, and deletes', async () => {
    const u = (await t.call('POST', '/v3/users', { user: { name: 'bob', password: 'bob-1' } })).body.user;
    const up = await t.call('PATCH', `/v3/users/${u.id}`, { user: { password: 'bob-2', email: 'b@x' } });
    expect(up.status).toBe(200);
    expect(up.body.user.email).toBe('b@x');
    expect(JSON.stringify(up.body)).not.toContain('bob-2');
    expect((await t.login({ user: 'bob', password: 'bob-1', scope: 'unscoped' })).status).toBe(401);
    expect((await t.login({ user: 'bob', password: 'bob-2', scope: 'unscoped' })).status).toBe(201);
    expect((await t.call('PATCH', `/v3/users/${u.id}`, { user: { domain_id: 'elsewhere' } })).status).toBe(400);
    expect((await t.call('PATCH', `/v3/users/${u.id}`, { user: { name: 'alice' } })).status).toBe(409);
    expect((await t.call('DELETE', `/v3/users/${u.id}`)).status).toBe(204);
    expect((await t.call('GET', `/v3/users/${u.id}`)).status).toBe(404);
    expect((await t.login({ user: 'bob', password: 'bob-2', scope: 'unscoped' })).status).toBe(401);
  });

  it('lets a user change its own password without a token, given the old one', async () => {
    const u = (await t.call('POST', '/v3/users', { user: { name: 'cy', password: 'cy-1' } })).body.user;
    const wrong = await t.call(
      'POST',
      `/v3/users/${u.id}/password`,
      { user: { original_password: 'nope', password: 'cy-2' } },
      NONE,
    );
    expect(wrong.status).toBe(401);
    const ok = await t.call(
      'POST',
      `/v3/users/${u.id}/password`,
      { user: { original_password: 'cy-1', password: 'cy-2' } },
      NONE,
    );
    expect(ok.status).toBe(204);
    expect((await t.login({ user: 'cy', password: 'cy-2', scope: 'unscoped' })).status).toBe(201);
    const missing = await t.call('POST', `/v3/users/${u.id}/password`, { user: { password: 'cy-3' } }, NONE);
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).not.toContain('cy-3');
    const unknown = await t.call(
      'POST',
      '/v3/users/nope/password',
      { user: { original_password: 'a', password: 'b' } },
      NONE,
    );
    expect(unknown.status).toBe(401);
    await t.call('PATCH', `/v3/users/${u.id}`, { user: { options: { lock_password: true } } });
    const locked = await t.call(
      'POST',
      `/v3/users/${u.id}/password`,
      { user: { original_password: 'cy-2', password: 'cy-3' } },
      NONE,
    );
    expect(locked.status).toBe(400);
    expect(locked.body.error.message).toMatch(/^You cannot change your password at this time due to password policy/);
  });

  it('filters lists and refuses bad input', async () => {
    expect((await t.call('GET', '/v3/users?domain_id=default&enabled=true')).body.users.length).toBeGreaterThan(2);
    expect((await t.call('GET', '/v3/users?domain_id=nope')).body.users).toEqual([]);
    for (const body of [
      {},
      { user: { name: '' } },
      { user: { name: 'x', enabled: 'no' } },
      { user: { name: 'x', password: 5 } },
      { user: { name: 'x', options: { unknown_option: true } } },
      { user: { name: 'x', password: 'p'.repeat(5000) } },
    ]) {
      const r = await t.call('POST', '/v3/users', body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    expect((await t.call('POST', '/v3/users', { user: { name: 'x', domain_id: 'nope' } })).status).toBe(404);
    expect((await t.call('POST', '/v3/users', { user: { name: 'x', default_project_id: 'nope' } })).status).toBe(404);
  });

  it('lists the projects a user has roles on', async () => {
    const r = await t.call('GET', `/v3/users/${t.boot.demoUserId}/projects`);
    expect(r.body.projects.map((p: { name: string }) => p.name)).toEqual(['demo']);
    expect((await t.call('GET', '/v3/users/nope/projects')).status).toBe(404);
  });
});

describe('groups', () => {
  let t: TestIdentity;
  beforeAll(async () => {
    t = await startIdentity();
  });
  afterAll(async () => {
    await t.close();
  });

  it('manages groups and membership, and group roles reach the members', async () => {
    const g = (await t.call('POST', '/v3/groups', { group: { name: 'ops', description: 'Operators' } })).body.group;
    expect(g).toMatchObject({ name: 'ops', domain_id: 'default', description: 'Operators' });
    expect((await t.call('POST', '/v3/groups', { group: { name: 'ops' } })).status).toBe(409);
    const u = (await t.call('POST', '/v3/users', { user: { name: 'olga', password: 'olga-pw' } })).body.user;
    expect((await t.call('HEAD', `/v3/groups/${g.id}/users/${u.id}`)).status).toBe(404);
    expect((await t.call('PUT', `/v3/groups/${g.id}/users/${u.id}`)).status).toBe(204);
    expect((await t.call('PUT', `/v3/groups/${g.id}/users/${u.id}`)).status).toBe(204);
    expect((await t.call('HEAD', `/v3/groups/${g.id}/users/${u.id}`)).status).toBe(204);
    expect((await t.call('GET', `/v3/groups/${g.id}/users`)).body.users.map((x: { name: string }) => x.name)).toEqual([
      'olga',
    ]);
    expect((await t.call('GET', `/v3/users/${u.id}/groups`)).body.groups.map((x: { name: string }) => x.name)).toEqual([
      'ops',
    ]);

    const member = (await t.call('GET', '/v3/roles?name=member')).body.roles[0].id;
    await t.call('PUT', `/v3/projects/${t.boot.demoProjectId}/groups/${g.id}/roles/${member}`);
    const tok = await t.login({ user: 'olga', password: 'olga-pw', project: 'demo' });
    expect(tok.status).toBe(201);
    expect(tok.body.token.roles.map((x: { name: string }) => x.name).sort()).toEqual(['member', 'reader']);

    expect((await t.call('DELETE', `/v3/groups/${g.id}/users/${u.id}`)).status).toBe(204);
    expect((await t.call('DELETE', `/v3/groups/${g.id}/users/${u.id}`)).status).toBe(404);
    expect((await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': tok.token })).status).toBe(404);

    const up = await t.call('PATCH', `/v3/groups/${g.id}`, { group: { description: 'SRE' } });
    expect(up.body.group.description).toBe('SRE');
    expect((await t.call('DELETE', `/v3/groups/${g.id}`)).status).toBe(204);
    expect((await t.call('GET', `/v3/groups/${g.id}`)).status).toBe(404);
    expect((await t.call('PUT', `/v3/groups/${g.id}/users/${u.id}`)).status).toBe(404);
  });

  it('refuses bad input and unknown members', async () => {
    const g = (await t.call('POST', '/v3/groups', { group: { name: 'devs' } })).body.group;
    expect((await t.call('PUT', `/v3/groups/${g.id}/users/nope`)).status).toBe(404);
    for (const body of [{}, { group: { name: '' } }, { group: { name: 3 } }]) {
      expect((await t.call('POST', '/v3/groups', body)).status).toBe(400);
    }
    expect((await t.call('PATCH', `/v3/groups/${g.id}`, { group: {} })).status).toBe(400);
    expect((await t.call('GET', '/v3/groups?name=devs')).body.groups).toHaveLength(1);
  });
});
