// createBackup as Nova does it: a snapshot whose Glance image says image_type=backup and its
// backup_type, the action recorded as createBackup, and — once uploaded — the server's oldest
// backups of that type beyond `rotation` deleted; bad requests refused with nothing created.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/jobs.js';
import { startServersCloud, TestDriver, type ServersCloud } from '../helpers/servers.js';

describe('createBackup', () => {
  let t: ServersCloud;
  let baseImage = '';

  beforeAll(async () => {
    t = await startServersCloud();
    await t.flavor('vm-tiny', 1024, 1, 1);
    await t.hypervisor({ host: 'bk1' });
    t.manager('bk1', new TestDriver());
    baseImage = await t.image({ name: 'base' });
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const backup = (id: string, body: Record<string, unknown>) =>
    t.nova('POST', `/servers/${id}/action`, { createBackup: body }, { token: t.demo });
  const backups = async (id: string) =>
    (
      await t.local.call(
        'GET',
        `/image/v2/images?instance_uuid=${id}&image_type=backup&sort_key=created_at&sort_dir=asc`,
        t.admin,
      )
    ).body.images as { id: string; name: string; status: string; backup_type: string }[];
  const settled = (id: string) =>
    until('backup done', async () => {
      const s = (await t.nova('GET', `/servers/${id}`)).body.server;
      return s.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null;
    });

  it('keeps the newest `rotation` backups of the type', async () => {
    const id = await t.boot({ name: 'bk', imageRef: baseImage }, { token: t.demo });
    await t.waitFor(id, ['ACTIVE']);
    const ids: string[] = [];
    for (const name of ['b1', 'b2', 'b3']) {
      const r = await backup(id, { name, backup_type: 'daily', rotation: 2 });
      expect(r.status).toBe(202);
      ids.push(r.body.image_id);
      await settled(id);
    }
    // Before 2.45 the answer points at the compute API's image proxy, unless nothing is kept.
    const old = await t.nova(
      'POST',
      `/servers/${id}/action`,
      { createBackup: { name: 'b4', backup_type: 'daily', rotation: 2 } },
      { token: t.demo, version: '2.44' },
    );
    expect(old.headers.location).toMatch(/\/compute\/v2\.1\/images\/[0-9a-f-]{36}$/);
    await settled(id);
    const none = await t.nova(
      'POST',
      `/servers/${id}/action`,
      { createBackup: { name: 'n1', backup_type: 'none', rotation: 0 } },
      { token: t.demo, version: '2.44' },
    );
    expect([none.status, none.headers.location]).toEqual([202, undefined]);
    await settled(id);
    // Another type is rotated on its own.
    expect((await backup(id, { name: 'w1', backup_type: 'weekly', rotation: '1' })).status).toBe(202);
    await settled(id);
    const left = await backups(id);
    expect(left.map((i) => [i.name, i.backup_type, i.status])).toEqual([
      ['b3', 'daily', 'active'],
      ['b4', 'daily', 'active'],
      ['w1', 'weekly', 'active'],
    ]);
    expect((await t.local.call('GET', `/image/v2/images/${ids[0]}`, t.admin)).status).toBe(404);
    const [last] = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions;
    const shown = (await t.nova('GET', `/servers/${id}/os-instance-actions/${last.request_id}`)).body.instanceAction;
    expect([shown.action, shown.events.map((e: any) => [e.event, e.result])]).toEqual([
      'createBackup',
      [['compute_backup_instance', 'Success']],
    ]);
  });

  it('refuses what Nova refuses, creating nothing', async () => {
    const id = await t.boot({ name: 'bk-bad', imageRef: baseImage }, { token: t.demo });
    await t.waitFor(id, ['ACTIVE']);
    for (const body of [
      { name: 'x', backup_type: 'daily' },
      { name: 'x', backup_type: 'daily', rotation: -1 },
      { name: 'x', rotation: 1 },
      { name: 'x', backup_type: 'daily', rotation: 1, extra: 1 },
    ]) {
      expect((await backup(id, body)).status).toBe(400);
    }
    expect(await backups(id)).toEqual([]);
  });
});
