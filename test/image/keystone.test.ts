// The image service behind real Keystone tokens (identity in the same process, validated through
// its REST API): project members write their project's images, readers only read them, another
// project sees nothing private, the admin role sees everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, DEMO_PASSWORD, passwordAuth } from '../helpers/identity.js';
import { startImageCloud, type ImageCloud } from '../helpers/image_cloud.js';

describe('image service with Keystone tokens', () => {
  let c: ImageCloud;
  const tokens: Record<string, string> = {};

  const raw = async (
    method: string,
    url: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await c.app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(token ? { 'x-auth-token': token } : {}),
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined
        ? { payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) }
        : {}),
    });
    let parsed: any = res.body;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      /* not JSON */
    }
    return { status: res.statusCode, body: parsed, headers: res.headers };
  };
  const login = async (user: string, password: string, project: string) => {
    const r = await raw(
      'POST',
      '/identity/v3/auth/tokens',
      '',
      passwordAuth(user, password, { project: { name: project, domain: { id: 'default' } } }),
    );
    expect(r.status).toBe(201);
    return String(r.headers['x-subject-token']);
  };

  beforeAll(async () => {
    c = await startImageCloud();
    tokens.admin = await login('admin', ADMIN_PASSWORD, 'admin');
    tokens.demo = await login('demo', DEMO_PASSWORD, 'demo');
    const demoProject = (await raw('GET', '/identity/v3/projects?name=demo', tokens.admin)).body.projects[0].id;
    const reader = (await raw('GET', '/identity/v3/roles?name=reader', tokens.admin)).body.roles[0].id;
    const member = (await raw('GET', '/identity/v3/roles?name=member', tokens.admin)).body.roles[0].id;
    const viewer = (
      await raw('POST', '/identity/v3/users', tokens.admin, { user: { name: 'viewer', password: 'viewer-pw' } })
    ).body.user.id;
    expect(
      (await raw('PUT', `/identity/v3/projects/${demoProject}/users/${viewer}/roles/${reader}`, tokens.admin)).status,
    ).toBe(204);
    tokens.viewer = await login('viewer', 'viewer-pw', 'demo');
    const other = (await raw('POST', '/identity/v3/projects', tokens.admin, { project: { name: 'other' } })).body
      .project.id;
    const stranger = (
      await raw('POST', '/identity/v3/users', tokens.admin, { user: { name: 'stranger', password: 'pw' } })
    ).body.user.id;
    await raw('PUT', `/identity/v3/projects/${other}/users/${stranger}/roles/${member}`, tokens.admin);
    tokens.stranger = await login('stranger', 'pw', 'other');
  }, 60000);
  afterAll(async () => {
    await c?.stop();
  });

  it('lets project members create and upload, readers only read, strangers see nothing', async () => {
    const created = await raw('POST', '/image/v2/images', tokens.demo!, {
      name: 'demo-image',
      disk_format: 'raw',
      container_format: 'bare',
      visibility: 'private',
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body.owner).toMatch(/^[0-9a-f]{32}$/);
    const up = await raw('PUT', `/image/v2/images/${id}/file`, tokens.demo!, Buffer.from('demo data'), {
      'content-type': 'application/octet-stream',
    });
    expect(up.status).toBe(204);

    expect((await raw('GET', `/image/v2/images/${id}`, tokens.viewer!)).body.name).toBe('demo-image');
    expect((await raw('GET', '/image/v2/images', tokens.viewer!)).body.images.map((i: { id: string }) => i.id)).toEqual(
      [id],
    );
    const patch = JSON.stringify([{ op: 'replace', path: '/name', value: 'x' }]);
    const patchType = { 'content-type': 'application/openstack-images-v2.1-json-patch' };
    expect((await raw('PATCH', `/image/v2/images/${id}`, tokens.viewer!, patch, patchType)).status).toBe(403);
    expect((await raw('DELETE', `/image/v2/images/${id}`, tokens.viewer!)).status).toBe(403);
    expect((await raw('PUT', `/image/v2/images/${id}/tags/t`, tokens.viewer!)).status).toBe(403);
    expect((await raw('POST', '/image/v2/images', tokens.viewer!, { name: 'nope' })).status).toBe(403);

    expect((await raw('GET', `/image/v2/images/${id}`, tokens.stranger!)).status).toBe(404);
    expect((await raw('PATCH', `/image/v2/images/${id}`, tokens.stranger!, patch, patchType)).status).toBe(404);
    expect((await raw('GET', '/image/v2/images', tokens.stranger!)).body.images).toEqual([]);

    expect((await raw('GET', `/image/v2/images/${id}`, tokens.admin!)).status).toBe(200);
    expect((await raw('PATCH', `/image/v2/images/${id}`, tokens.demo!, patch, patchType)).body.name).toBe('x');
    expect((await raw('DELETE', `/image/v2/images/${id}`, tokens.demo!)).status).toBe(204);
  });

  it("refuses missing and invalid tokens with keystonemiddleware's 401", async () => {
    for (const token of ['', 'garbage']) {
      const r = await raw('GET', '/image/v2/images', token);
      expect(r.status).toBe(401);
      expect(r.body.error).toMatchObject({ code: 401, title: 'Unauthorized' });
    }
    expect((await raw('GET', '/image/', '')).status).toBe(300);
  });
});
