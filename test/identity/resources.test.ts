import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, startIdentity, type TestIdentity } from '../helpers/identity.js';

describe('domains', () => {
  let t: TestIdentity;
  beforeAll(async () => {
    t = await startIdentity({ prefix: '/identity' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates, shows, lists with filters, updates and keeps extra attributes', async () => {
    const r = await t.call('POST', '/v3/domains', {
      domain: { name: 'acme', description: 'ACME', tags: ['x'], colour: 'red' },
    });
    expect(r.status).toBe(201);
    const d = r.body.domain;
    expect(d).toMatchObject({
      name: 'acme',
      description: 'ACME',
      enabled: true,
      tags: ['x'],
      colour: 'red',
      options: {},
    });
    expect(d.id).toMatch(/^[0-9a-f]{32}$/);
    expect(d.links.self).toBe(`http://localhost:80/identity/v3/domains/${d.id}`);
    expect((await t.call('GET', `/v3/domains/${d.id}`)).body.domain.name).toBe('acme');
    const list = await t.call('GET', '/v3/domains?name=acme');
    expect(list.body.domains.map((x: { id: string }) => x.id)).toEqual([d.id]);
    expect(list.body.links).toEqual({
      self: 'http://localhost:80/identity/v3/domains?name=acme',
      previous: null,
      next: null,
    });
    expect((await t.call('GET', '/v3/domains?enabled=false')).body.domains).toEqual([]);
    const up = await t.call('PATCH', `/v3/domains/${d.id}`, { domain: { description: 'changed', enabled: false } });
    expect(up.status).toBe(200);
    expect(up.body.domain).toMatchObject({ description: 'changed', enabled: false, colour: 'red' });
    expect((await t.call('GET', '/v3/domains?enabled=0')).body.domains.map((x: { name: string }) => x.name)).toEqual([
      'acme',
    ]);
    expect((await t.call('HEAD', `/v3/domains/${d.id}`)).status).toBe(200);
  });

  it('creates a domain with an explicit id', async () => {
    const r = await t.call('POST', '/v3/domains', { domain: { name: 'fixed', explicit_domain_id: 'fixed-id' } });
    expect(r.status).toBe(201);
    expect(r.body.domain.id).toBe('fixed-id');
  });

  it('refuses duplicates (409), unknown ids (404) and bad bodies (400)', async () => {
    expect((await t.call('POST', '/v3/domains', { domain: { name: 'Default' } })).status).toBe(409);
    const missing = await t.call('GET', '/v3/domains/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 404, title: 'Not Found', message: 'Could not find domain: nope.' } });
    for (const body of [
      {},
      { domain: {} },
      { domain: { name: '' } },
      { domain: { name: 'x', enabled: 'yes' } },
      { domain: { name: 'x'.repeat(65) } },
      { domain: 'x' },
    ]) {
      const r = await t.call('POST', '/v3/domains', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await t.call('PATCH', '/v3/domains/default', { domain: {} })).status).toBe(400);
    expect((await t.call('PATCH', '/v3/domains/nope', { domain: { name: 'y' } })).status).toBe(404);
  });

  it('deletes only a disabled domain, and with it what it holds', async () => {
    const d = (await t.call('POST', '/v3/domains', { domain: { name: 'doomed' } })).body.domain;
    const p = (await t.call('POST', '/v3/projects', { project: { name: 'p', domain_id: d.id } })).body.project;
    const u = (await t.call('POST', '/v3/users', { user: { name: 'u', domain_id: d.id, password: 'pw' } })).body.user;
    const g = (await t.call('POST', '/v3/groups', { group: { name: 'g', domain_id: d.id } })).body.group;
    const enabled = await t.call('DELETE', `/v3/domains/${d.id}`);
    expect(enabled.status).toBe(403);
    expect(enabled.body.error.message).toBe('Cannot delete a domain that is enabled, please disable it first.');
    await t.call('PATCH', `/v3/domains/${d.id}`, { domain: { enabled: false } });
    expect((await t.call('DELETE', `/v3/domains/${d.id}`)).status).toBe(204);
    expect((await t.call('GET', `/v3/projects/${p.id}`)).status).toBe(404);
    expect((await t.call('GET', `/v3/users/${u.id}`)).status).toBe(404);
    expect((await t.call('GET', `/v3/groups/${g.id}`)).status).toBe(404);
    expect((await t.call('DELETE', `/v3/domains/${d.id}`)).status).toBe(404);
  });
});

describe('projects', () => {
  let t: TestIdentity;
  beforeAll(async () => {
    t = await startIdentity();
  });
  afterAll(async () => {
    await t.close();
  });

  it("creates in the caller's domain by default, with Keystone's fields", async () => {
    const r = await t.call('POST', '/v3/projects', {
      project: { name: 'web', description: 'Web tier', tags: ['prod'] },
    });
    expect(r.status).toBe(201);
    expect(r.body.project).toMatchObject({
      name: 'web',
      domain_id: 'default',
      parent_id: 'default',
      is_domain: false,
      enabled: true,
      description: 'Web tier',
      tags: ['prod'],
      options: {},
    });
    expect((await t.call('POST', '/v3/projects', { project: { name: 'web' } })).status).toBe(409);
  });

  it('lists with filters', async () => {
    const names = async (q: string) =>
      (await t.call('GET', `/v3/projects${q}`)).body.projects.map((p: { name: string }) => p.name);
    expect(await names('')).toEqual(['admin', 'demo', 'service', 'web']);
    expect(await names('?name=demo')).toEqual(['demo']);
    expect(await names('?domain_id=default&enabled=true')).toContain('web');
    expect(await names('?domain_id=nope')).toEqual([]);
    expect(await names('?is_domain=true')).toEqual(['Default']);
  });

  it('nests projects, and refuses to delete one with children', async () => {
    const parent = (await t.call('POST', '/v3/projects', { project: { name: 'parent' } })).body.project;
    const child = await t.call('POST', '/v3/projects', { project: { name: 'child', parent_id: parent.id } });
    expect(child.status).toBe(201);
    expect(child.body.project).toMatchObject({ parent_id: parent.id, domain_id: 'default' });
    expect(
      (await t.call('GET', `/v3/projects?parent_id=${parent.id}`)).body.projects.map((p: { name: string }) => p.name),
    ).toEqual(['child']);
    const refused = await t.call('DELETE', `/v3/projects/${parent.id}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/not a leaf/);
    expect((await t.call('POST', '/v3/projects', { project: { name: 'orphan', parent_id: 'nope' } })).status).toBe(404);
    const other = (await t.call('POST', '/v3/domains', { domain: { name: 'other' } })).body.domain;
    const cross = await t.call('POST', '/v3/projects', {
      project: { name: 'cross', parent_id: parent.id, domain_id: other.id },
    });
    expect(cross.status).toBe(403);
    expect((await t.call('DELETE', `/v3/projects/${child.body.project.id}`)).status).toBe(204);
    expect((await t.call('DELETE', `/v3/projects/${parent.id}`)).status).toBe(204);
  });

  it('updates, disables (killing its tokens) and refuses bad updates', async () => {
    const p = (await t.call('POST', '/v3/projects', { project: { name: 'temp' } })).body.project;
    const up = await t.call('PATCH', `/v3/projects/${p.id}`, { project: { name: 'temp2', description: 'd' } });
    expect(up.body.project).toMatchObject({ name: 'temp2', description: 'd' });
    expect((await t.call('PATCH', `/v3/projects/${p.id}`, { project: { name: 'demo' } })).status).toBe(409);
    expect((await t.call('PATCH', `/v3/projects/${p.id}`, { project: { domain_id: 'other' } })).status).toBe(400);
    expect((await t.call('PATCH', `/v3/projects/${p.id}`, { project: { enabled: 1 } })).status).toBe(400);
    const admin = (await t.call('GET', '/v3/roles?name=admin')).body.roles[0].id;
    await t.call('PUT', `/v3/projects/${p.id}/users/${t.boot.adminUserId}/roles/${admin}`);
    const tok = await t.login({ user: 'admin', password: 'admin-secret', project: 'temp2' });
    expect(tok.status).toBe(201);
    await t.call('PATCH', `/v3/projects/${p.id}`, { project: { enabled: false } });
    expect((await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': tok.token })).status).toBe(404);
    expect((await t.login({ user: 'admin', password: 'admin-secret', project: 'temp2' })).status).toBe(401);
  });

  it('makes, shows, lists, updates and deletes a project acting as a domain (is_domain)', async () => {
    const r = await t.call('POST', '/v3/projects', {
      project: { name: 'realm', description: 'a realm', is_domain: true, domain_id: null, tags: ['t'] },
    });
    expect(r.status).toBe(201);
    const id = r.body.project.id;
    expect(r.body.project).toMatchObject({
      name: 'realm',
      description: 'a realm',
      is_domain: true,
      domain_id: null,
      parent_id: null,
      enabled: true,
      tags: ['t'],
    });
    expect((await t.call('GET', `/v3/domains/${id}`)).body.domain).toMatchObject({
      id,
      name: 'realm',
      description: 'a realm',
    });
    expect((await t.call('GET', `/v3/projects/${id}`)).body.project).toMatchObject({
      id,
      is_domain: true,
      domain_id: null,
    });
    const names = async (q: string) =>
      (await t.call('GET', `/v3/projects${q}`)).body.projects.map((p: { name: string }) => p.name);
    expect(await names('?is_domain=true')).toContain('realm');
    expect(await names('?is_domain=true&name=realm&tags=t')).toEqual(['realm']);
    expect(await names('?is_domain=true&domain_id=default')).toEqual([]);
    expect(await names('')).not.toContain('realm');
    expect(await names('?is_domain=false')).not.toContain('realm');
    const inside = await t.call('POST', '/v3/projects', { project: { name: 'in-realm', parent_id: id } });
    expect(inside.body.project).toMatchObject({ domain_id: id, parent_id: id, is_domain: false });

    const dup = await t.call('POST', '/v3/projects', { project: { name: 'realm', is_domain: true } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.message).toMatch(/two projects acting as domains with the same name: realm/);
    const nested = await t.call('POST', '/v3/projects', {
      project: { name: 'sub-realm', is_domain: true, domain_id: 'default' },
    });
    expect(nested.status).toBe(400);
    expect(nested.body.error.message).toBe('only root projects are allowed to act as domains.');
    expect((await t.call('PATCH', `/v3/projects/${id}`, { project: { is_domain: false } })).status).toBe(400);
    expect((await t.call('PATCH', `/v3/projects/${id}`, { project: { parent_id: 'default' } })).status).toBe(403);
    expect(
      (await t.call('PATCH', `/v3/projects/${inside.body.project.id}`, { project: { is_domain: true } })).status,
    ).toBe(400);
    expect(
      (await t.call('PATCH', `/v3/projects/${inside.body.project.id}`, { project: { parent_id: 'default' } })).status,
    ).toBe(403);

    const renamed = await t.call('PATCH', `/v3/projects/${id}`, { project: { name: 'realm2' } });
    expect(renamed.body.project).toMatchObject({ id, name: 'realm2', is_domain: true });
    expect((await t.call('GET', `/v3/domains/${id}`)).body.domain.name).toBe('realm2');
    const refused = await t.call('DELETE', `/v3/projects/${id}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/disable it first/);
    expect((await t.call('PATCH', `/v3/projects/${id}`, { project: { enabled: false } })).body.project.enabled).toBe(
      false,
    );
    expect((await t.call('DELETE', `/v3/projects/${id}`)).status).toBe(204);
    expect((await t.call('GET', `/v3/domains/${id}`)).status).toBe(404);
    expect((await t.call('GET', `/v3/projects/${inside.body.project.id}`)).status).toBe(404);
  });

  it('refuses bad input with 400 and unknown domains with 404', async () => {
    for (const body of [
      {},
      { project: { name: 7 } },
      { project: { name: 'x', domain_id: 'a b' } },
      { project: { name: 'x', is_domain: 'yes' } },
      { project: { name: 'x', tags: 'a' } },
      { project: { name: 'x', tags: ['a/b'] } },
    ]) {
      const r = await t.call('POST', '/v3/projects', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await t.call('POST', '/v3/projects', { project: { name: 'x', domain_id: 'nope' } })).status).toBe(404);
    expect((await t.call('DELETE', '/v3/projects/nope')).status).toBe(404);
  });
});

describe('project tags', () => {
  let t: TestIdentity;
  let id: string;
  beforeAll(async () => {
    t = await startIdentity();
    id = (await t.call('POST', '/v3/projects', { project: { name: 'tagged', tags: ['red', 'blue'] } })).body.project.id;
    await t.call('POST', '/v3/projects', { project: { name: 'plain', tags: ['blue'] } });
  });
  afterAll(async () => {
    await t.close();
  });
  const names = async (q: string) =>
    (await t.call('GET', `/v3/projects${q}`)).body.projects
      .map((p: { name: string }) => p.name)
      .filter((n: string) => n === 'tagged' || n === 'plain');

  it('filters project lists by all, any, not all and none of the tags', async () => {
    expect(await names('?tags=red,blue')).toEqual(['tagged']);
    expect(await names('?tags=blue')).toEqual(['plain', 'tagged']);
    expect(await names('?tags-any=red,green')).toEqual(['tagged']);
    expect(await names('?not-tags=red,blue')).toEqual(['plain']);
    expect(await names('?not-tags-any=red,blue')).toEqual([]);
    expect(await names('?not-tags-any=green')).toEqual(['plain', 'tagged']);
  });

  it('lists, replaces, adds, checks and removes tags', async () => {
    const list = await t.call('GET', `/v3/projects/${id}/tags`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ links: { self: `http://localhost:80/v3/projects/${id}/tags` }, tags: ['red', 'blue'] });
    const put = await t.call('PUT', `/v3/projects/${id}/tags`, { tags: ['a', 'b'] });
    expect(put.status).toBe(200);
    expect(put.body.tags).toEqual(['a', 'b']);
    const added = await t.call('PUT', `/v3/projects/${id}/tags/c`);
    expect(added.status).toBe(201);
    expect(added.headers.location).toBe(`http://localhost:80/v3/projects/${id}/tags/c`);
    expect((await t.call('GET', `/v3/projects/${id}`)).body.project.tags).toEqual(['a', 'b', 'c']);
    expect((await t.call('GET', `/v3/projects/${id}/tags/c`)).status).toBe(204);
    expect((await t.call('HEAD', `/v3/projects/${id}/tags/b`)).status).toBe(204);
    const missing = await t.call('GET', `/v3/projects/${id}/tags/zzz`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe('Could not find project tag: zzz.');
    expect((await t.call('DELETE', `/v3/projects/${id}/tags/a`)).status).toBe(204);
    expect((await t.call('DELETE', `/v3/projects/${id}/tags/a`)).status).toBe(404);
    expect((await t.call('GET', `/v3/projects/${id}/tags`)).body.tags).toEqual(['b', 'c']);
    expect((await t.call('DELETE', `/v3/projects/${id}/tags`)).status).toBe(204);
    expect((await t.call('GET', `/v3/projects/${id}/tags`)).body.tags).toEqual([]);
  });

  it('refuses bad tags (400), too many tags (400) and unknown projects (404), changing nothing', async () => {
    await t.call('PUT', `/v3/projects/${id}/tags`, { tags: ['keep'] });
    for (const body of [
      { tags: 'x' },
      { tags: ['a,b'] },
      { tags: ['x'.repeat(256)] },
      { tags: ['d', 'd'] },
      { tags: Array.from({ length: 81 }, (_, i) => `t${i}`) },
    ]) {
      expect((await t.call('PUT', `/v3/projects/${id}/tags`, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await t.call('PUT', `/v3/projects/${id}/tags/${'y'.repeat(256)}`)).status).toBe(400);
    expect((await t.call('PUT', `/v3/projects/${id}/tags/a%2Cb`)).status).toBe(400);
    await t.call('PUT', `/v3/projects/${id}/tags`, { tags: Array.from({ length: 80 }, (_, i) => `t${i}`) });
    expect((await t.call('PUT', `/v3/projects/${id}/tags/one-more`)).status).toBe(400);
    expect((await t.call('GET', `/v3/projects/${id}/tags`)).body.tags).toHaveLength(80);
    expect((await t.call('GET', '/v3/projects/nope/tags')).status).toBe(404);
    expect((await t.call('PUT', '/v3/projects/nope/tags/x')).status).toBe(404);
  });

  it('lets a project member read its tags but not change them', async () => {
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const demoProject = demo.body.token.project.id;
    const as = { 'x-auth-token': demo.token };
    expect((await t.call('GET', `/v3/projects/${demoProject}/tags`, undefined, as)).status).toBe(200);
    expect((await t.call('PUT', `/v3/projects/${demoProject}/tags/x`, undefined, as)).status).toBe(403);
    expect((await t.call('GET', `/v3/projects/${id}/tags`, undefined, as)).status).toBe(403);
  });
});
