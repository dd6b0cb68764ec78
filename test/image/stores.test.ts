// The one store as Glance with enabled_backends shows stores: discovery (/v2/info/stores and its
// admin-only detail), the images' `stores`, the store named by uploads and imports, removal from
// the only store refused, and an import's progress in os_glance_importing_to_stores and
// os_glance_failed_import (also when a crash interrupted it).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoverInterruptedWrites } from '../../src/image/recovery.js';
import { as, startImage, type TestImage } from '../helpers/image.js';

const RAW = { disk_format: 'raw', container_format: 'bare' };
const P1 = as('p1');

describe('stores', () => {
  let t: TestImage;
  let web: Server;
  let webPort: string;
  beforeAll(async () => {
    web = createServer((req, res) => (req.url === '/disk.img' ? res.end('image data') : res.writeHead(404).end()));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webPort = String((web.address() as AddressInfo).port);
    t = await startImage({
      config: { imageStoreId: 'fast', importAllowedHosts: ['127.0.0.1'], importAllowedPorts: [webPort] },
    });
  });
  afterAll(async () => {
    await t.close();
    await new Promise((r) => web.close(r));
  });

  async function settled(id: string) {
    for (let i = 0; i < 200; i++) {
      const img = (await t.call('GET', `/v2/images/${id}`)).body;
      if (img.status !== 'importing') return img;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('import did not finish');
  }

  it('lists the one store, and its details to administrators', async () => {
    expect((await t.call('GET', '/v2/info/stores', undefined, P1)).body).toEqual({
      stores: [{ id: 'fast', default: 'true' }],
    });
    const detail = await t.call('GET', '/v2/info/stores/detail');
    expect(detail.body.stores).toEqual([
      {
        id: 'fast',
        default: 'true',
        type: 'file',
        properties: { data_dir: t.dataDir, chunk_size: 65536, thin_provisioning: false },
      },
    ]);
    const refused = await t.call('GET', '/v2/info/stores/detail', undefined, P1);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('stores_info_detail');
  });

  it('shows the store of images with data, and takes uploads only for it', async () => {
    const created = await t.call('POST', '/v2/images', { name: 'a', ...RAW }, P1);
    expect(created.headers['openstack-image-store-ids']).toBe('fast');
    expect(created.body.stores).toBeUndefined();
    const id = created.body.id;
    const wrong = await t.upload(id, Buffer.from('x'), { ...P1, 'x-image-meta-store': 'slow' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toContain('Store for identifier slow not found');
    expect((await t.call('GET', `/v2/images/${id}`)).body.status).toBe('queued');
    expect((await t.upload(id, Buffer.from('x'), { ...P1, 'x-image-meta-store': 'fast' })).status).toBe(204);
    expect((await t.call('GET', `/v2/images/${id}`, undefined, P1)).body.stores).toBe('fast');
    const listed = (await t.call('GET', '/v2/images', undefined, P1)).body.images.find(
      (i: { id: string }) => i.id === id,
    );
    expect(listed.stores).toBe('fast');
  });

  it("refuses to remove an image's data from its only store", async () => {
    const img = await t.create({ name: 'b', ...RAW }, P1);
    expect((await t.call('DELETE', `/v2/stores/fast/${img.id}`)).status).toBe(409);
    await t.upload(img.id, Buffer.from('data'), P1);
    const only = await t.call('DELETE', `/v2/stores/fast/${img.id}`);
    expect(only.status).toBe(403);
    expect(only.body.message).toContain('Cannot delete image data from the only store containing it.');
    expect((await t.call('DELETE', `/v2/stores/slow/${img.id}`)).body.message).toContain(
      'The selected store slow is not available on this node.',
    );
    expect((await t.call('DELETE', `/v2/stores/fast/${img.id}`, undefined, P1)).body.message).toContain(
      'delete_image_location',
    );
    expect((await t.call('DELETE', `/v2/stores/fast/${img.id}`, undefined, as('p2'))).status).toBe(404);
    expect((await t.call('GET', `/v2/images/${img.id}/file`)).text).toBe('data');
  });

  it('imports to the store a request names, and says how the import went on the image', async () => {
    const importAs = (id: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      t.call('POST', `/v2/images/${id}/import`, body, { ...P1, ...headers });
    const from = (path: string) => ({ name: 'web-download', uri: `http://127.0.0.1:${webPort}${path}` });
    const img = await t.create({ name: 'c', ...RAW }, P1);
    expect((await importAs(img.id, { method: from('/disk.img'), stores: ['slow'] })).status).toBe(409);
    expect((await importAs(img.id, { method: from('/disk.img'), stores: 'fast' })).status).toBe(400);
    expect((await importAs(img.id, { method: from('/disk.img'), all_stores: true, stores: ['fast'] })).status).toBe(
      400,
    );
    expect(
      (await importAs(img.id, { method: from('/disk.img'), stores: ['fast'] }, { 'x-image-meta-store': 'fast' }))
        .status,
    ).toBe(400);
    expect((await importAs(img.id, { method: from('/disk.img') }, { 'x-image-meta-store': 'slow' })).status).toBe(409);

    expect((await importAs(img.id, { method: from('/missing'), stores: ['fast'] })).status).toBe(202);
    expect(await settled(img.id)).toMatchObject({
      status: 'queued',
      os_glance_importing_to_stores: '',
      os_glance_failed_import: 'fast',
    });
    expect((await importAs(img.id, { method: from('/disk.img'), all_stores: true })).status).toBe(202);
    expect(await settled(img.id)).toMatchObject({
      status: 'active',
      stores: 'fast',
      size: 10,
      os_glance_importing_to_stores: '',
      os_glance_failed_import: '',
    });
    // Reserved: clients cannot forge the progress.
    const forged = await t.call(
      'PATCH',
      `/v2/images/${img.id}`,
      JSON.stringify([{ op: 'replace', path: '/os_glance_failed_import', value: 'x' }]),
      { ...P1, 'content-type': 'application/openstack-images-v2.1-json-patch' },
    );
    expect(forged.status).toBe(403);
  });

  it('marks the stores of an import a crash interrupted as failed', async () => {
    const img = await t.create({ name: 'd', ...RAW }, P1);
    const db = t.image.db;
    await db.updateTable('images').set({ status: 'importing' }).where('id', '=', img.id).execute();
    await db
      .insertInto('image_properties')
      .values([
        { image_id: img.id, name: 'os_glance_importing_to_stores', value: 'fast' },
        { image_id: img.id, name: 'os_glance_failed_import', value: '' },
      ])
      .execute();
    await recoverInterruptedWrites(t.image);
    expect((await t.call('GET', `/v2/images/${img.id}`)).body).toMatchObject({
      status: 'queued',
      os_glance_importing_to_stores: '',
      os_glance_failed_import: 'fast',
    });
  });
});
