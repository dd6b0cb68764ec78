// Cold migration as Nova does it (migrate_server.py, compute.api.API.resize with no flavor):
// the server keeps its flavor and moves to another host through the resize machinery
// (migration_type 'migration', the source's allocations held by the migration), VERIFY_RESIZE
// then confirm or revert; the 2.56 requested host; admin only; Nova's 400s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/jobs.js';
import { startServersCloud, TestDriver, testNode, type ServersCloud } from '../helpers/servers.js';

describe('cold migration', () => {
  let t: ServersCloud;
  const drivers = { ms1: new TestDriver([testNode('ms1')]), ms2: new TestDriver([testNode('ms2')]) };
  const rp: Record<string, string> = {};

  beforeAll(async () => {
    t = await startServersCloud({});
    await t.flavor('vm-tiny', 1024, 1, 1);
    rp.ms1 = await t.hypervisor({ host: 'ms1' });
    rp.ms2 = await t.hypervisor({ host: 'ms2' });
    t.manager('ms1', drivers.ms1);
    t.manager('ms2', drivers.ms2);
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const act = (id: string, body: unknown, o: { token?: string; version?: string } = {}) =>
    t.nova('POST', `/servers/${id}/action`, body, o);
  const usages = async () => ({
    ms1: (await t.placement('GET', `/resource_providers/${rp.ms1}/usages`)).body.usages,
    ms2: (await t.placement('GET', `/resource_providers/${rp.ms2}/usages`)).body.usages,
  });
  const tiny = { VCPU: 1, MEMORY_MB: 1024, DISK_GB: 1 };
  const none = { VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 };
  const flavorsOf = async (id: string) => {
    const row = await t.db
      .selectFrom('instance_extra')
      .select('flavor')
      .where('instance_uuid', '=', id)
      .executeTakeFirstOrThrow();
    const f = JSON.parse(row.flavor!);
    const name = (x: any) => (x === null ? null : x['nova_object.data'].name);
    return { cur: name(f.cur), old: name(f.old), new: name(f.new) };
  };
  const migrations = async (id: string) => (await t.nova('GET', `/os-migrations?instance_uuid=${id}`)).body.migrations;
  // A confirm leaves the server in VERIFY_RESIZE until the source is done: wait for `status`.
  const settled = async (id: string, status: string) => {
    let s: any;
    await until(`server ${id} ${status}`, async () => {
      s = (await t.nova('GET', `/servers/${id}`)).body.server;
      return [status, 'ERROR'].includes(s.status) && s['OS-EXT-STS:task_state'] === null;
    });
    return [s.status, s['OS-EXT-SRV-ATTR:host'], s.flavor.original_name];
  };

  it('moves the server to the other host with its flavor, then confirms', async () => {
    const id = await t.boot({ name: 'cold', availability_zone: 'nova:ms1' });
    await t.waitFor(id, ['ACTIVE']);
    expect((await act(id, { migrate: null })).status).toBe(202);
    expect(await settled(id, 'VERIFY_RESIZE')).toEqual(['VERIFY_RESIZE', 'ms2', 'vm-tiny']);
    const [m] = await migrations(id);
    expect(m).toMatchObject({
      status: 'finished',
      migration_type: 'migration',
      source_compute: 'ms1',
      dest_compute: 'ms2',
      old_instance_type_id: m.new_instance_type_id,
    });
    // The source's allocations are the migration's until confirmed.
    expect(await usages()).toEqual({ ms1: tiny, ms2: tiny });
    expect((await t.placement('GET', `/allocations/${m.uuid}`)).body.allocations).toEqual({
      [rp.ms1!]: { generation: expect.any(Number), resources: tiny },
    });
    expect(await flavorsOf(id)).toEqual({ cur: 'vm-tiny', old: 'vm-tiny', new: 'vm-tiny' });
    const actions = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions;
    expect(actions.map((a: any) => a.action)).toContain('migrate');

    expect((await act(id, { confirmResize: null })).status).toBe(204);
    expect(await settled(id, 'ACTIVE')).toEqual(['ACTIVE', 'ms2', 'vm-tiny']);
    expect((await migrations(id))[0].status).toBe('confirmed');
    expect(await usages()).toEqual({ ms1: none, ms2: tiny });
    expect(drivers.ms1.guests_.has(id)).toBe(false);
    await t.remove(id);
  });

  it('goes to the requested host (2.56) and reverts back', async () => {
    const id = await t.boot({ name: 'cold-host', availability_zone: 'nova:ms2' });
    await t.waitFor(id, ['ACTIVE']);
    expect((await act(id, { migrate: { host: 'ms1' } }, { version: '2.56' })).status).toBe(202);
    expect(await settled(id, 'VERIFY_RESIZE')).toEqual(['VERIFY_RESIZE', 'ms1', 'vm-tiny']);
    expect(await usages()).toEqual({ ms1: tiny, ms2: tiny });
    expect((await act(id, { revertResize: null })).status).toBe(202);
    expect(await settled(id, 'ACTIVE')).toEqual(['ACTIVE', 'ms2', 'vm-tiny']);
    expect((await migrations(id))[0]).toMatchObject({ status: 'reverted', migration_type: 'migration' });
    expect(await usages()).toEqual({ ms1: none, ms2: tiny });
    await t.remove(id);
  });

  it('answers bad requests as Nova does, nothing moved', async () => {
    const id = await t.boot({ name: 'cold-bad', availability_zone: 'nova:ms1' });
    await t.waitFor(id, ['ACTIVE']);
    const bad = async (body: unknown, o: { token?: string; version?: string } = {}) => {
      const r = await act(id, body, o);
      return [r.status, (Object.values(r.body ?? {})[0] as any)?.message];
    };
    // A member may not migrate the project's own server.
    const own = await t.boot({ name: 'cold-member' }, { token: t.demo });
    await t.waitFor(own, ['ACTIVE']);
    expect((await act(own, { migrate: null }, { token: t.demo })).status).toBe(403);
    await t.remove(own);
    expect(await bad({ migrate: { host: 'ms1' } })).toEqual([
      400,
      'Cannot migrate to the host where the instance exists.',
    ]);
    expect(await bad({ migrate: { host: 'nowhere' } })).toEqual([400, 'Compute host nowhere could not be found.']);
    expect((await bad({ migrate: { host: 'ms2', force: true } }))[0]).toBe(400);
    // Before 2.56 the body's host is not read: the scheduler chooses.
    expect((await act(id, { migrate: { host: 'ms1' } }, { version: '2.55' })).status).toBe(202);
    expect(await settled(id, 'VERIFY_RESIZE')).toEqual(['VERIFY_RESIZE', 'ms2', 'vm-tiny']);
    expect(await bad({ migrate: null })).toEqual([
      409,
      `Cannot 'migrate' instance ${id} while it is in vm_state resized`,
    ]);
    expect((await act(id, { confirmResize: null })).status).toBe(204);
    expect(await settled(id, 'ACTIVE')).toEqual(['ACTIVE', 'ms2', 'vm-tiny']);
    expect((await migrations(id)).length).toBe(1);
    await t.remove(id);
  });

  it('never stays on its host: no other host, the migration errs and the server is as it was', async () => {
    await t.nova('PUT', '/os-services/disable', { host: 'ms2', binary: 'nova-compute' }, { version: '2.1' });
    const id = await t.boot({ name: 'cold-stuck', availability_zone: 'nova:ms1' });
    await t.waitFor(id, ['ACTIVE']);
    expect((await act(id, { migrate: null })).status).toBe(202);
    await until('migration in error', async () => (await migrations(id))[0]?.status === 'error');
    expect(await settled(id, 'ACTIVE')).toEqual(['ACTIVE', 'ms1', 'vm-tiny']);
    expect((await usages()).ms1).toEqual(tiny);
    await t.remove(id);
  });
});
