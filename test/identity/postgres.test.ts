// The identity service on PostgreSQL: the same flows as on SQLite, and the fuzz property.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { ADMIN_PASSWORD, DEMO_PASSWORD, startIdentity, type TestIdentity } from '../helpers/identity.js';

const skipPg = postgresUnavailable();

describe.skipIf(skipPg)(`identity on PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () => {
  let pg: PgCluster;
  let t: TestIdentity;
  beforeAll(async () => {
    pg = await startPostgres();
    t = await startIdentity({
      databaseUrl: await pg.createDatabase('identity_test'),
      config: { lockoutFailureAttempts: 2 },
    });
  });
  afterAll(async () => {
    await t?.close();
    pg?.stop();
  });

  it('bootstraps, authenticates and validates', async () => {
    expect(t.identity.engine).toBe('postgres');
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    expect(demo.status).toBe(201);
    const v = await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': demo.token });
    expect(v.body.token.roles.map((r: { name: string }) => r.name).sort()).toEqual(['member', 'reader']);
    expect((await t.call('DELETE', '/v3/auth/tokens', undefined, { 'x-subject-token': demo.token })).status).toBe(204);
    expect((await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': demo.token })).status).toBe(404);
  });

  it('manages users, groups, grants and effective role assignments', async () => {
    const u = (await t.call('POST', '/v3/users', { user: { name: 'pg-user', password: 'pw' } })).body.user.id;
    expect((await t.call('POST', '/v3/users', { user: { name: 'pg-user' } })).status).toBe(409);
    const g = (await t.call('POST', '/v3/groups', { group: { name: 'pg-group' } })).body.group.id;
    expect((await t.call('PUT', `/v3/groups/${g}/users/${u}`)).status).toBe(204);
    const member = (await t.call('GET', '/v3/roles?name=member')).body.roles[0].id;
    expect((await t.call('PUT', `/v3/projects/${t.boot.demoProjectId}/groups/${g}/roles/${member}`)).status).toBe(204);
    const eff = await t.call('GET', `/v3/role_assignments?user.id=${u}&effective&include_names`);
    expect(eff.body.role_assignments.map((a: { role: { name: string } }) => a.role.name).sort()).toEqual([
      'member',
      'reader',
    ]);
    const tok = await t.login({ user: 'pg-user', password: 'pw', project: 'demo' });
    expect(tok.status).toBe(201);
  });

  it('locks out, and authenticates with application credentials', async () => {
    await t.call('POST', '/v3/users', { user: { name: 'pg-lock', password: 'pw' } });
    for (let i = 0; i < 2; i++) await t.login({ user: 'pg-lock', password: 'no', scope: 'unscoped' });
    expect((await t.login({ user: 'pg-lock', password: 'pw', scope: 'unscoped' })).status).toBe(401);
    const ac = await t.call('POST', `/v3/users/${t.boot.adminUserId}/application_credentials`, {
      application_credential: { name: 'pg', secret: 'abc', roles: [{ name: 'reader' }] },
    });
    expect(ac.status).toBe(201);
    const r = await t.call(
      'POST',
      '/v3/auth/tokens',
      {
        auth: {
          identity: {
            methods: ['application_credential'],
            application_credential: { id: ac.body.application_credential.id, secret: 'abc' },
          },
        },
      },
      { 'x-auth-token': '' },
    );
    expect(r.status).toBe(201);
    expect((await t.login({ user: 'admin', password: ADMIN_PASSWORD, project: 'admin' })).status).toBe(201);
  });

  it('never answers 5xx to random input', async () => {
    const seg = fc.oneof(
      fc.constantFrom(t.boot.demoUserId, t.boot.demoProjectId, 'default', 'RegionOne'),
      fc.string({ maxLength: 8 }).map(encodeURIComponent),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PATCH', 'PUT'),
        fc
          .tuple(
            fc.constantFrom('users', 'projects', 'domains', 'groups', 'roles', 'regions', 'services', 'endpoints'),
            fc.option(seg, { nil: undefined }),
          )
          .map(([c, s]) => `/v3/${c}${s !== undefined ? `/${s}` : ''}`),
        fc.dictionary(
          fc.constantFrom('name', 'enabled', 'domain_id', 'parent_region_id', 'type'),
          fc.string({ maxLength: 6 }),
        ),
        fc.oneof(
          fc.jsonValue(),
          fc.dictionary(
            fc.constantFrom('user', 'project', 'region', 'service'),
            fc.dictionary(
              fc.constantFrom('name', 'id', 'enabled', 'domain_id', 'parent_region_id', 'type'),
              fc.jsonValue(),
            ),
          ),
        ),
        async (method, path, q, body) => {
          // Only reads with filters and writes that are refused: nothing here may delete the admin.
          const qs = new URLSearchParams(q).toString();
          const r = await t.call(method, `${path}${qs ? `?${qs}` : ''}`, body);
          expect(r.status, `${method} ${path}?${qs} ${JSON.stringify(body)}`).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
  });
});
