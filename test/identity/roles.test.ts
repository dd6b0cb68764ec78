import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentity, type TestIdentity } from '../helpers/identity.js';

describe('roles and implied roles', () => {
  let t: TestIdentity;
  const role = async (name: string) => (await t.call('GET', `/v3/roles?name=${name}`)).body.roles[0].id as string;
  beforeAll(async () => {
    t = await startIdentity();
  });
  afterAll(async () => {
    await t.close();
  });

  it('bootstraps admin ⇒ member ⇒ reader, immutable', async () => {
    const inf = await t.call('GET', '/v3/role_inferences');
    const pairs = inf.body.role_inferences.flatMap((r: any) =>
      r.implies.map((i: any) => `${r.prior_role.name}>${i.name}`),
    );
    expect(pairs.sort()).toEqual(['admin>member', 'member>reader']);
    const admin = await role('admin');
    const del = await t.call('DELETE', `/v3/roles/${admin}`);
    expect(del.status).toBe(403);
    expect((await t.call('PATCH', `/v3/roles/${admin}`, { role: { name: 'boss' } })).status).toBe(403);
    const implies = await t.call('GET', `/v3/roles/${admin}/implies`);
    expect(implies.body.role_inference.prior_role.name).toBe('admin');
    expect(implies.body.role_inference.implies.map((r: any) => r.name)).toEqual(['member']);
  });

  it('creates, updates, deletes roles; names are unique', async () => {
    const r = await t.call('POST', '/v3/roles', { role: { name: 'auditor', description: 'Reads logs' } });
    expect(r.status).toBe(201);
    expect(r.body.role).toMatchObject({ name: 'auditor', description: 'Reads logs', domain_id: null, options: {} });
    expect((await t.call('POST', '/v3/roles', { role: { name: 'auditor' } })).status).toBe(409);
    const up = await t.call('PATCH', `/v3/roles/${r.body.role.id}`, { role: { name: 'auditor2' } });
    expect(up.body.role.name).toBe('auditor2');
    expect((await t.call('GET', `/v3/roles/${r.body.role.id}`)).body.role.name).toBe('auditor2');
    expect((await t.call('DELETE', `/v3/roles/${r.body.role.id}`)).status).toBe(204);
    expect((await t.call('GET', `/v3/roles/${r.body.role.id}`)).status).toBe(404);
    for (const body of [{}, { role: {} }, { role: { name: '' } }, { role: { name: 'x', options: { nope: 1 } } }]) {
      expect((await t.call('POST', '/v3/roles', body)).status).toBe(400);
    }
  });

  it('manages implications; admin cannot be implied', async () => {
    const a = (await t.call('POST', '/v3/roles', { role: { name: 'lead' } })).body.role.id;
    const b = (await t.call('POST', '/v3/roles', { role: { name: 'dev' } })).body.role.id;
    const put = await t.call('PUT', `/v3/roles/${a}/implies/${b}`);
    expect(put.status).toBe(201);
    expect(put.body.role_inference.prior_role.id).toBe(a);
    expect(put.body.role_inference.implies.id).toBe(b);
    expect((await t.call('GET', `/v3/roles/${a}/implies/${b}`)).status).toBe(200);
    expect((await t.call('HEAD', `/v3/roles/${a}/implies/${b}`)).status).toBe(204);
    const forbidden = await t.call('PUT', `/v3/roles/${b}/implies/${await role('admin')}`);
    expect(forbidden.status).toBe(403);
    expect((await t.call('DELETE', `/v3/roles/${a}/implies/${b}`)).status).toBe(204);
    const gone = await t.call('GET', `/v3/roles/${a}/implies/${b}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toBe(`${a} does not imply ${b}.`);
    expect((await t.call('PUT', `/v3/roles/${a}/implies/nope`)).status).toBe(404);
  });
});

describe('grants and role assignments', () => {
  let t: TestIdentity;
  let userId: string;
  let groupId: string;
  let member: string;
  let reader: string;
  beforeAll(async () => {
    t = await startIdentity();
    userId = (await t.call('POST', '/v3/users', { user: { name: 'pat', password: 'pat-pw' } })).body.user.id;
    groupId = (await t.call('POST', '/v3/groups', { group: { name: 'team' } })).body.group.id;
    await t.call('PUT', `/v3/groups/${groupId}/users/${userId}`);
    member = (await t.call('GET', '/v3/roles?name=member')).body.roles[0].id;
    reader = (await t.call('GET', '/v3/roles?name=reader')).body.roles[0].id;
  });
  afterAll(async () => {
    await t.close();
  });

  it('grants, checks, lists and revokes on projects, domains and the system', async () => {
    const p = t.boot.demoProjectId;
    const paths = [
      `/v3/projects/${p}/users/${userId}`,
      `/v3/projects/${p}/groups/${groupId}`,
      `/v3/domains/default/users/${userId}`,
      `/v3/domains/default/groups/${groupId}`,
      `/v3/system/users/${userId}`,
      `/v3/system/groups/${groupId}`,
    ];
    for (const base of paths) {
      expect((await t.call('HEAD', `${base}/roles/${reader}`)).status, base).toBe(404);
      expect((await t.call('PUT', `${base}/roles/${reader}`)).status, base).toBe(204);
      expect((await t.call('PUT', `${base}/roles/${reader}`)).status, base).toBe(204);
      expect((await t.call('HEAD', `${base}/roles/${reader}`)).status, base).toBe(204);
      expect((await t.call('GET', `${base}/roles/${reader}`)).status, base).toBe(204);
      const list = await t.call('GET', `${base}/roles`);
      expect(
        list.body.roles.map((r: any) => r.name),
        base,
      ).toEqual(['reader']);
      expect((await t.call('DELETE', `${base}/roles/${reader}`)).status, base).toBe(204);
      const again = await t.call('DELETE', `${base}/roles/${reader}`);
      expect(again.status, base).toBe(404);
      expect(again.body.error.message).toMatch(/^Could not find role assignment with role: /);
    }
  });

  it('answers 404 for unknown targets, actors and roles', async () => {
    const p = t.boot.demoProjectId;
    expect((await t.call('PUT', `/v3/projects/nope/users/${userId}/roles/${reader}`)).status).toBe(404);
    expect((await t.call('PUT', `/v3/projects/${p}/users/nope/roles/${reader}`)).status).toBe(404);
    expect((await t.call('PUT', `/v3/projects/${p}/groups/nope/roles/${reader}`)).status).toBe(404);
    expect((await t.call('PUT', `/v3/projects/${p}/users/${userId}/roles/nope`)).status).toBe(404);
    expect((await t.call('PUT', `/v3/domains/nope/users/${userId}/roles/${reader}`)).status).toBe(404);
    expect((await t.call('GET', `/v3/system/users/nope/roles`)).status).toBe(404);
  });

  it('lists role assignments with filters, names and effective expansion', async () => {
    const p = t.boot.demoProjectId;
    await t.call('PUT', `/v3/projects/${p}/groups/${groupId}/roles/${member}`);
    await t.call('PUT', `/v3/system/users/${userId}/roles/${reader}`);

    const direct = await t.call('GET', `/v3/role_assignments?user.id=${userId}`);
    expect(direct.status).toBe(200);
    expect(direct.body.role_assignments).toEqual([
      {
        role: { id: reader },
        user: { id: userId },
        scope: { system: { all: true } },
        links: { assignment: `http://localhost:80/v3/system/users/${userId}/roles/${reader}` },
      },
    ]);

    const group = await t.call('GET', `/v3/role_assignments?group.id=${groupId}&include_names`);
    expect(group.body.role_assignments).toEqual([
      {
        role: { id: member, name: 'member' },
        group: { id: groupId, name: 'team', domain: { id: 'default', name: 'Default' } },
        scope: { project: { id: p, name: 'demo', domain: { id: 'default', name: 'Default' } } },
        links: { assignment: `http://localhost:80/v3/projects/${p}/groups/${groupId}/roles/${member}` },
      },
    ]);

    const eff = await t.call('GET', `/v3/role_assignments?user.id=${userId}&scope.project.id=${p}&effective`);
    const got = eff.body.role_assignments.map((a: any) => ({ role: a.role.id, links: a.links }));
    expect(got).toEqual([
      {
        role: member,
        links: {
          assignment: `http://localhost:80/v3/projects/${p}/groups/${groupId}/roles/${member}`,
          membership: `http://localhost:80/v3/groups/${groupId}/users/${userId}`,
        },
      },
      {
        role: reader,
        links: {
          assignment: `http://localhost:80/v3/projects/${p}/groups/${groupId}/roles/${member}`,
          membership: `http://localhost:80/v3/groups/${groupId}/users/${userId}`,
          prior_role: `http://localhost:80/v3/roles/${member}/implies/${reader}`,
        },
      },
    ]);
    expect(eff.body.role_assignments.every((a: any) => a.user?.id === userId)).toBe(true);

    const byRole = await t.call('GET', `/v3/role_assignments?role.id=${reader}&effective&scope.project.id=${p}`);
    const users = byRole.body.role_assignments.map((a: any) => a.user.id).sort();
    expect(users).toEqual([t.boot.demoUserId, userId].sort());

    const system = await t.call('GET', '/v3/role_assignments?scope.system=all');
    expect(system.body.role_assignments.map((a: any) => a.user.id).sort()).toEqual([t.boot.adminUserId, userId].sort());
    const dom = await t.call('GET', '/v3/role_assignments?scope.domain.id=default');
    expect(dom.body.role_assignments).toEqual([]);
  });

  it('refuses contradictory filters with 400', async () => {
    for (const q of [
      'user.id=a&group.id=b',
      'scope.project.id=a&scope.domain.id=b',
      'effective&group.id=x',
      'scope.system=all&scope.project.id=a',
      'include_subtree=true',
      'include_subtree=true&scope.domain.id=a',
    ]) {
      const r = await t.call('GET', `/v3/role_assignments?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error.title).toBe('Bad Request');
    }
  });

  it('keeps a domain-specific role inside its domain', async () => {
    const other = (await t.call('POST', '/v3/domains', { domain: { name: 'other' } })).body.domain.id;
    const local = await t.call('POST', '/v3/roles', { role: { name: 'local', domain_id: other } });
    expect(local.body.role.domain_id).toBe(other);
    expect((await t.call('GET', `/v3/roles?domain_id=${other}`)).body.roles.map((r: any) => r.name)).toEqual(['local']);
    expect((await t.call('GET', '/v3/roles')).body.roles.map((r: any) => r.name)).not.toContain('local');
    const r = await t.call('PUT', `/v3/projects/${t.boot.demoProjectId}/users/${userId}/roles/${local.body.role.id}`);
    expect(r.status).toBe(403);
  });

  it('lets a domain-specific role confer only the global roles it implies', async () => {
    const dom = (await t.call('POST', '/v3/domains', { domain: { name: 'shire' } })).body.domain.id;
    const dom2 = (await t.call('POST', '/v3/domains', { domain: { name: 'mordor' } })).body.domain.id;
    const project = (await t.call('POST', '/v3/projects', { project: { name: 'hobbiton', domain_id: dom } })).body
      .project.id;
    const mk = async (name: string, domain_id?: string) =>
      (await t.call('POST', '/v3/roles', { role: { name, ...(domain_id ? { domain_id } : {}) } })).body.role
        .id as string;
    const gardener = await mk('gardener', dom);
    const elsewhere = await mk('elsewhere', dom2);
    const viewer = await mk('viewer');
    expect((await t.call('PUT', `/v3/roles/${gardener}/implies/${viewer}`)).status).toBe(201);
    expect((await t.call('PUT', `/v3/roles/${gardener}/implies/${elsewhere}`)).status).toBe(201);
    const up = await t.call('PUT', `/v3/roles/${viewer}/implies/${gardener}`);
    expect(up.status).toBe(403);
    expect(up.body.error.message).toBe('Global role cannot imply a domain-specific role');
    expect((await t.call('HEAD', `/v3/roles/${viewer}/implies/${gardener}`)).status).toBe(404);

    const sam = (await t.call('POST', '/v3/users', { user: { name: 'sam', password: 'sam-pw', domain_id: dom } })).body
      .user.id;
    expect((await t.call('PUT', `/v3/projects/${project}/users/${sam}/roles/${gardener}`)).status).toBe(204);
    const stored = await t.call('GET', `/v3/role_assignments?user.id=${sam}`);
    expect(stored.body.role_assignments.map((a: any) => a.role.id)).toEqual([gardener]);
    const eff = await t.call('GET', `/v3/role_assignments?user.id=${sam}&scope.project.id=${project}&effective`);
    expect(eff.body.role_assignments.map((a: any) => a.role.id)).toEqual([viewer]);
    expect(eff.body.role_assignments[0].links.prior_role).toMatch(new RegExp(`/roles/${gardener}/implies/${viewer}$`));
    const tok = await t.call(
      'POST',
      '/v3/auth/tokens',
      {
        auth: {
          identity: { methods: ['password'], password: { user: { id: sam, password: 'sam-pw' } } },
          scope: { project: { id: project } },
        },
      },
      { 'x-auth-token': '' },
    );
    expect(tok.status).toBe(201);
    expect(tok.body.token.roles.map((x: any) => x.name)).toEqual(['viewer']);
  });
});
