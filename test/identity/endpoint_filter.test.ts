// Endpoint filtering (OS-EP-FILTER): endpoint groups, project associations, and the catalog of a
// project-scoped token narrowed to them. On both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, startIdentity, type TestIdentity } from '../helpers/identity.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const skipPg = postgresUnavailable();

describe('endpoint filtering (OS-EP-FILTER), SQLite', () => endpointFilter(false));
describe.skipIf(skipPg)(`endpoint filtering (OS-EP-FILTER), PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () =>
  endpointFilter(true),
);

function endpointFilter(postgres: boolean) {
  let pg: PgCluster | undefined;
  let t: TestIdentity;
  let compute: string;
  let volume: string;
  const endpoint: Record<string, string> = {};
  const EP = '/v3/OS-EP-FILTER';

  beforeAll(async () => {
    if (postgres) pg = await startPostgres();
    t = await startIdentity(pg ? { databaseUrl: await pg.createDatabase('ep_filter') } : {});
    compute = (await t.call('POST', '/v3/services', { service: { type: 'compute', name: 'nova' } })).body.service.id;
    volume = (await t.call('POST', '/v3/services', { service: { type: 'volume', name: 'cinder' } })).body.service.id;
    for (const [key, service, iface] of [
      ['cpub', compute, 'public'],
      ['cint', compute, 'internal'],
      ['vpub', volume, 'public'],
    ]) {
      const r = await t.call('POST', '/v3/endpoints', {
        endpoint: { service_id: service, interface: iface, url: `http://h/${key}`, region_id: 'RegionOne' },
      });
      endpoint[key!] = r.body.endpoint.id;
    }
  });
  afterAll(async () => {
    await t?.close();
    pg?.stop();
  });

  const demoCatalog = async () => {
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    expect(demo.status).toBe(201);
    return demo.body.token.catalog as { type: string; endpoints: { id: string }[] }[];
  };
  const ids = (rows: { id: string }[]) => rows.map((x) => x.id).sort();

  it('creates, shows, lists, updates and deletes endpoint groups', async () => {
    const c = await t.call('POST', `${EP}/endpoint_groups`, {
      endpoint_group: { name: 'compute-only', description: 'd', filters: { service_id: compute } },
    });
    expect(c.status).toBe(201);
    const g = c.body.endpoint_group;
    expect(g).toMatchObject({ name: 'compute-only', description: 'd', filters: { service_id: compute } });
    expect(g.links.self).toMatch(new RegExp(`/v3/OS-EP-FILTER/endpoint_groups/${g.id}$`));
    expect((await t.call('GET', `${EP}/endpoint_groups`)).body.endpoint_groups).toEqual([g]);
    expect((await t.call('GET', `${EP}/endpoint_groups?name=nope`)).body.endpoint_groups).toEqual([]);
    expect((await t.call('GET', `${EP}/endpoint_groups/${g.id}`)).body.endpoint_group).toEqual(g);
    expect((await t.call('HEAD', `${EP}/endpoint_groups/${g.id}`)).status).toBe(200);
    const members = await t.call('GET', `${EP}/endpoint_groups/${g.id}/endpoints`);
    expect(ids(members.body.endpoints)).toEqual([endpoint.cint, endpoint.cpub].sort());
    const up = await t.call('PATCH', `${EP}/endpoint_groups/${g.id}`, {
      endpoint_group: { name: 'public', filters: { interface: 'public' } },
    });
    expect(up.body.endpoint_group).toMatchObject({
      id: g.id,
      name: 'public',
      description: 'd',
      filters: { interface: 'public' },
    });
    const pub = await t.call('GET', `${EP}/endpoint_groups/${g.id}/endpoints`);
    expect(ids(pub.body.endpoints)).toEqual(expect.arrayContaining([endpoint.cpub, endpoint.vpub]));
    expect(pub.body.endpoints.every((e: { interface: string }) => e.interface === 'public')).toBe(true);
    expect((await t.call('DELETE', `${EP}/endpoint_groups/${g.id}`)).status).toBe(204);
    expect((await t.call('GET', `${EP}/endpoint_groups/${g.id}`)).status).toBe(404);
    expect((await t.call('DELETE', `${EP}/endpoint_groups/${g.id}`)).status).toBe(404);
  });

  it('refuses bad endpoint groups with 400, changing nothing', async () => {
    const bad: unknown[] = [
      {},
      { endpoint_group: { filters: { interface: 'public' } } },
      { endpoint_group: { name: 'x' } },
      { endpoint_group: { name: 'x', filters: {} } },
      { endpoint_group: { name: 'x', filters: { url: 'http://h' } } },
      { endpoint_group: { name: 'x', filters: 'interface' } },
      { endpoint_group: { name: '', filters: { interface: 'public' } } },
    ];
    for (const body of bad) {
      const r = await t.call('POST', `${EP}/endpoint_groups`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect(
      (await t.call('POST', `${EP}/endpoint_groups`, { endpoint_group: { name: 'x', filters: { url: 'h' } } })).body
        .error.message,
    ).toMatch(/^Expecting to find service_id or region_id or interface in endpoint_group\./);
    expect((await t.call('GET', `${EP}/endpoint_groups`)).body.endpoint_groups).toEqual([]);
  });

  it("narrows a project's catalog to the endpoints of its endpoint groups", async () => {
    const demo = t.boot.demoProjectId;
    expect((await demoCatalog()).map((s) => s.type)).toEqual(expect.arrayContaining(['compute', 'volume', 'identity']));
    const g = (
      await t.call('POST', `${EP}/endpoint_groups`, {
        endpoint_group: { name: 'volumes', filters: { service_id: volume } },
      })
    ).body.endpoint_group;
    const assoc = `${EP}/endpoint_groups/${g.id}/projects/${demo}`;
    expect((await t.call('GET', assoc)).status).toBe(404);
    expect((await t.call('PUT', assoc)).status).toBe(204);
    expect((await t.call('PUT', assoc)).status).toBe(409);
    const shown = await t.call('GET', assoc);
    expect(shown.body.project_endpoint_group).toMatchObject({ endpoint_group_id: g.id, project_id: demo });
    expect(ids((await t.call('GET', `${EP}/endpoint_groups/${g.id}/projects`)).body.projects)).toEqual([demo]);
    expect(ids((await t.call('GET', `${EP}/projects/${demo}/endpoint_groups`)).body.endpoint_groups)).toEqual([g.id]);
    expect(ids((await t.call('GET', `${EP}/projects/${demo}/endpoints`)).body.endpoints)).toEqual([endpoint.vpub]);

    const catalog = await demoCatalog();
    expect(catalog.map((s) => s.type)).toEqual(['volume']);
    expect(ids(catalog[0]!.endpoints)).toEqual([endpoint.vpub]);
    // Other projects, and tokens without a project, keep the whole catalog.
    const admin = await t.login({ user: 'admin', password: 'admin-secret', project: 'admin' });
    expect(admin.body.token.catalog.map((s: { type: string }) => s.type)).toContain('compute');

    expect((await t.call('DELETE', assoc)).status).toBe(204);
    expect((await t.call('DELETE', assoc)).status).toBe(404);
    expect((await demoCatalog()).map((s) => s.type)).toContain('compute');
    expect((await t.call('PUT', `${EP}/endpoint_groups/${g.id}/projects/nope`)).status).toBe(404);
    expect((await t.call('PUT', `${EP}/endpoint_groups/nope/projects/${demo}`)).status).toBe(404);
  });

  it('associates single endpoints with a project, and forgets them with the endpoint or the project', async () => {
    const p = (await t.call('POST', '/v3/projects', { project: { name: 'filtered' } })).body.project.id;
    const admin = (await t.call('GET', '/v3/roles?name=admin')).body.roles[0].id;
    await t.call('PUT', `/v3/projects/${p}/users/${t.boot.adminUserId}/roles/${admin}`);
    const one = `${EP}/projects/${p}/endpoints/${endpoint.cint}`;
    expect((await t.call('GET', one)).status).toBe(404);
    expect((await t.call('PUT', one)).status).toBe(204);
    expect((await t.call('PUT', one)).status).toBe(409);
    expect((await t.call('GET', one)).status).toBe(204);
    expect((await t.call('HEAD', one)).status).toBe(204);
    expect(ids((await t.call('GET', `${EP}/endpoints/${endpoint.cint}/projects`)).body.projects)).toEqual([p]);
    const tok = await t.login({ user: 'admin', password: 'admin-secret', scope: { project: { id: p } } });
    expect(tok.body.token.catalog).toEqual([
      expect.objectContaining({ type: 'compute', endpoints: [expect.objectContaining({ id: endpoint.cint })] }),
    ]);
    // A disabled endpoint leaves the catalog, its association stays.
    await t.call('PATCH', `/v3/endpoints/${endpoint.cint}`, { endpoint: { enabled: false } });
    const off = await t.call('GET', '/v3/auth/catalog', undefined, { 'x-auth-token': tok.token });
    expect(off.body.catalog).toEqual([]);
    expect((await t.call('PUT', `${EP}/projects/${p}/endpoints/nope`)).status).toBe(404);
    expect((await t.call('PUT', `${EP}/projects/nope/endpoints/${endpoint.cint}`)).status).toBe(404);

    expect((await t.call('DELETE', `/v3/endpoints/${endpoint.cint}`)).status).toBe(204);
    expect((await t.call('GET', `${EP}/projects/${p}/endpoints`)).body.endpoints).toEqual([]);
    const again = await t.call('GET', '/v3/auth/catalog', undefined, { 'x-auth-token': tok.token });
    expect(again.body.catalog.map((s: { type: string }) => s.type)).toContain('volume');

    await t.call('PUT', `${EP}/projects/${p}/endpoints/${endpoint.vpub}`);
    expect((await t.call('DELETE', `/v3/projects/${p}`)).status).toBe(204);
    expect((await t.call('GET', `${EP}/endpoints/${endpoint.vpub}/projects`)).body.projects).toEqual([]);
    expect((await t.call('DELETE', `${EP}/projects/${p}/endpoints/${endpoint.vpub}`)).status).toBe(404);
  });

  it('lets only administrators manage endpoint filtering', async () => {
    const demo = await t.login({ user: 'demo', password: DEMO_PASSWORD, project: 'demo' });
    const as = { 'x-auth-token': demo.token };
    expect((await t.call('GET', `${EP}/endpoint_groups`, undefined, as)).status).toBe(403);
    expect(
      (
        await t.call(
          'POST',
          `${EP}/endpoint_groups`,
          { endpoint_group: { name: 'x', filters: { interface: 'public' } } },
          as,
        )
      ).status,
    ).toBe(403);
    expect((await t.call('GET', `${EP}/projects/${t.boot.demoProjectId}/endpoints`, undefined, as)).status).toBe(403);
  });
}
