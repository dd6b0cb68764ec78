// createImage as Nova does it: the image created in Glance by the compute API (queued, with the
// server's image properties but those Nova drops, instance_uuid, image_type, base_image_ref,
// user_id, the caller's project as owner), the host uploading the driver's disk so that the
// image becomes active; the answer's Location before 2.45 and the id in the body from it; a
// failed upload deleting the image; bad requests as Nova answers them.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/jobs.js';
import { startServersCloud, TestDriver, type ServersCloud } from '../helpers/servers.js';

describe('createImage', () => {
  let t: ServersCloud;
  const driver = new TestDriver();
  let baseImage = '';

  beforeAll(async () => {
    t = await startServersCloud();
    await t.flavor('vm-tiny', 1024, 1, 1);
    await t.hypervisor({ host: 'snap1' });
    t.manager('snap1', driver);
    baseImage = await t.image({
      name: 'base',
      os_distro: 'cirros',
      cache_in_nova: 'True',
      img_signature: 'abc',
      min_ram: 512,
    });
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const act = (id: string, body: unknown, o: { token?: string; version?: string } = {}) =>
    t.nova('POST', `/servers/${id}/action`, body, o);
  const glance = async (id: string) => (await t.local.call('GET', `/image/v2/images/${id}`, t.admin)).body;

  it('creates the image in Glance and uploads the disk from the host', async () => {
    const id = await t.boot({ name: 'snap', imageRef: baseImage }, { token: t.demo });
    await t.waitFor(id, ['ACTIVE']);
    const r = await act(id, { createImage: { name: 'snap-1', metadata: { purpose: 'test' } } }, { token: t.demo });
    expect(r.status).toBe(202);
    expect(r.headers.location).toBeUndefined();
    const imageId = r.body.image_id as string;
    await until('snapshot active', async () => (await glance(imageId)).status === 'active');
    const image = await glance(imageId);
    expect(image).toMatchObject({
      name: 'snap-1',
      owner: t.demoProject,
      visibility: 'private',
      disk_format: 'raw',
      container_format: 'bare',
      min_ram: 512,
      min_disk: 1,
      instance_uuid: id,
      image_type: 'snapshot',
      base_image_ref: baseImage,
      os_distro: 'cirros',
      purpose: 'test',
      checksum: createHash('md5').update(`disk of ${id}`).digest('hex'),
    });
    expect(image.user_id).toMatch(/^[0-9a-f]{32}$/);
    // What Nova never lets a snapshot inherit, and what [DEFAULT] non_inheritable_image_properties names.
    expect(image.img_signature).toBeUndefined();
    expect(image.cache_in_nova).toBeUndefined();
    const s = (await t.nova('GET', `/servers/${id}`)).body.server;
    expect([s.status, s['OS-EXT-STS:task_state']]).toEqual(['ACTIVE', null]);
    const [action] = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions;
    const shown = (await t.nova('GET', `/servers/${id}/os-instance-actions/${action.request_id}`)).body.instanceAction;
    expect([shown.action, shown.events.map((e: any) => [e.event, e.result])]).toEqual([
      'createImage',
      [['compute_snapshot_instance', 'Success']],
    ]);

    // Before 2.45: an empty 202 with the image's URL.
    const old = await act(id, { createImage: { name: 'snap-2' } }, { token: t.demo, version: '2.44' });
    expect(old.status).toBe(202);
    expect(old.headers.location).toMatch(/\/image\/images\/[0-9a-f-]{36}$/);
    const oldId = String(old.headers.location).split('/').pop()!;
    await until('second snapshot active', async () => (await glance(oldId)).status === 'active');
    await t.remove(id);
  });

  it('deletes the image when the host cannot snapshot, leaving the server as it was', async () => {
    const id = await t.boot({ name: 'nosnap' });
    await t.waitFor(id, ['ACTIVE']);
    const snap = driver.snapshot.bind(driver);
    driver.snapshot = async () => {
      throw new Error('the disk is busy');
    };
    try {
      const r = await act(id, { createImage: { name: 'doomed' } });
      expect(r.status).toBe(202);
      await until(
        'image deleted',
        async () => (await t.local.call('GET', `/image/v2/images/${r.body.image_id}`, t.admin)).status === 404,
      );
      await until('task state cleared', async () => {
        const s = (await t.nova('GET', `/servers/${id}`)).body.server;
        return s.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null;
      });
    } finally {
      driver.snapshot = snap;
    }
    await t.remove(id);
  });

  it('refuses what Nova refuses', async () => {
    const id = await t.boot({ name: 'refuse' });
    await t.waitFor(id, ['ACTIVE']);
    expect((await act(id, { createImage: {} })).status).toBe(400);
    expect((await act(id, { createImage: { name: 'x', extra: 1 } })).status).toBe(400);
    expect((await act(id, { createImage: { name: '' } })).status).toBe(400);
    const before = (await t.local.call('GET', '/image/v2/images', t.admin)).body.images.length;
    await t.db.updateTable('instances').set({ vm_state: 'error' }).where('uuid', '=', id).execute();
    const r = await act(id, { createImage: { name: 'x' } });
    expect([r.status, r.body.conflictingRequest.message]).toEqual([
      409,
      `Cannot 'createImage' instance ${id} while it is in vm_state error`,
    ]);
    expect((await t.local.call('GET', '/image/v2/images', t.admin)).body.images.length).toBe(before);
    await t.remove(id);
  });
});
