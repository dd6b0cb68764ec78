// Live migration as Nova does it (migrate_server.py _migrate_live, the conductor's
// LiveMigrationTask, the compute manager's live migration steps), through the conductor and two
// compute managers on in-test drivers: the source's allocations held by the migration and the
// destination's by the instance while the guest moves (Placement usages of both hosts), the
// statuses accepted → queued → preparing → running → completed, os-migrations and the server's
// migrations, force-complete and abort (running, and from 2.65 queued or preparing), the forced
// host of 2.30–2.67, the pre-checks' 400 before 2.34 and the migration in error from it, failures
// rolled back to the source, Nova's 400s, 404s and 409s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/jobs.js';
import { startServersCloud, TestDriver, testNode, type ServersCloud } from '../helpers/servers.js';

describe('live migration', () => {
  let t: ServersCloud;
  const drivers = { lm1: new TestDriver([testNode('lm1')]), lm2: new TestDriver([testNode('lm2')]) };
  const rp: Record<string, string> = {};

  beforeAll(async () => {
    t = await startServersCloud({});
    await t.flavor('vm-tiny', 1024, 1, 1);
    rp.lm1 = await t.hypervisor({ host: 'lm1' });
    rp.lm2 = await t.hypervisor({ host: 'lm2' });
    t.manager('lm1', drivers.lm1);
    t.manager('lm2', drivers.lm2);
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const act = (id: string, body: unknown, o: { token?: string; version?: string } = {}) =>
    t.nova('POST', `/servers/${id}/action`, body, o);
  const live = (id: string, body: Record<string, unknown>, version = 'latest') =>
    act(id, { 'os-migrateLive': { block_migration: 'auto', host: null, ...body } }, { version });
  const usages = async () => ({
    lm1: (await t.placement('GET', `/resource_providers/${rp.lm1}/usages`)).body.usages,
    lm2: (await t.placement('GET', `/resource_providers/${rp.lm2}/usages`)).body.usages,
  });
  const allocations = async (consumer: string) =>
    Object.fromEntries(
      Object.entries((await t.placement('GET', `/allocations/${consumer}`)).body.allocations).map(([k, v]) => [
        k,
        (v as any).resources,
      ]),
    );
  const tiny = { VCPU: 1, MEMORY_MB: 1024, DISK_GB: 1 };
  const none = { VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 };
  const migrations = async (id: string) =>
    (await t.nova('GET', `/os-migrations?instance_uuid=${id}`)).body.migrations as any[];
  const settled = async (id: string) => {
    let s: any;
    await until(`server ${id} settled`, async () => {
      s = (await t.nova('GET', `/servers/${id}`)).body.server;
      return s['OS-EXT-STS:task_state'] === null;
    });
    return [s.status, s['OS-EXT-SRV-ATTR:host'], s['OS-EXT-SRV-ATTR:hypervisor_hostname']];
  };
  const events = async (id: string, action: string) => {
    const actions = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions;
    const a = actions.find((x: any) => x.action === action);
    const shown = (await t.nova('GET', `/servers/${id}/os-instance-actions/${a.request_id}`)).body.instanceAction;
    return shown.events.map((e: any) => [e.event, e.result]).sort();
  };
  const bootOn = async (name: string, host: string) => {
    const id = await t.boot({ name, availability_zone: `nova:${host}` });
    await t.waitFor(id, ['ACTIVE']);
    return id;
  };

  it('moves a running server to the other host, the destination claimed for the instance', async () => {
    const id = await bootOn('lm-move', 'lm1');
    expect(await usages()).toEqual({ lm1: tiny, lm2: none });
    expect((await live(id, {})).status).toBe(202);
    expect(await settled(id)).toEqual(['ACTIVE', 'lm2', 'lm2']);
    const [m] = await migrations(id);
    expect(m).toMatchObject({
      status: 'completed',
      migration_type: 'live-migration',
      source_compute: 'lm1',
      source_node: 'lm1',
      dest_compute: 'lm2',
      dest_node: 'lm2',
      instance_uuid: id,
    });
    expect(m.old_instance_type_id).toBe(m.new_instance_type_id);
    expect(m.links).toBeUndefined();
    expect(await usages()).toEqual({ lm1: none, lm2: tiny });
    expect(await allocations(m.uuid)).toEqual({});
    expect(await allocations(id)).toEqual({ [rp.lm2!]: tiny });
    expect(drivers.lm1.guests_.has(id)).toBe(false);
    expect(drivers.lm2.guests_.get(id)?.power).toBe(1);
    expect(await events(id, 'live-migration')).toEqual([
      ['compute_live_migration', 'Success'],
      ['compute_post_live_migration_at_destination', 'Success'],
      ['compute_pre_live_migration', 'Success'],
      ['conductor_live_migrate_instance', 'Success'],
    ]);
    expect((await t.nova('GET', `/servers/${id}/migrations`)).body).toEqual({ migrations: [] });
    expect((await t.nova('GET', `/servers/${id}/migrations/${m.id}`)).body.itemNotFound.message).toBe(
      `Live migration ${m.id} for server ${id} is not in progress.`,
    );
    await t.remove(id);
    expect(await usages()).toEqual({ lm1: none, lm2: none });
  });
});
