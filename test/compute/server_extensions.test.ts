// What servers have beside their core API, as Nova Zed answers it: tags (2.26, 2.52 at create),
// metadata, ips, os-server-password, os-server-external-events, the admin and deferred-delete
// actions; the answers to an update and a rebuild per microversion; and small points of the server
// body and the create and list requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/jobs.js';
import { startServersCloud, TestDriver, type ServersCloud } from '../helpers/servers.js';

describe('server extensions', () => {
  let t: ServersCloud;
  let id = '';
  beforeAll(async () => {
    t = await startServersCloud();
    await t.flavor('vm-tiny', 1024, 1, 1);
    await t.hypervisor({ host: 'cmp1', vcpus: 8 });
    t.manager('cmp1', new TestDriver());
    id = await t.boot({ name: 'ext', tags: ['b', 'a'], metadata: { role: 'web' } }, { token: t.demo });
    expect((await t.waitFor(id, ['ACTIVE', 'ERROR'])).status).toBe('ACTIVE');
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const demo = (method: string, path: string, body?: unknown, version = 'latest') =>
    t.nova(method, path, body, { token: t.demo, version });
  const message = (r: { body: unknown }) => Object.values(r.body as Record<string, { message: string }>)[0]!.message;

  it('keeps tags from the create, and lists, checks, adds, replaces and removes them', async () => {
    expect((await demo('GET', `/servers/${id}`)).body.server.tags).toEqual(['a', 'b']);
    expect((await demo('GET', `/servers/${id}/tags`)).body).toEqual({ tags: ['a', 'b'] });
    expect((await demo('GET', `/servers/${id}/tags`, undefined, '2.25')).status).toBe(404);
    expect((await demo('GET', `/servers/${id}/tags/a`)).status).toBe(204);
    const missing = await demo('GET', `/servers/${id}/tags/zzz`);
    expect([missing.status, message(missing)]).toEqual([404, `Server ${id} has no tag 'zzz'`]);
    const added = await demo('PUT', `/servers/${id}/tags/c`);
    expect(added.status).toBe(201);
    expect(added.headers.location).toMatch(new RegExp(`/servers/${id}/tags/c$`));
    expect((await demo('PUT', `/servers/${id}/tags/c`)).status).toBe(204);
    expect((await demo('PUT', `/servers/${id}/tags/a,b`)).status).toBe(400);
    expect((await demo('PUT', `/servers/${id}/tags`, { tags: ['x', 'y'] })).body).toEqual({ tags: ['x', 'y'] });
    const many = Array.from({ length: 51 }, (_, i) => `t${i}`);
    expect((await demo('PUT', `/servers/${id}/tags`, { tags: many })).status).toBe(400);
    expect((await demo('DELETE', `/servers/${id}/tags/x`)).status).toBe(204);
    expect((await demo('DELETE', `/servers/${id}/tags/x`)).status).toBe(404);
    expect((await demo('DELETE', `/servers/${id}/tags`)).status).toBe(204);
    expect((await demo('GET', `/servers/${id}`)).body.server.tags).toEqual([]);
  });

  it("deletes a server's tags with the server, as Nova's instance_destroy does", async () => {
    const gone = await t.boot({ name: 'tagged', tags: ['keep', 'me'] }, { token: t.demo });
    expect((await t.waitFor(gone, ['ACTIVE', 'ERROR'])).status).toBe('ACTIVE');
    const tagsOf = async (uuid: string) =>
      (await t.db.selectFrom('tags').select('tag').where('resource_id', '=', uuid).execute()).map((r) => r.tag);
    expect((await tagsOf(gone)).sort()).toEqual(['keep', 'me']);
    await t.remove(gone);
    expect(await tagsOf(gone)).toEqual([]);
    const deleted = await t.nova('GET', `/servers/detail?deleted=true&tags-any=keep,me&all_tenants=1`);
    expect(deleted.body.servers).toEqual([]);
  });

  it('merges, replaces, shows and deletes metadata items within the quota', async () => {
    expect((await demo('GET', `/servers/${id}/metadata`)).body).toEqual({ metadata: { role: 'web' } });
    expect((await demo('POST', `/servers/${id}/metadata`, { metadata: { tier: '1' } })).body).toEqual({
      metadata: { role: 'web', tier: '1' },
    });
    expect((await demo('GET', `/servers/${id}/metadata/tier`)).body).toEqual({ meta: { tier: '1' } });
    expect((await demo('PUT', `/servers/${id}/metadata/tier`, { meta: { tier: '2' } })).body).toEqual({
      meta: { tier: '2' },
    });
    const mismatch = await demo('PUT', `/servers/${id}/metadata/tier`, { meta: { other: '2' } });
    expect([mismatch.status, message(mismatch)]).toEqual([400, 'Request body and URI mismatch']);
    expect((await demo('PUT', `/servers/${id}/metadata`, { metadata: { only: 'me' } })).body).toEqual({
      metadata: { only: 'me' },
    });
    const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v']));
    const over = await demo('POST', `/servers/${id}/metadata`, { metadata: many });
    expect([over.status, message(over)]).toEqual([403, 'Maximum number of metadata items exceeds 128']);
    expect((await demo('DELETE', `/servers/${id}/metadata/only`)).status).toBe(204);
    const gone = await demo('GET', `/servers/${id}/metadata/only`);
    expect([gone.status, message(gone)]).toEqual([404, 'Metadata item was not found']);
    expect((await demo('GET', `/servers/${id}`)).body.server.metadata).toEqual({});
  });

  it('answers ips, the server password and external events as a cloud without ports', async () => {
    expect((await demo('GET', `/servers/${id}/ips`)).body).toEqual({ addresses: {} });
    expect((await demo('GET', `/servers/${id}/ips/private`)).status).toBe(404);
    expect((await demo('GET', `/servers/${id}/os-server-password`)).body).toEqual({ password: '' });
    expect((await demo('DELETE', `/servers/${id}/os-server-password`)).status).toBe(204);
    const missing = 'b1c0ffee-0000-4000-8000-000000000000';
    const events = [
      { name: 'network-changed', server_uuid: id },
      { name: 'network-changed', server_uuid: missing },
    ];
    expect((await demo('POST', '/os-server-external-events', { events })).status).toBe(403);
    const r = await t.nova('POST', '/os-server-external-events', { events });
    expect(r.status).toBe(207);
    expect(r.body.events).toEqual([
      { name: 'network-changed', server_uuid: id, status: 'completed', code: 200 },
      { name: 'network-changed', server_uuid: missing, status: 'failed', code: 404 },
    ]);
    const untagged = await t.nova('POST', '/os-server-external-events', {
      events: [{ name: 'power-update', server_uuid: id }],
    });
    expect(untagged.body.events[0].code).toBe(400);
  });

  it('resets states (administrators only), refuses restore and force-deletes', async () => {
    const action = (body: unknown, token = t.admin) => t.nova('POST', `/servers/${id}/action`, body, { token });
    expect((await action({ 'os-resetState': { state: 'error' } }, t.demo)).status).toBe(403);
    expect((await action({ 'os-resetState': { state: 'stuck' } })).status).toBe(400);
    expect((await action({ 'os-resetState': { state: 'error' } })).status).toBe(202);
    expect((await t.nova('GET', `/servers/${id}`)).body.server.status).toBe('ERROR');
    const actions = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions;
    expect(actions[0].action).toBe('reset_state');
    expect((await action({ 'os-resetState': { state: 'active' } })).status).toBe(202);
    expect((await t.nova('GET', `/servers/${id}`)).body.server.status).toBe('ACTIVE');
    const restore = await action({ restore: null }, t.demo);
    expect([restore.status, message(restore)]).toEqual([
      409,
      `Cannot 'restore' instance ${id} while it is in vm_state active`,
    ]);
    const other = await t.boot({ name: 'doomed' }, { token: t.demo });
    await t.waitFor(other, ['ACTIVE']);
    const forced = await t.nova('POST', `/servers/${other}/action`, { forceDelete: null }, { token: t.demo });
    expect(forced.status).toBe(202);
    await until(`server ${other} gone`, async () => (await t.nova('GET', `/servers/${other}`)).status === 404);
  });

  it('answers an update and a rebuild without the extended fields before 2.75, with them after', async () => {
    const fields = (server: Record<string, unknown>) => ({
      az: 'OS-EXT-AZ:availability_zone' in server,
      host: 'OS-EXT-SRV-ATTR:host' in server,
      key: 'key_name' in server,
      groups: 'server_groups' in server,
      userData: 'user_data' in server,
    });
    const put = (version: string) => t.nova('PUT', `/servers/${id}`, { server: { name: 'ext' } }, { version });
    expect(fields((await put('2.74')).body.server)).toEqual({
      az: false,
      host: false,
      key: false,
      groups: true,
      userData: false,
    });
    expect(fields((await put('2.75')).body.server)).toEqual({
      az: true,
      host: true,
      key: true,
      groups: true,
      userData: false,
    });
    const rebuild = async (version: string) => {
      const r = await t.nova(
        'POST',
        `/servers/${id}/action`,
        { rebuild: { imageRef: t.imageId, adminPass: 'my-secret' } },
        { version },
      );
      expect(r.status).toBe(202);
      expect(r.body.server.adminPass).toBe('my-secret');
      await t.waitFor(id, ['ACTIVE']);
      return r.body.server;
    };
    expect(fields(await rebuild('2.1'))).toEqual({
      az: false,
      host: false,
      key: false,
      groups: false,
      userData: false,
    });
    expect(fields(await rebuild('2.57'))).toEqual({ az: false, host: false, key: true, groups: false, userData: true });
    const latest = await rebuild('2.75');
    expect(fields(latest)).toEqual({ az: true, host: true, key: true, groups: true, userData: true });
    expect('OS-EXT-SRV-ATTR:user_data' in latest).toBe(false);
  });

  it('keeps a given adminPass, refuses unknown security groups, shows IPv6 compressed, parses dates strictly', async () => {
    const r = await demo('POST', '/servers', {
      server: {
        name: 'v6',
        imageRef: t.imageId,
        flavorRef: 'vm-tiny',
        networks: 'none',
        adminPass: 'chosen',
        accessIPv6: '0000:0000:0000:0000:0000:babe:220.12.22.2',
      },
    });
    expect(r.body.server.adminPass).toBe('chosen');
    expect((await demo('GET', `/servers/${r.body.server.id}`)).body.server.accessIPv6).toBe('::babe:dc0c:1602');
    const sg = await demo(
      'POST',
      '/servers',
      {
        server: { name: 'sg', imageRef: t.imageId, flavorRef: 'vm-tiny', security_groups: [{ name: 'web' }] },
      },
      '2.1',
    );
    expect([sg.status, message(sg)]).toEqual([400, 'Security group web not found.']);
    expect((await demo('GET', '/servers?changes-since=2011/01/01')).status).toBe(400);
    expect((await demo('GET', '/servers?changes-since=2011-01-01T00:00:00Z')).status).toBe(200);
    expect((await demo('GET', '/servers?changes-since=20110101')).status).toBe(200);
    expect((await demo('GET', '/servers?changes-since=2011-02-30')).status).toBe(400);
    expect((await demo('GET', '/servers')).headers['x-compute-request-id']).toMatch(/^req-/);
    expect((await t.nova('GET', '/os-simple-tenant-usage/')).status).toBe(404);
  });
});
