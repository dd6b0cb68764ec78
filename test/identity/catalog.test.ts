import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentity, type TestIdentity } from '../helpers/identity.js';

describe('services, endpoints and regions', () => {
  let t: TestIdentity;
  beforeAll(async () => {
    t = await startIdentity();
  });
  afterAll(async () => {
    await t.close();
  });

  it('manages regions, with hierarchy checks', async () => {
    const r = await t.call('POST', '/v3/regions', { region: { id: 'RegionTwo', description: 'second' } });
    expect(r.status).toBe(201);
    expect(r.body.region).toMatchObject({ id: 'RegionTwo', description: 'second', parent_region_id: null });
    expect((await t.call('POST', '/v3/regions', { region: { id: 'RegionTwo' } })).status).toBe(409);
    const generated = await t.call('POST', '/v3/regions', { region: {} });
    expect(generated.body.region.id).toMatch(/^[0-9a-f]{32}$/);
    const put = await t.call('PUT', '/v3/regions/Sub', { region: { parent_region_id: 'RegionTwo' } });
    expect(put.status).toBe(201);
    expect((await t.call('GET', '/v3/regions?parent_region_id=RegionTwo')).body.regions.map((x: any) => x.id)).toEqual([
      'Sub',
    ]);
    const loop = await t.call('PATCH', '/v3/regions/RegionTwo', { region: { parent_region_id: 'Sub' } });
    expect(loop.status).toBe(400);
    expect(loop.body.error.message).toMatch(/circular region hierarchy/);
    expect((await t.call('PUT', '/v3/regions/X', { region: { id: 'Y' } })).status).toBe(400);
    expect((await t.call('POST', '/v3/regions', { region: { parent_region_id: 'nope' } })).status).toBe(404);
    expect((await t.call('DELETE', '/v3/regions/RegionTwo')).status).toBe(403);
    expect((await t.call('DELETE', '/v3/regions/Sub')).status).toBe(204);
    expect((await t.call('DELETE', '/v3/regions/RegionTwo')).status).toBe(204);
    expect((await t.call('GET', '/v3/regions/RegionTwo')).status).toBe(404);
  });

  it('manages services and endpoints and the token catalog follows', async () => {
    const s = await t.call('POST', '/v3/services', {
      service: { type: 'compute', name: 'nova', description: 'Compute' },
    });
    expect(s.status).toBe(201);
    expect(s.body.service).toMatchObject({ type: 'compute', name: 'nova', description: 'Compute', enabled: true });
    const sid = s.body.service.id;
    const e = await t.call('POST', '/v3/endpoints', {
      endpoint: {
        service_id: sid,
        interface: 'public',
        url: 'http://h/compute/v2.1/$(project_id)s',
        region: 'RegionOne',
      },
    });
    expect(e.status).toBe(201);
    expect(e.body.endpoint).toMatchObject({
      service_id: sid,
      interface: 'public',
      region_id: 'RegionOne',
      region: 'RegionOne',
      enabled: true,
    });
    const demo = await t.login({ user: 'demo', password: 'demo-secret', project: 'demo' });
    const nova = demo.body.token.catalog.find((x: any) => x.type === 'compute');
    expect(nova).toMatchObject({ id: sid, name: 'nova', type: 'compute' });
    expect(nova.endpoints[0].url).toBe(`http://h/compute/v2.1/${t.boot.demoProjectId}`);
    const system = await t.login({ user: 'admin', password: 'admin-secret', scope: { system: { all: true } } });
    const sysNova = system.body.token.catalog.find((x: any) => x.type === 'compute');
    expect(sysNova.endpoints).toEqual([]);

    expect((await t.call('GET', `/v3/endpoints?service_id=${sid}`)).body.endpoints).toHaveLength(1);
    expect((await t.call('GET', '/v3/endpoints?interface=admin')).body.endpoints.length).toBe(2);
    expect((await t.call('GET', '/v3/services?type=compute')).body.services.map((x: any) => x.name)).toEqual(['nova']);
    const off = await t.call('PATCH', `/v3/endpoints/${e.body.endpoint.id}`, { endpoint: { enabled: false } });
    expect(off.body.endpoint.enabled).toBe(false);
    const after = await t.call('GET', '/v3/auth/catalog', undefined, { 'x-auth-token': demo.token });
    expect(after.body.catalog.find((x: any) => x.type === 'compute').endpoints).toEqual([]);
    await t.call('PATCH', `/v3/services/${sid}`, { service: { enabled: false } });
    const gone = await t.call('GET', '/v3/auth/catalog', undefined, { 'x-auth-token': demo.token });
    expect(gone.body.catalog.find((x: any) => x.type === 'compute')).toBeUndefined();
    expect((await t.call('DELETE', `/v3/services/${sid}`)).status).toBe(204);
    expect((await t.call('GET', `/v3/endpoints/${e.body.endpoint.id}`)).status).toBe(404);
  });

  it('creates the region an endpoint names as the legacy `region`, not one named as region_id', async () => {
    const sid = (await t.call('POST', '/v3/services', { service: { type: 'volume' } })).body.service.id;
    const e = await t.call('POST', '/v3/endpoints', {
      endpoint: { service_id: sid, interface: 'public', url: 'http://h/volume', region: 'RegionNew', enabled: true },
    });
    expect(e.status).toBe(201);
    expect(e.body.endpoint).toMatchObject({ region_id: 'RegionNew', region: 'RegionNew' });
    expect(e.body.endpoint).not.toHaveProperty('extra');
    expect((await t.call('GET', '/v3/regions/RegionNew')).body.region).toMatchObject({
      id: 'RegionNew',
      description: '',
    });
    const moved = await t.call('PATCH', `/v3/endpoints/${e.body.endpoint.id}`, { endpoint: { region: 'RegionNewer' } });
    expect(moved.status).toBe(200);
    expect(moved.body.endpoint.region_id).toBe('RegionNewer');
    expect((await t.call('GET', '/v3/regions/RegionNewer')).status).toBe(200);
    const strict = await t.call('POST', '/v3/endpoints', {
      endpoint: { service_id: sid, interface: 'public', url: 'http://h/volume', region_id: 'Elsewhere' },
    });
    expect(strict.status).toBe(400);
    const badService = await t.call('POST', '/v3/endpoints', {
      endpoint: { service_id: 'nope', interface: 'public', url: 'http://h/volume', region: 'Nowhere' },
    });
    expect(badService.status).toBe(400);
    expect((await t.call('GET', '/v3/regions/Elsewhere')).status).toBe(404);
    expect((await t.call('GET', '/v3/regions/Nowhere')).status).toBe(404);
  });

  it('refuses bad services and endpoints with 400', async () => {
    for (const body of [
      {},
      { service: { name: 'x' } },
      { service: { type: '' } },
      { service: { type: 'x', enabled: 'y' } },
    ]) {
      expect((await t.call('POST', '/v3/services', body)).status, JSON.stringify(body)).toBe(400);
    }
    const sid = (await t.call('POST', '/v3/services', { service: { type: 'image' } })).body.service.id;
    const bad: unknown[] = [
      { endpoint: { service_id: sid, interface: 'private', url: 'http://x' } },
      { endpoint: { service_id: sid, interface: 'public' } },
      { endpoint: { service_id: sid, interface: 'public', url: 'not a url' } },
      { endpoint: { service_id: sid, interface: 'public', url: 'http://x/$(secret)s' } },
      { endpoint: { service_id: 'nope', interface: 'public', url: 'http://x' } },
      { endpoint: { service_id: sid, interface: 'public', url: 'http://x', region_id: 'nowhere' } },
    ];
    for (const body of bad) {
      const r = await t.call('POST', '/v3/endpoints', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe(400);
    }
    expect((await t.call('PATCH', '/v3/services/nope', { service: { name: 'x' } })).status).toBe(404);
    expect((await t.call('DELETE', '/v3/endpoints/nope')).status).toBe(404);
  });

  it('lets any authenticated user read regions, only admins change the catalog', async () => {
    const demo = await t.login({ user: 'demo', password: 'demo-secret', project: 'demo' });
    const as = { 'x-auth-token': demo.token };
    expect((await t.call('GET', '/v3/regions', undefined, as)).status).toBe(200);
    expect((await t.call('GET', '/v3/services', undefined, as)).status).toBe(403);
    expect((await t.call('POST', '/v3/services', { service: { type: 'x' } }, as)).status).toBe(403);
  });
});
