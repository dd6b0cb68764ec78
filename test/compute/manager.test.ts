// The compute manager on an in-test virt driver: every server action from the API through its
// job to the driver and back (states, power states, events), a driver's failure recorded on the
// action's event, deletes that free the guest and the claim; and handlers run again after a crash
// (a job's second run) picking up where the first stopped without doing anything twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/common/jobs/index.js';
import { managerHandlers } from '../../src/compute/manager/index.js';
import { allSystemMetadata, setSystemMetadata } from '../../src/compute/objects/instance_system_metadata.js';
import { noJobRow, until } from '../helpers/jobs.js';
import { startServersCloud, TestDriver, type ServersCloud } from '../helpers/servers.js';

describe('compute manager', () => {
  let t: ServersCloud;
  const driver = new TestDriver();
  let node = '';

  beforeAll(async () => {
    t = await startServersCloud();
    await t.flavor('vm-tiny', 1024, 1, 1);
    node = await t.hypervisor({ host: 'cmp1', vcpus: 4 });
    t.manager('cmp1', driver);
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const act = (id: string, body: unknown, token?: string) =>
    t.nova('POST', `/servers/${id}/action`, body, token ? { token } : {});
  const settled = async (id: string) => {
    let s: any;
    await until(`server ${id} settled`, async () => {
      s = (await t.nova('GET', `/servers/${id}`)).body.server;
      return s['OS-EXT-STS:task_state'] === null;
    });
    return s;
  };
  const lastEvent = async (id: string) => {
    const [latest] = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions;
    const shown = (await t.nova('GET', `/servers/${id}/os-instance-actions/${latest.request_id}`)).body.instanceAction;
    return { action: shown.action as string, events: shown.events.map((e: any) => [e.event, e.result]) };
  };

  it("stops, starts, reboots, pauses, suspends and resumes through the host, recording each action's event", async () => {
    const id = await t.boot({ name: 'life' }, { token: t.demo });
    expect((await t.waitFor(id, ['ACTIVE', 'ERROR'])).status).toBe('ACTIVE');
    const steps: [unknown, string, number, string, string][] = [
      [{ 'os-stop': null }, 'SHUTOFF', 4, 'stop', 'compute_stop_instance'],
      [{ 'os-start': null }, 'ACTIVE', 1, 'start', 'compute_start_instance'],
      [{ reboot: { type: 'SOFT' } }, 'ACTIVE', 1, 'reboot', 'compute_reboot_instance'],
      [{ reboot: { type: 'HARD' } }, 'ACTIVE', 1, 'reboot', 'compute_reboot_instance'],
      [{ pause: null }, 'PAUSED', 3, 'pause', 'compute_pause_instance'],
      [{ unpause: null }, 'ACTIVE', 1, 'unpause', 'compute_unpause_instance'],
      [{ suspend: null }, 'SUSPENDED', 7, 'suspend', 'compute_suspend_instance'],
      [{ resume: null }, 'ACTIVE', 1, 'resume', 'compute_resume_instance'],
    ];
    for (const [body, status, power, action, event] of steps) {
      expect((await act(id, body, t.demo)).status).toBe(202);
      const s = await settled(id);
      expect([s.status, s['OS-EXT-STS:power_state']]).toEqual([status, power]);
      expect(await lastEvent(id)).toEqual({ action, events: [[event, 'Success']] });
    }
    expect(driver.calls.filter((c) => c.includes(id)).map((c) => c.split(' ')[0])).toEqual([
      'spawn',
      'power-off',
      'power-on',
      'reboot-SOFT',
      'reboot-HARD',
      'pause',
      'unpause',
      'suspend',
      'resume',
    ]);
    // What the state does not allow is a 409 in Nova's words, and no job.
    expect((await act(id, { 'os-start': null }, t.demo)).body.conflictingRequest.message).toBe(
      `Cannot 'start' instance ${id} while it is in vm_state active`,
    );
    expect((await act(id, { reboot: { type: 'sideways' } }, t.demo)).status).toBe(400);
    await t.remove(id);
  });

  it('rebuilds from a new image on the host, keeping a stopped server stopped', async () => {
    const first = await t.image({ name: 'first', hw_disk_bus: 'scsi', os_distro: 'debian' });
    const id = await t.boot({ name: 'before', imageRef: first, metadata: { a: '1' } });
    await t.waitFor(id, ['ACTIVE']);
    expect((await act(id, { 'os-stop': null })).status).toBe(202);
    await settled(id);
    const created = await t.image({ name: 'next', hw_cdrom_bus: 'ide', os_distro: 'fedora' });
    await setSystemMetadata(t.db, id, 'clean_attempts', '1');
    expect(
      (await act(id, { rebuild: { imageRef: '6b7b5f0e-0000-4000-8000-000000000000' } })).body.badRequest.message,
    ).toBe('Cannot find image for rebuild');
    expect((await act(id, { rebuild: { name: 'x' } })).status).toBe(400);
    // The host's spawn waits until the second rebuild below was refused.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const spawn = driver.spawn.bind(driver);
    driver.spawn = async (g) => {
      await gate;
      return spawn(g);
    };
    const r = await act(id, { rebuild: { imageRef: created, name: 'after', metadata: { b: '2' } } });
    expect(r.status).toBe(202);
    expect(r.body.server).toMatchObject({
      id,
      name: 'after',
      status: 'REBUILD',
      metadata: { b: '2' },
      image: { id: created },
    });
    expect(r.body.server.adminPass).toMatch(/^[a-zA-Z2-9]{12}$/);
    // One rebuild at a time.
    expect((await act(id, { rebuild: { imageRef: created } })).status).toBe(409);
    release();
    driver.spawn = spawn;
    const s = await settled(id);
    expect([s.status, s['OS-EXT-STS:power_state'], s.image.id]).toEqual(['SHUTOFF', 4, created]);
    expect(
      driver.calls
        .filter((c) => c.includes(id))
        .slice(-3)
        .map((c) => c.split(' ')[0]),
    ).toEqual(['destroy', 'spawn', 'power-off']);
    expect(driver.guests_.get(id)?.spec.imageRef).toBe(created);
    // The image's properties kept as system metadata are the new image's, and only those; the
    // rest of the system metadata stays.
    const sysmeta = await allSystemMetadata(t.db, id);
    expect(Object.fromEntries(Object.entries(sysmeta).filter(([k]) => k.startsWith('image_')))).toEqual({
      image_hw_cdrom_bus: 'ide',
      image_os_distro: 'fedora',
    });
    expect(sysmeta.clean_attempts).toBe('1');
    // Another image: the conductor's scheduler checked the host against it first.
    expect((await lastEvent(id)).events.sort()).toEqual([
      ['compute_rebuild_instance', 'Success'],
      ['rebuild_server', 'Success'],
    ]);
    await t.remove(id);
  });

  it("rebuilds with an image the host's filters refuse: the old image back, ERROR with the reason", async () => {
    const id = await t.boot({ name: 'picky' });
    await t.waitFor(id, ['ACTIVE']);
    const original = (await t.nova('GET', `/servers/${id}`)).body.server.image.id;
    const created = await t.image({ name: 'mainframe', hw_architecture: 's390x' });
    const spawns = driver.calls.filter((c) => c.includes(id)).length;
    expect((await act(id, { rebuild: { imageRef: created } })).status).toBe(202);
    const s = await settled(id);
    expect([s.status, s.image.id]).toEqual(['ERROR', original]);
    expect(s.fault).toMatchObject({
      code: 500,
      message: 'No valid host was found. There are not enough hosts available.',
    });
    expect(s.fault.details).toMatch(/ImagePropertiesFilter removed 1 host\(s\), 0 left\n {2}cmp1 \(cmp1\): supports/);
    expect(s.fault.details).toMatch(/the image wants architecture s390x/);
    expect(await lastEvent(id)).toEqual({ action: 'rebuild', events: [['rebuild_server', 'Error']] });
    // The guest was left alone.
    expect(driver.calls.filter((c) => c.includes(id)).length).toBe(spawns);
    expect(driver.guests_.get(id)?.spec.imageRef).toBe(original);
    const spec = await t.db
      .selectFrom('request_specs')
      .select('spec')
      .where('instance_uuid', '=', id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(spec.spec).image.id).toBe(original);
    await t.remove(id);
  });

  it("records a driver's failure on the event and leaves the server as it was", async () => {
    const id = await t.boot({ name: 'stubborn' });
    await t.waitFor(id, ['ACTIVE']);
    const pause = driver.pause.bind(driver);
    driver.pause = async () => {
      throw new Error('the hypervisor said no');
    };
    try {
      expect((await act(id, { pause: null })).status).toBe(202);
      const s = await settled(id);
      expect(s.status).toBe('ACTIVE');
      const { events } = await lastEvent(id);
      expect(events).toEqual([['compute_pause_instance', 'Error']]);
    } finally {
      driver.pause = pause;
    }
    await t.remove(id);
  });

  it('deletes a server on its host: the guest destroyed, the claim freed, the row soft-deleted', async () => {
    const id = await t.boot({ name: 'gone' });
    await t.waitFor(id, ['ACTIVE']);
    expect((await t.placement('GET', `/resource_providers/${node}/usages`)).body.usages.VCPU).toBe(1);
    await t.remove(id);
    expect(driver.guests_.has(id)).toBe(false);
    expect((await t.placement('GET', `/allocations/${id}`)).body.allocations).toEqual({});
    expect((await t.placement('GET', `/resource_providers/${node}/usages`)).body.usages.VCPU).toBe(0);
    const row = await t.db.selectFrom('instances').selectAll().where('uuid', '=', id).executeTakeFirstOrThrow();
    expect(row.deleted).toBe(row.id);
    expect(row.vm_state).toBe('deleted');
    const { action, events } = await lastEvent(id);
    expect([action, events]).toEqual(['delete', [['compute_terminate_instance', 'Success']]]);
  });

  it('runs a job again after a crash without doing anything twice', async () => {
    const local = new TestDriver();
    const handlers = managerHandlers(t.managerEnv('cmp1', local));
    const job = (kind: string, payload: unknown, attempt = 2): Job => ({
      id: 0,
      kind,
      target: 'cmp1',
      payload,
      secret: null,
      attempt,
      maxAttempts: 5,
      dedupeKey: null,
      signal: new AbortController().signal,
      successQuery: noJobRow,
    });
    const id = await t.boot({ name: 'crashy' });
    await t.waitFor(id, ['ACTIVE']);
    // The spawn job again (its worker died after the work was done): nothing to do.
    await handlers.spawn_instance!(job('spawn_instance', { uuid: id, attempt: 1, alternates: [] }));
    expect(local.calls).toEqual([]);
    // A stop whose first run died after the driver call, before the database was written: the
    // run again repeats the (idempotent) driver call and finishes the one event it had opened.
    expect((await act(id, { 'os-stop': null })).status).toBe(202);
    await settled(id);
    const requestId = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions[0].request_id;
    await t.db
      .updateTable('instances')
      .set({ vm_state: 'active', task_state: 'powering-off', power_state: 1 })
      .where('uuid', '=', id)
      .execute();
    await t.db
      .updateTable('instance_actions_events')
      .set({ finish_time: null, result: null })
      .where('event', '=', 'compute_stop_instance')
      .execute();
    const again = managerHandlers(t.managerEnv('cmp1', driver));
    await again.stop_instance!(job('stop_instance', { uuid: id, action_request_id: requestId }));
    expect((await settled(id)).status).toBe('SHUTOFF');
    expect(await lastEvent(id)).toEqual({ action: 'stop', events: [['compute_stop_instance', 'Success']] });
    // The same job once more: the server is stopped already, the driver is not called.
    await handlers.stop_instance!(job('stop_instance', { uuid: id, action_request_id: requestId }));
    expect(local.calls).toEqual([]);
    // A terminate run twice: the second finds the server gone.
    await t.remove(id);
    await handlers.terminate_instance!(job('terminate_instance', { uuid: id, action_request_id: requestId }));
    expect(local.calls).toEqual([]);
  });
});
