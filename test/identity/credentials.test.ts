// Credentials (/v3/credentials) and EC2 credentials (/v3/users/{id}/credentials/OS-EC2): CRUD,
// Keystone's ids and checks, owners managing their own, blobs encrypted at rest.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, startIdentity, type TestIdentity } from '../helpers/identity.js';

describe('credentials', () => {
  let t: TestIdentity;
  let demo: { token: string; userId: string; projectId: string };
  const asDemo = () => ({ 'x-auth-token': demo.token });
  beforeAll(async () => {
    t = await startIdentity();
    const r = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    demo = { token: r.token, userId: r.body.token.user.id, projectId: r.body.token.project.id };
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates, shows, lists, updates and deletes a credential, keeping its blob encrypted', async () => {
    const blob = JSON.stringify({ public: 'p', private: 'very-secret-blob' });
    const created = await t.call('POST', '/v3/credentials', {
      credential: { blob, type: 'cert', user_id: t.boot.adminUserId, project_id: t.boot.adminProjectId, label: 'x' },
    });
    expect(created.status).toBe(201);
    const c = created.body.credential;
    expect(c).toMatchObject({
      blob,
      type: 'cert',
      user_id: t.boot.adminUserId,
      project_id: t.boot.adminProjectId,
      label: 'x',
    });
    expect(c.id).toMatch(/^[0-9a-f]{32}$/);
    expect(c.links.self).toBe(`http://localhost:80/v3/credentials/${c.id}`);
    expect((await t.call('GET', `/v3/credentials/${c.id}`)).body.credential.blob).toBe(blob);
    const row = await t.identity.db
      .selectFrom('credential')
      .selectAll()
      .where('id', '=', c.id)
      .executeTakeFirstOrThrow();
    expect(row.encrypted_blob).not.toContain('very-secret-blob');
    const listed = (await t.call('GET', `/v3/credentials?user_id=${t.boot.adminUserId}&type=cert`)).body.credentials;
    expect(listed.map((x: { id: string }) => x.id)).toEqual([c.id]);
    expect((await t.call('GET', '/v3/credentials?type=nope')).body.credentials).toEqual([]);
    const patched = await t.call('PATCH', `/v3/credentials/${c.id}`, { credential: { blob: 'new', label: 'y' } });
    expect(patched.status).toBe(200);
    expect(patched.body.credential).toMatchObject({ blob: 'new', label: 'y', type: 'cert' });
    expect((await t.call('PATCH', `/v3/credentials/${c.id}`, { credential: { id: 'other' } })).status).toBe(400);
    expect((await t.call('DELETE', `/v3/credentials/${c.id}`)).status).toBe(204);
    expect((await t.call('GET', `/v3/credentials/${c.id}`)).status).toBe(404);
  });

  it('gives an EC2 credential the SHA-256 of its access key as id, and checks it as Keystone does', async () => {
    const blob = JSON.stringify({ access: 'AKIA1', secret: 's1' });
    const noProject = await t.call('POST', '/v3/credentials', {
      credential: { blob, type: 'ec2', user_id: t.boot.adminUserId },
    });
    expect(noProject.status).toBe(400);
    const ok = await t.call('POST', '/v3/credentials', {
      credential: { blob, type: 'ec2', user_id: t.boot.adminUserId, project_id: t.boot.adminProjectId },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.credential.id).toBe(createHash('sha256').update('AKIA1').digest('hex'));
    const again = await t.call('POST', '/v3/credentials', {
      credential: { blob, type: 'ec2', user_id: t.boot.adminUserId, project_id: t.boot.adminProjectId },
    });
    expect(again.status).toBe(409);
    for (const bad of ['not json', '[1]', '{"secret":"s"}']) {
      const r = await t.call('POST', '/v3/credentials', {
        credential: { blob: bad, type: 'ec2', user_id: t.boot.adminUserId, project_id: t.boot.adminProjectId },
      });
      expect(r.status, bad).toBe(400);
    }
    const scoped = JSON.stringify({ access: 'AKIA1', secret: 's1', trust_id: 'abc' });
    expect(
      (await t.call('PATCH', `/v3/credentials/${ok.body.credential.id}`, { credential: { blob: scoped } })).status,
    ).toBe(400);
    for (const body of [
      {},
      { credential: {} },
      { credential: { blob: 7, type: 'x', user_id: 'u' } },
      { credential: { type: 'x' } },
    ]) {
      expect((await t.call('POST', '/v3/credentials', body)).status, JSON.stringify(body)).toBe(400);
    }
  });

  it('lets users manage their own credentials only', async () => {
    const mine = await t.call(
      'POST',
      '/v3/credentials',
      { credential: { blob: 'b', type: 'totp', user_id: demo.userId } },
      asDemo(),
    );
    expect(mine.status).toBe(201);
    const theirs = await t.call(
      'POST',
      '/v3/credentials',
      { credential: { blob: 'b', type: 'totp', user_id: t.boot.adminUserId } },
      asDemo(),
    );
    expect(theirs.status).toBe(403);
    const listed = (await t.call('GET', '/v3/credentials', undefined, asDemo())).body.credentials;
    expect(listed.map((c: { user_id: string }) => c.user_id)).toEqual([demo.userId]);
    const adminCred = (await t.call('GET', `/v3/credentials?user_id=${t.boot.adminUserId}`)).body.credentials[0];
    expect((await t.call('GET', `/v3/credentials/${adminCred.id}`, undefined, asDemo())).status).toBe(403);
    const give = await t.call(
      'PATCH',
      `/v3/credentials/${mine.body.credential.id}`,
      { credential: { user_id: t.boot.adminUserId } },
      asDemo(),
    );
    expect(give.status).toBe(403);
    expect((await t.call('DELETE', `/v3/credentials/${mine.body.credential.id}`, undefined, asDemo())).status).toBe(
      204,
    );
  });

  it('creates, lists, shows and deletes EC2 credentials per user', async () => {
    const base = `/v3/users/${demo.userId}/credentials/OS-EC2`;
    const created = await t.call('POST', base, { tenant_id: demo.projectId }, asDemo());
    expect(created.status).toBe(201);
    const ec2 = created.body.credential;
    expect(ec2).toMatchObject({ user_id: demo.userId, tenant_id: demo.projectId, trust_id: null });
    expect(ec2.access).toMatch(/^[0-9a-f]{32}$/);
    expect(ec2.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(ec2.links.self).toBe(`http://localhost:80${base}/${ec2.access}`);
    expect(
      (await t.call('GET', base, undefined, asDemo())).body.credentials.map((c: { access: string }) => c.access),
    ).toEqual([ec2.access]);
    expect((await t.call('GET', `${base}/${ec2.access}`, undefined, asDemo())).body.credential.secret).toBe(ec2.secret);
    // The same credential through /v3/credentials, as an ec2 blob.
    const generic = (await t.call('GET', `/v3/credentials/${createHash('sha256').update(ec2.access).digest('hex')}`))
      .body.credential;
    expect(JSON.parse(generic.blob)).toMatchObject({ access: ec2.access, secret: ec2.secret });
    expect(
      (
        await t.call(
          'POST',
          `/v3/users/${t.boot.adminUserId}/credentials/OS-EC2`,
          { tenant_id: demo.projectId },
          asDemo(),
        )
      ).status,
    ).toBe(403);
    expect((await t.call('POST', base, { tenant_id: 'nope' }, asDemo())).status).toBe(404);
    expect((await t.call('POST', base, {}, asDemo())).status).toBe(400);
    expect((await t.call('GET', `/v3/users/${t.boot.adminUserId}/credentials/OS-EC2/${ec2.access}`)).status).toBe(404);
    expect((await t.call('DELETE', `${base}/${ec2.access}`, undefined, asDemo())).status).toBe(204);
    expect((await t.call('GET', `${base}/${ec2.access}`, undefined, asDemo())).status).toBe(404);
  });

  it("binds EC2 credentials made with an application credential's token to it (CVE-2020-12689)", async () => {
    const ac = (
      await t.call(
        'POST',
        `/v3/users/${demo.userId}/application_credentials`,
        { application_credential: { name: 'ec2-maker', secret: 'ac-secret', roles: [{ name: 'reader' }] } },
        asDemo(),
      )
    ).body.application_credential;
    const tok = await t.call(
      'POST',
      '/v3/auth/tokens',
      {
        auth: {
          identity: { methods: ['application_credential'], application_credential: { id: ac.id, secret: 'ac-secret' } },
        },
      },
      { 'x-auth-token': '' },
    );
    const asAppCred = { 'x-auth-token': String(tok.headers['x-subject-token']) };
    const blobOf = async (access: string) =>
      JSON.parse(
        (await t.call('GET', `/v3/credentials/${createHash('sha256').update(access).digest('hex')}`)).body.credential
          .blob,
      );

    const viaEc2 = await t.call(
      'POST',
      `/v3/users/${demo.userId}/credentials/OS-EC2`,
      { tenant_id: demo.projectId },
      asAppCred,
    );
    expect(viaEc2.status).toBe(201);
    expect(await blobOf(viaEc2.body.credential.access)).toMatchObject({ app_cred_id: ac.id });
    // The token's credential wins over whatever the blob claims.
    const viaGeneric = await t.call(
      'POST',
      '/v3/credentials',
      {
        credential: {
          type: 'ec2',
          user_id: demo.userId,
          project_id: demo.projectId,
          blob: JSON.stringify({ access: 'bound-access', secret: 's', app_cred_id: 'someone-else' }),
        },
      },
      asAppCred,
    );
    expect(viaGeneric.status).toBe(201);
    expect(JSON.parse(viaGeneric.body.credential.blob)).toMatchObject({ access: 'bound-access', app_cred_id: ac.id });
    expect(await blobOf('bound-access')).toMatchObject({ app_cred_id: ac.id });
    // Nor can the binding be lifted afterwards.
    const lifted = await t.call(
      'PATCH',
      `/v3/credentials/${viaGeneric.body.credential.id}`,
      { credential: { blob: JSON.stringify({ access: 'bound-access', secret: 's' }) } },
      asDemo(),
    );
    expect(lifted.status).toBe(400);
    // Made with the user's own token, a credential is bound to nothing.
    const own = await t.call(
      'POST',
      `/v3/users/${demo.userId}/credentials/OS-EC2`,
      { tenant_id: demo.projectId },
      asDemo(),
    );
    expect(await blobOf(own.body.credential.access)).not.toHaveProperty('app_cred_id');
  });

  it("deletes a user's credentials with the user", async () => {
    const u = (await t.call('POST', '/v3/users', { user: { name: 'leaving', password: 'pw' } })).body.user.id;
    const c = (await t.call('POST', '/v3/credentials', { credential: { blob: 'b', type: 'x', user_id: u } })).body
      .credential.id;
    expect((await t.call('DELETE', `/v3/users/${u}`)).status).toBe(204);
    expect((await t.call('GET', `/v3/credentials/${c}`)).status).toBe(404);
  });
});
