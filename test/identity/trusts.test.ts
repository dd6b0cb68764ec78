// Trusts (OS-TRUST): a trustor delegates roles on a project to a trustee, whose trust-scoped tokens
// carry them (as the trustor when impersonating) while the trust and the trustor's roles last.
// On both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { ADMIN_PASSWORD, DEMO_PASSWORD, startIdentity, type TestIdentity } from '../helpers/identity.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const NONE = { 'x-auth-token': '' };
const TRUSTS = '/v3/OS-TRUST/trusts';
const skipPg = postgresUnavailable();

describe('trusts (OS-TRUST), SQLite', () => trusts(false));
describe.skipIf(skipPg)(`trusts (OS-TRUST), PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () => trusts(true));

function trusts(postgres: boolean) {
  let pg: PgCluster | undefined;
  let t: TestIdentity;
  let project: string;
  let trustor: string;
  let third: string;
  const role: Record<string, string> = {};
  let asTrustor: Record<string, string>;
  const demo = () => t.boot.demoUserId;

  const login = async (user: string, password: string, scope?: unknown) =>
    t.call(
      'POST',
      '/v3/auth/tokens',
      {
        auth: {
          identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
          ...(scope ? { scope } : {}),
        },
      },
      NONE,
    );
  const trustToken = (user: string, password: string, id: string) =>
    login(user, password, { 'OS-TRUST:trust': { id } });
  const create = (body: Record<string, unknown>, as = asTrustor) =>
    t.call(
      'POST',
      TRUSTS,
      {
        trust: {
          trustor_user_id: trustor,
          trustee_user_id: demo(),
          project_id: project,
          impersonation: false,
          roles: [{ name: 'member' }],
          ...body,
        },
      },
      as,
    );

  beforeAll(async () => {
    if (postgres) pg = await startPostgres();
    t = await startIdentity(pg ? { databaseUrl: await pg.createDatabase('trusts') } : {});
    project = (await t.call('POST', '/v3/projects', { project: { name: 'vault' } })).body.project.id;
    trustor = (await t.call('POST', '/v3/users', { user: { name: 'alice', password: 'alice-pw' } })).body.user.id;
    third = (await t.call('POST', '/v3/users', { user: { name: 'carol', password: 'carol-pw' } })).body.user.id;
    for (const r of (await t.call('GET', '/v3/roles')).body.roles) role[r.name] = r.id;
    role.keeper = (await t.call('POST', '/v3/roles', { role: { name: 'keeper' } })).body.role.id;
    for (const r of [role.member, role.keeper])
      await t.call('PUT', `/v3/projects/${project}/users/${trustor}/roles/${r}`);
    asTrustor = {
      'x-auth-token': String(
        (await login('alice', 'alice-pw', { project: { id: project } })).headers['x-subject-token'],
      ),
    };
  });
  afterAll(async () => {
    await t?.close();
    pg?.stop();
  });

  it('creates, shows, lists and deletes a trust, with the roles it delegates', async () => {
    const expires = `${new Date().getUTCFullYear() + 1}-01-02T03:04:05Z`;
    const r = await create({ impersonation: true, expires_at: expires, remaining_uses: 5, note: 'kept' });
    expect(r.status).toBe(201);
    const trust = r.body.trust;
    expect(trust).toMatchObject({
      trustor_user_id: trustor,
      trustee_user_id: demo(),
      project_id: project,
      impersonation: true,
      expires_at: expires.replace('Z', '.000000Z'),
      remaining_uses: 5,
      redelegated_trust_id: null,
      redelegation_count: 0,
      note: 'kept',
    });
    expect(trust.links.self).toMatch(new RegExp(`${TRUSTS}/${trust.id}$`));
    expect(trust.roles.map((x: { name: string }) => x.name)).toEqual(['member']);
    expect(trust.roles_links.self).toMatch(new RegExp(`${TRUSTS}/${trust.id}/roles$`));
    expect((await t.call('GET', `${TRUSTS}/${trust.id}`, undefined, asTrustor)).body.trust).toEqual(trust);
    const demoTok = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const asTrustee = { 'x-auth-token': demoTok.token };
    expect((await t.call('GET', `${TRUSTS}/${trust.id}`, undefined, asTrustee)).status).toBe(200);
    expect(
      (await t.call('GET', `${TRUSTS}/${trust.id}/roles`, undefined, asTrustee)).body.roles.map(
        (x: { id: string }) => x.id,
      ),
    ).toEqual([role.member]);
    expect(
      (await t.call('GET', `${TRUSTS}/${trust.id}/roles/${role.member}`, undefined, asTrustee)).body.role.name,
    ).toBe('member');
    expect((await t.call('HEAD', `${TRUSTS}/${trust.id}/roles/${role.member}`, undefined, asTrustee)).status).toBe(200);
    expect((await t.call('GET', `${TRUSTS}/${trust.id}/roles/${role.keeper}`, undefined, asTrustee)).status).toBe(404);

    const ids = (rows: { id: string }[]) => rows.map((x) => x.id);
    expect(
      ids((await t.call('GET', `${TRUSTS}?trustor_user_id=${trustor}`, undefined, asTrustor)).body.trusts),
    ).toEqual([trust.id]);
    expect(ids((await t.call('GET', `${TRUSTS}?trustee_user_id=${demo()}`, undefined, asTrustee)).body.trusts)).toEqual(
      [trust.id],
    );
    expect(ids((await t.call('GET', TRUSTS)).body.trusts)).toEqual([trust.id]);
    expect((await t.call('GET', `${TRUSTS}?trustor_user_id=${trustor}`, undefined, asTrustee)).status).toBe(403);
    expect((await t.call('GET', TRUSTS, undefined, asTrustee)).status).toBe(403);
    // Neither an outsider nor the trustee may delete it.
    const carol = { 'x-auth-token': (await t.login({ user: 'carol', password: 'carol-pw', scope: 'unscoped' })).token };
    expect((await t.call('GET', `${TRUSTS}/${trust.id}`, undefined, carol)).status).toBe(403);
    expect((await t.call('DELETE', `${TRUSTS}/${trust.id}`, undefined, asTrustee)).status).toBe(403);
    expect((await t.call('DELETE', `${TRUSTS}/${trust.id}`, undefined, asTrustor)).status).toBe(204);
    expect((await t.call('GET', `${TRUSTS}/${trust.id}`, undefined, asTrustor)).status).toBe(404);
  });

  it('refuses bad trusts, creating nothing', async () => {
    const cases: [Record<string, unknown>, number, RegExp?][] = [
      [{ trustor_user_id: demo() }, 403],
      [{ roles: [] }, 403, /At least one role should be specified/],
      [{ roles: [{ name: 'admin' }] }, 404, /Could not find role/],
      [{ roles: [{ name: 'no-such' }] }, 404],
      [{ trustee_user_id: 'nobody' }, 404],
      [{ expires_at: 'bad.123Z' }, 400, /Timestamp not in expected format/],
      [{ expires_at: '2001-01-01T00:00:00Z' }, 400],
      [{ impersonation: 'yes' }, 400],
      [{ remaining_uses: 0 }, 400],
      [{ allow_redelegation: true, remaining_uses: 2 }, 400, /remaining_uses must not be set/],
      [{ allow_redelegation: true, redelegation_count: 4 }, 403, /greater than allowed 3/],
      [{ roles: [{ name: 'member', id: role.member }] }, 400],
    ];
    for (const [body, status, message] of cases) {
      const r = await create(body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      if (message) expect(r.body.error.message).toMatch(message);
    }
    expect(
      (await t.call('POST', TRUSTS, { trust: { trustor_user_id: trustor, trustee_user_id: demo() } }, asTrustor))
        .status,
    ).toBe(400);
    expect((await t.call('GET', TRUSTS)).body.trusts).toEqual([]);
  });

  it('gives the trustee tokens with the delegated roles, as the trustor when impersonating', async () => {
    const plain = (await create({})).body.trust;
    const tok = await trustToken('demo', DEMO_PASSWORD, plain.id);
    expect(tok.status).toBe(201);
    const token = tok.body.token;
    expect(token['OS-TRUST:trust']).toEqual({
      id: plain.id,
      trustor_user: { id: trustor },
      trustee_user: { id: demo() },
      impersonation: false,
    });
    expect(token.project.id).toBe(project);
    expect(token.user.id).toBe(demo());
    expect(token.roles.map((x: { name: string }) => x.name).sort()).toEqual(['member', 'reader']);
    const imp = (await create({ impersonation: true })).body.trust;
    const impTok = await trustToken('demo', DEMO_PASSWORD, imp.id);
    expect(impTok.body.token.user.id).toBe(trustor);
    const subject = String(impTok.headers['x-subject-token']);
    const v = await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': subject });
    expect(v.body.token.user.name).toBe('alice');
    // The trust token acts as the trustor on identity too.
    expect((await t.call('GET', `/v3/users/${trustor}`, undefined, { 'x-auth-token': subject })).status).toBe(200);

    expect((await trustToken('carol', 'carol-pw', plain.id)).status).toBe(403);
    expect((await trustToken('demo', DEMO_PASSWORD, 'nope')).status).toBe(401);
    const rescope = await t.call(
      'POST',
      '/v3/auth/tokens',
      { auth: { identity: { methods: ['token'], token: { id: subject } }, scope: { project: { id: project } } } },
      NONE,
    );
    expect(rescope.status).toBe(403);
    const twoScopes = await login('demo', DEMO_PASSWORD, {
      'OS-TRUST:trust': { id: plain.id },
      project: { id: project },
    });
    expect(twoScopes.status).toBe(400);
    for (const id of [plain.id, imp.id]) await t.call('DELETE', `${TRUSTS}/${id}`, undefined, asTrustor);
  });

  it('stops its tokens when the trust goes, its uses run out or the trustor loses a delegated role', async () => {
    const once = (await create({ remaining_uses: 1, roles: [{ name: 'keeper' }] })).body.trust;
    const first = await trustToken('demo', DEMO_PASSWORD, once.id);
    expect(first.status).toBe(201);
    expect((await trustToken('demo', DEMO_PASSWORD, once.id)).status).toBe(401);
    expect((await t.call('GET', `${TRUSTS}/${once.id}`, undefined, asTrustor)).status).toBe(404);
    const firstSubject = { 'x-subject-token': String(first.headers['x-subject-token']) };
    expect((await t.call('GET', '/v3/auth/tokens', undefined, firstSubject)).status).toBe(200);
    await t.call('DELETE', `/v3/projects/${project}/users/${trustor}/roles/${role.keeper}`);
    expect((await t.call('GET', '/v3/auth/tokens', undefined, firstSubject)).status).toBe(404);
    await t.call('PUT', `/v3/projects/${project}/users/${trustor}/roles/${role.keeper}`);
    // An exhausted trust is still listed, but not found (nor deletable) any more, as in Keystone.
    expect((await t.call('GET', TRUSTS)).body.trusts.map((x: { id: string }) => x.id)).toContain(once.id);
    expect((await t.call('DELETE', `${TRUSTS}/${once.id}`, undefined, asTrustor)).status).toBe(404);
    await t.identity.db.deleteFrom('trust').where('id', '=', once.id).execute();

    const soon = new Date(Date.now() + 60_000).toISOString();
    const brief = (await create({ expires_at: soon })).body.trust;
    const tok = await trustToken('demo', DEMO_PASSWORD, brief.id);
    expect(Date.parse(tok.body.token.expires_at)).toBeLessThanOrEqual(Date.parse(soon));
    const subject = { 'x-subject-token': String(tok.headers['x-subject-token']) };
    expect((await t.call('GET', '/v3/auth/tokens', undefined, subject)).status).toBe(200);
    expect((await t.call('DELETE', `${TRUSTS}/${brief.id}`, undefined, asTrustor)).status).toBe(204);
    expect((await t.call('GET', '/v3/auth/tokens', undefined, subject)).status).toBe(404);
  });

  it("redelegates within the trust's bounds, and deletes the chain with its root", async () => {
    const root = (await create({ allow_redelegation: true, roles: [{ name: 'member' }, { name: 'keeper' }] })).body
      .trust;
    expect(root.redelegation_count).toBe(3);
    const tok = await trustToken('demo', DEMO_PASSWORD, root.id);
    const asTrust = { 'x-auth-token': String(tok.headers['x-subject-token']) };
    const child = { trustor_user_id: demo(), trustee_user_id: third, project_id: project, impersonation: false };
    const wider = await t.call('POST', TRUSTS, { trust: { ...child, roles: [{ name: 'admin' }] } }, asTrust);
    expect(wider.status).toBe(404);
    const counted = await t.call(
      'POST',
      TRUSTS,
      { trust: { ...child, roles: [{ name: 'member' }], remaining_uses: 1 } },
      asTrust,
    );
    expect(counted.status).toBe(403);
    expect(counted.body.error.message).toMatch(/remaining_uses/);
    const ok = await t.call(
      'POST',
      TRUSTS,
      { trust: { ...child, roles: [{ name: 'member' }], allow_redelegation: true } },
      asTrust,
    );
    expect(ok.status).toBe(201);
    expect(ok.body.trust).toMatchObject({ redelegated_trust_id: root.id, redelegation_count: 2 });
    const carolTok = await trustToken('carol', 'carol-pw', ok.body.trust.id);
    expect(carolTok.status).toBe(201);
    expect(carolTok.body.token.roles.map((x: { name: string }) => x.name).sort()).toEqual(['member', 'reader']);

    const flat = (await create({ roles: [{ name: 'member' }] })).body.trust;
    const flatTok = {
      'x-auth-token': String((await trustToken('demo', DEMO_PASSWORD, flat.id)).headers['x-subject-token']),
    };
    const refused = await t.call('POST', TRUSTS, { trust: { ...child, roles: [{ name: 'member' }] } }, flatTok);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe('Remaining redelegation depth of 0 out of allowed range of [0..3]');

    expect((await t.call('DELETE', `${TRUSTS}/${root.id}`, undefined, asTrustor)).status).toBe(204);
    expect((await t.call('GET', `${TRUSTS}/${ok.body.trust.id}`)).status).toBe(404);
    await t.call('DELETE', `${TRUSTS}/${flat.id}`, undefined, asTrustor);
  });

  it('binds EC2 credentials to the trust, makes no application credential, and goes with its users', async () => {
    const trust = (await create({})).body.trust;
    const asTrust = {
      'x-auth-token': String((await trustToken('demo', DEMO_PASSWORD, trust.id)).headers['x-subject-token']),
    };
    const ec2 = await t.call('POST', `/v3/users/${demo()}/credentials/OS-EC2`, { tenant_id: project }, asTrust);
    expect(ec2.status).toBe(201);
    expect(ec2.body.credential.trust_id).toBe(trust.id);
    const blob = JSON.parse(
      (await t.call('GET', `/v3/credentials/${createHash('sha256').update(ec2.body.credential.access).digest('hex')}`))
        .body.credential.blob,
    );
    expect(blob.trust_id).toBe(trust.id);
    const ac = await t.call(
      'POST',
      `/v3/users/${demo()}/application_credentials`,
      { application_credential: { name: 'x' } },
      asTrust,
    );
    expect(ac.status).toBe(403);

    const gone = (await t.call('POST', '/v3/users', { user: { name: 'gone', password: 'gone-pw' } })).body.user.id;
    const toGone = (await create({ trustee_user_id: gone })).body.trust;
    expect((await t.call('DELETE', `/v3/users/${gone}`)).status).toBe(204);
    expect((await t.call('GET', `${TRUSTS}/${toGone.id}`)).status).toBe(404);
    const system = await t.login({ user: 'admin', password: ADMIN_PASSWORD, scope: { system: { all: true } } });
    expect(
      (await t.call('GET', TRUSTS, undefined, { 'x-auth-token': system.token })).body.trusts.map(
        (x: { id: string }) => x.id,
      ),
    ).toEqual([trust.id]);
    expect((await t.call('DELETE', `/v3/projects/${project}`)).status).toBe(204);
    expect((await t.call('GET', TRUSTS)).body.trusts).toEqual([]);
  });
}
