// Interoperable image import: stage + glance-direct, web-download from a URL that passes the
// import filters, the status checks of Glance, and the import methods advertised to clients.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startImage, type TestImage } from '../helpers/image.js';

const RAW = { disk_format: 'raw', container_format: 'bare' };
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

describe('image import', () => {
  let t: TestImage;
  let web: Server;
  let webPort: string;
  const served = randomBytes(70000);
  beforeAll(async () => {
    web = createServer((req, res) => {
      if (req.url === '/disk.img') res.end(served);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webPort = String((web.address() as AddressInfo).port);
    t = await startImage({ config: { importAllowedHosts: ['127.0.0.1'], importAllowedPorts: [webPort] } });
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
  const importAs = (id: string, method: Record<string, unknown>, headers?: Record<string, string>) =>
    t.call('POST', `/v2/images/${id}/import`, { method }, headers);

  it('advertises its import methods, at /v2/info/import and when an image is created', async () => {
    const info = await t.call('GET', '/v2/info/import');
    expect(info.body['import-methods'].value).toEqual(['glance-direct', 'web-download']);
    const created = await t.call('POST', '/v2/images', { name: 'x', ...RAW });
    expect(created.headers['openstack-image-import-methods']).toBe('glance-direct,web-download');
  });

  it('stages data, then imports it with glance-direct', async () => {
    const data = randomBytes(50000);
    const img = await t.create({ name: 'direct', ...RAW });
    expect((await importAs(img.id, { name: 'glance-direct' })).status).toBe(409);
    const staged = await t.call('PUT', `/v2/images/${img.id}/stage`, data, {
      'content-type': 'application/octet-stream',
    });
    expect(staged.status).toBe(204);
    expect((await t.call('GET', `/v2/images/${img.id}`)).body).toMatchObject({ status: 'uploading', size: 50000 });
    expect((await t.call('GET', `/v2/images/${img.id}/file`)).status).toBe(204);
    expect((await importAs(img.id, { name: 'glance-direct' })).status).toBe(202);
    const done = await settled(img.id);
    expect(done).toMatchObject({ status: 'active', size: 50000, os_hash_algo: 'sha512', os_hash_value: sha512(data) });
    expect((await t.call('GET', `/v2/images/${img.id}/file`)).raw.equals(data)).toBe(true);
    expect((await importAs(img.id, { name: 'glance-direct' })).status).toBe(409);
  });

  it('drops staged data with the image', async () => {
    const img = await t.create({ name: 'staged-then-deleted', ...RAW });
    await t.call('PUT', `/v2/images/${img.id}/stage`, randomBytes(1000), {
      'content-type': 'application/octet-stream',
    });
    const staged = await t.image.staging.open(img.id);
    expect(staged?.size).toBe(1000);
    await staged?.close();
    expect((await t.call('DELETE', `/v2/images/${img.id}`)).status).toBe(204);
    expect(await t.image.staging.open(img.id)).toBeNull();
  });

  it('fetches the data itself with web-download', async () => {
    const img = await t.create({ name: 'web', ...RAW });
    const uri = `http://127.0.0.1:${webPort}/disk.img`;
    expect((await importAs(img.id, { name: 'web-download', uri })).status).toBe(202);
    const done = await settled(img.id);
    expect(done).toMatchObject({ status: 'active', size: served.length, os_hash_value: sha512(served) });
  });

  it('puts the image back to queued when the download fails', async () => {
    const img = await t.create({ name: 'broken', ...RAW });
    expect((await importAs(img.id, { name: 'web-download', uri: `http://127.0.0.1:${webPort}/missing` })).status).toBe(
      202,
    );
    expect((await settled(img.id)).status).toBe('queued');
  });

  it("refuses URLs that do not pass the import filters, bad methods and other projects' images", async () => {
    const img = await t.create({ name: 'filtered', ...RAW });
    for (const uri of [
      'http://127.0.0.1:1/disk.img',
      'file:///etc/passwd',
      'not a url',
      '',
      `http://user:secret@127.0.0.1:${webPort}/disk.img`,
    ]) {
      const r = await importAs(img.id, { name: 'web-download', uri });
      expect(r.status, uri).toBe(400);
    }
    expect((await importAs(img.id, { name: 'copy-everything' })).status).toBe(400);
    expect((await t.call('POST', `/v2/images/${img.id}/import`, { nothing: 1 })).status).toBe(400);
    const noFormats = await t.create({ name: 'bare' });
    expect(
      (await importAs(noFormats.id, { name: 'web-download', uri: `http://127.0.0.1:${webPort}/disk.img` })).status,
    ).toBe(409);
    const other = await importAs(
      img.id,
      { name: 'web-download', uri: `http://127.0.0.1:${webPort}/disk.img` },
      as('someone-else'),
    );
    expect(other.status).toBe(404);
    expect((await t.call('GET', `/v2/images/${img.id}`)).body.status).toBe('queued');
  });
});
