// The cloud of `concord up`, in-process: what is mounted where, Keystone authentication in front
// of every service, each service's own error format, and a second start on the same data dir.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/common/log.js';
import { buildCloud } from '../../src/cli/cloud.js';
import { resolveRuntime } from '../../src/cli/runtime.js';
import { BASE, startLocalCloud, type LocalCloud } from '../helpers/allinone.js';

const PV = { 'openstack-api-version': 'placement latest' };
const CHALLENGE = `Keystone uri="${BASE}/identity"`;

describe('concord up (in-process)', () => {
  let c: LocalCloud;
  let admin: string;
  beforeAll(async () => {
    c = await startLocalCloud({ keystoneTokenCacheTime: 0 });
    admin = await c.login('admin', c.cloud.credentials.adminPassword, 'admin');
  });
  afterAll(async () => {
    await c?.close();
  });

  it('lists its services at / and catalogs each at its DevStack path', async () => {
    const root = await c.call('GET', '/', '');
    expect(root.status).toBe(200);
    expect(root.body.services).toEqual([
      { name: 'keystone', type: 'identity', path: '/identity', url: `${BASE}/identity` },
      { name: 'placement', type: 'placement', path: '/placement', url: `${BASE}/placement` },
      { name: 'glance', type: 'image', path: '/image', url: `${BASE}/image` },
      { name: 'nova', type: 'compute', path: '/compute', url: `${BASE}/compute/v2.1` },
    ]);
    const token = await c.call('GET', '/identity/v3/auth/tokens', admin, undefined, { 'x-subject-token': admin });
    const catalog = token.body.token.catalog as {
      type: string;
      name: string;
      endpoints: { url: string; interface: string }[];
    }[];
    for (const s of root.body.services) {
      const entry = catalog.find((e) => e.type === s.type)!;
      expect(entry.name).toBe(s.name);
      expect(entry.endpoints.map((e) => `${e.interface} ${e.url}`).sort()).toEqual(
        ['admin', 'internal', 'public'].map((i) => `${i} ${s.url}`),
      );
    }
  });

  it('answers version discovery at /identity and /identity/v3 without a token', async () => {
    const root = await c.call('GET', '/identity', '');
    expect(root.status).toBe(300);
    expect(root.body.versions.values[0].id).toBe('v3.14');
    const v3 = await c.call('GET', '/identity/v3', '');
    expect(v3.status).toBe(200);
    expect(v3.body.version.links[0].href).toMatch(/\/identity\/v3\/$/);
    expect((await c.call('GET', '/placement/', '')).status).toBe(200);
    // Nova: the versions at the service root, the v2.1 document at the catalogued URL.
    const compute = await c.call('GET', '/compute/', '');
    expect(compute.status).toBe(200);
    expect(compute.body.versions[0].links[0].href).toBe('http://localhost:80/compute/v2.1/');
    const v21 = await c.call('GET', '/compute/v2.1', '');
    expect(v21.body.version).toMatchObject({ id: 'v2.1', version: '2.93', min_version: '2.1' });
  });

  it("refuses a missing or bad token with 401, in each service's format, naming identity", async () => {
    for (const token of ['', 'garbage', `${admin.slice(0, admin.lastIndexOf('.'))}.AAAA`]) {
      const p = await c.call('GET', '/placement/resource_providers', token, undefined, PV);
      expect(p.status).toBe(401);
      expect(p.headers['www-authenticate']).toBe(CHALLENGE);
      expect(p.body.errors[0]).toMatchObject({ status: 401, title: 'Unauthorized' });
      const g = await c.call('GET', '/image/v2/images', token);
      expect(g.status).toBe(401);
      expect(g.headers['www-authenticate']).toBe(CHALLENGE);
      expect(g.body.error).toMatchObject({ code: 401, title: 'Unauthorized' });
      const n = await c.call('GET', '/compute/v2.1/flavors', token);
      expect(n.status).toBe(401);
      expect(n.headers['www-authenticate']).toBe(CHALLENGE);
      expect(n.body.error).toMatchObject({ code: 401, title: 'Unauthorized' });
      const i = await c.call('GET', '/identity/v3/users', token);
      expect(i.status).toBe(401);
      expect(i.headers['www-authenticate']).toBe('Keystone uri="http://localhost:80/identity"');
      expect(i.body).toEqual({
        error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
      });
    }
  });

  it('lets the admin through to placement, and a member only as far as policy allows (403)', async () => {
    expect((await c.call('GET', '/placement/resource_providers', admin, undefined, PV)).status).toBe(200);
    const demo = await c.login('demo', c.cloud.credentials.demoPassword, 'demo');
    const r = await c.call('GET', '/placement/resource_providers', demo, undefined, PV);
    expect(r.status).toBe(403);
    expect(r.body.errors[0].title).toBe('Forbidden');
  });

  it("answers malformed bodies with 400 in the service's own format", async () => {
    const p = await c.call('POST', '/placement/resource_providers', admin, '{"name":', PV);
    expect(p.status).toBe(400);
    expect(p.body.errors[0].status).toBe(400);
    const i = await c.call('POST', '/identity/v3/projects', admin, '{"project":');
    expect(i.status).toBe(400);
    expect(i.body.error.code).toBe(400);
    const g = await c.call('POST', '/image/v2/images', admin, '{"name":');
    expect(g.status).toBe(400);
    expect(g.headers['content-type']).toMatch(/^text\/plain/);
    expect(g.body).toMatch(/^400 Bad Request/);
  });

  it('registers the public test image once, owned by the admin project', async () => {
    const list = await c.call('GET', '/image/v2/images', admin);
    expect(list.status).toBe(200);
    const [img] = list.body.images;
    expect(list.body.images).toHaveLength(1);
    expect(img).toMatchObject({ name: 'cirros-0.6.2-x86_64-disk', visibility: 'public', status: 'active' });
    const adminProject = (await c.call('GET', '/identity/v3/auth/projects', admin)).body.projects.find(
      (p: { name: string }) => p.name === 'admin',
    ).id;
    expect(img.owner).toBe(adminProject);
    const demo = await c.login('demo', c.cloud.credentials.demoPassword, 'demo');
    expect((await c.call('GET', `/image/v2/images/${img.id}`, demo)).status).toBe(200);
  });

  it('honours a revoked token in every service', async () => {
    const demo = await c.login('demo', c.cloud.credentials.demoPassword, 'demo');
    const usages = `/placement/usages?project_id=${(await c.call('GET', '/identity/v3/auth/projects', demo)).body.projects[0].id}`;
    expect((await c.call('GET', usages, demo, undefined, PV)).status).toBe(200);
    expect(
      (await c.call('DELETE', '/identity/v3/auth/tokens', admin, undefined, { 'x-subject-token': demo })).status,
    ).toBe(204);
    expect((await c.call('GET', usages, demo, undefined, PV)).status).toBe(401);
    expect((await c.call('GET', '/image/v2/images', demo)).status).toBe(401);
    expect((await c.call('GET', '/identity/v3/auth/projects', demo)).status).toBe(401);
  });

  it('keeps its passwords private, in DATA_DIR/credentials.json', () => {
    const file = join(c.dataDir, 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(stored.admin_password).toBe(c.cloud.credentials.adminPassword);
    expect(stored.demo_password).not.toBe(stored.admin_password);
  });
});

describe('concord up with the default token cache', () => {
  let c: LocalCloud;
  let admin: string;
  beforeAll(async () => {
    c = await startLocalCloud();
    admin = await c.login('admin', c.cloud.credentials.adminPassword, 'admin');
  });
  afterAll(async () => {
    await c?.close();
  });

  const images = (token: string) => c.call('GET', '/image/v2/images', token);

  it('refuses a token at once once identity revokes it, though it was cached', async () => {
    const demo = await c.login('demo', c.cloud.credentials.demoPassword, 'demo');
    expect((await images(demo)).status).toBe(200);
    expect(
      (await c.call('DELETE', '/identity/v3/auth/tokens', admin, undefined, { 'x-subject-token': demo })).status,
    ).toBe(204);
    expect((await images(demo)).status).toBe(401);
    expect((await c.call('GET', '/placement/resource_providers', demo, undefined, PV)).status).toBe(401);
  });

  it('applies a removed role assignment at once', async () => {
    const demo = await c.login('demo', c.cloud.credentials.demoPassword, 'demo');
    const project = (await c.call('GET', '/identity/v3/auth/projects', demo)).body.projects[0].id;
    const user = (await c.call('GET', '/identity/v3/users?name=demo', admin)).body.users[0].id;
    const assignments = (
      await c.call(
        'GET',
        `/identity/v3/role_assignments?user.id=${user}&scope.project.id=${project}&include_names`,
        admin,
      )
    ).body.role_assignments;
    expect((await images(demo)).status).toBe(200);
    for (const a of assignments) {
      const r = await c.call('DELETE', `/identity/v3/projects/${project}/users/${user}/roles/${a.role.id}`, admin);
      expect(r.status).toBe(204);
    }
    // A token without a role on its project is no longer valid at all, as in Keystone.
    expect((await images(demo)).status).toBe(401);
  });
});

describe('a second start on the same data dir', () => {
  const log = createLogger({ name: 'test' });
  log.level = 'silent';
  const dataDir = mkdtempSync(join(tmpdir(), 'concord-aio-again-'));
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function boot(config: Record<string, unknown> = {}, base = BASE) {
    return buildCloud({ runtime: resolveRuntime({ dataDir }, config, {}), log, publicBase: base });
  }
  async function adminLogin(cloud: Awaited<ReturnType<typeof boot>>, password: string) {
    return cloud.app.inject({
      method: 'POST',
      url: '/identity/v3/auth/tokens',
      headers: { 'content-type': 'application/json' },
      payload: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { id: 'default' }, password } },
          },
          scope: { project: { name: 'admin', domain: { id: 'default' } } },
        },
      },
    });
  }

  it('keeps its accounts, passwords, tokens and data, and follows a new port', async () => {
    const first = await boot();
    const password = first.credentials.adminPassword;
    expect(first.credentials.adminPasswordGenerated).toBe(true);
    const token = (await adminLogin(first, password)).headers['x-subject-token'] as string;
    const users = (await first.app.inject({ url: '/identity/v3/users', headers: { 'x-auth-token': token } })).json();
    expect(users.users.map((u: { name: string }) => u.name).sort()).toEqual([
      'admin',
      'demo',
      'glance',
      'nova',
      'placement',
    ]);
    await first.close();
    await first.close();

    const second = await boot({}, 'http://cloud.test:9999');
    expect(second.credentials.adminPassword).toBe(password);
    expect(second.credentials.adminPasswordGenerated).toBe(false);
    const again = (await second.app.inject({ url: '/identity/v3/users', headers: { 'x-auth-token': token } })).json();
    expect(again).toEqual(users);
    const images = (await second.app.inject({ url: '/image/v2/images', headers: { 'x-auth-token': token } })).json();
    expect(images.images).toHaveLength(1);
    const endpoints = (
      await second.app.inject({ url: '/identity/v3/endpoints', headers: { 'x-auth-token': token } })
    ).json();
    expect(new Set(endpoints.endpoints.map((e: { url: string }) => new URL(e.url).port))).toEqual(new Set(['9999']));
    await second.close();

    // An operator's [DEFAULT] admin_password replaces the generated one, and is not stored.
    const third = await boot({ adminPassword: 'operator-chosen' });
    expect((await adminLogin(third, 'operator-chosen')).statusCode).toBe(201);
    expect((await adminLogin(third, password)).statusCode).toBe(401);
    expect(readFileSync(join(dataDir, 'credentials.json'), 'utf8')).not.toContain('operator-chosen');
    await third.close();
  });
});
