// Image data: the status machine around uploads, checksums, streaming beyond Fastify's body limit
// on a real socket, the size cap and the storage quota (413, nothing left behind), downloads with
// Content-MD5, 204 without data, and ranges.
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startImage, type TestImage } from '../helpers/image.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');
const RAW = { disk_format: 'raw', container_format: 'bare' };

/** Streams `size` pseudo-random bytes (never all in memory), reporting their digests when done. */
function generated(size: number) {
  const h = { md5: createHash('md5'), sha512: createHash('sha512') };
  let left = size;
  const stream = new Readable({
    read() {
      if (left === 0) return this.push(null);
      const chunk = randomBytes(Math.min(left, 256 * 1024));
      left -= chunk.length;
      h.md5.update(chunk);
      h.sha512.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digests: () => ({ md5: h.md5.digest('hex'), sha512: h.sha512.digest('hex') }) };
}

describe('image data', () => {
  let t: TestImage;
  beforeAll(async () => {
    t = await startImage({ config: { imageSizeCap: 64 * 1024 * 1024 } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('goes queued -> active on upload, with size, md5, sha512 and virtual size', async () => {
    const img = await t.create(RAW);
    const data = randomBytes(100_000);
    expect((await t.upload(img.id, data)).status).toBe(204);
    const shown = (await t.call('GET', `/v2/images/${img.id}`)).body;
    expect(shown).toMatchObject({
      status: 'active',
      size: data.length,
      virtual_size: data.length,
      checksum: md5(data),
      os_hash_algo: 'sha512',
      os_hash_value: sha512(data),
    });
    const down = await t.call('GET', `/v2/images/${img.id}/file`);
    expect(down.status).toBe(200);
    expect(down.headers['content-type']).toBe('application/octet-stream');
    expect(down.headers['content-md5']).toBe(md5(data));
    expect(down.headers['content-length']).toBe(String(data.length));
    expect(down.raw.equals(data)).toBe(true);
    expect(t.storedFiles()).toEqual([img.id]);
  });

  it("reads a qcow2 image's virtual size from its header", async () => {
    const img = await t.create({ disk_format: 'qcow2', container_format: 'bare' });
    const header = Buffer.alloc(1024);
    Buffer.from('QFI\xfb', 'latin1').copy(header);
    header.writeUInt32BE(3, 4);
    header.writeBigUInt64BE(10n * 1024n ** 3n, 24);
    expect((await t.upload(img.id, header)).status).toBe(204);
    expect((await t.call('GET', `/v2/images/${img.id}`)).body.virtual_size).toBe(10 * 1024 ** 3);
  });

  it('refuses a second upload with 409, and uploads without formats with 400', async () => {
    const img = await t.create(RAW);
    expect((await t.upload(img.id, Buffer.from('one'))).status).toBe(204);
    const again = await t.upload(img.id, Buffer.from('two'));
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('Image status transition from active to saving is not allowed');
    expect((await t.call('GET', `/v2/images/${img.id}/file`)).text).toBe('one');
    const bare = await t.create({});
    const r = await t.upload(bare.id, Buffer.from('x'));
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('Properties disk_format, container_format must be set prior to saving data.');
    expect((await t.call('GET', `/v2/images/${bare.id}`)).body.status).toBe('queued');
  });

  it('wants application/octet-stream (415 otherwise)', async () => {
    const img = await t.create(RAW);
    const r = await t.call('PUT', `/v2/images/${img.id}/file`, 'data', { 'content-type': 'text/plain' });
    expect(r.status).toBe(415);
    expect(r.body.message).toContain('Invalid content type text/plain');
    expect((await t.call('GET', `/v2/images/${img.id}`)).body.status).toBe('queued');
  });

  it('answers 204 for an image without data, and 404 for one that does not exist', async () => {
    const img = await t.create(RAW);
    const r = await t.call('GET', `/v2/images/${img.id}/file`);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect((await t.call('GET', '/v2/images/f0e7b1b6-0000-4000-8000-000000000000/file')).status).toBe(404);
    expect((await t.upload('f0e7b1b6-0000-4000-8000-000000000000', Buffer.from('x'))).status).toBe(404);
  });

  it('keeps an empty image (size 0) as active with the digests of nothing', async () => {
    const img = await t.create(RAW);
    expect((await t.upload(img.id, Buffer.alloc(0))).status).toBe(204);
    expect((await t.call('GET', `/v2/images/${img.id}`)).body).toMatchObject({
      status: 'active',
      size: 0,
      checksum: md5(Buffer.alloc(0)),
    });
    const down = await t.call('GET', `/v2/images/${img.id}/file`);
    expect([down.status, down.text, down.headers['content-length']]).toEqual([200, '', '0']);
  });

  it('serves byte ranges (206) and refuses unsatisfiable ones (416)', async () => {
    const img = await t.create(RAW);
    const data = Buffer.from('0123456789');
    await t.upload(img.id, data);
    const url = `/v2/images/${img.id}/file`;
    const part = await t.call('GET', url, undefined, { range: 'bytes=2-5' });
    expect([part.status, part.text, part.headers['content-range']]).toEqual([206, '2345', 'bytes 2-5/10']);
    expect((await t.call('GET', url, undefined, { range: 'bytes=7-' })).text).toBe('789');
    expect((await t.call('GET', url, undefined, { range: 'bytes=-3' })).text).toBe('789');
    expect((await t.call('GET', url, undefined, { range: 'bytes=10-' })).status).toBe(416);
    expect((await t.call('GET', url, undefined, { range: 'lines=1-2' })).status).toBe(416);
  });

  it('streams a 20 MB upload and download over a real socket, beyond the body limit', async () => {
    const img = await t.create(RAW);
    const size = 20 * 1024 * 1024 + 3;
    const address = await t.address();
    const { stream, digests } = generated(size);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${address}/v2/images/${img.id}/file`,
        {
          method: 'PUT',
          headers: { 'x-auth-token': 'admin:admin', 'x-roles': 'admin', 'content-type': 'application/octet-stream' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      stream.pipe(req);
    });
    expect(status).toBe(204);
    const want = digests();
    const shown = (await t.call('GET', `/v2/images/${img.id}`)).body;
    expect(shown).toMatchObject({ size, checksum: want.md5, os_hash_value: want.sha512, status: 'active' });
    const got = await new Promise<{ md5: string; length: number; header: string }>((resolve, reject) => {
      request(
        `${address}/v2/images/${img.id}/file`,
        { headers: { 'x-auth-token': 'admin:admin', 'x-roles': 'admin' } },
        (res) => {
          const h = createHash('md5');
          let length = 0;
          res.on('data', (c: Buffer) => {
            h.update(c);
            length += c.length;
          });
          res.on('end', () => resolve({ md5: h.digest('hex'), length, header: String(res.headers['content-md5']) }));
          res.on('error', reject);
        },
      ).end();
    });
    expect(got).toEqual({ md5: want.md5, length: size, header: want.md5 });
  }, 60000);

  it('goes back to queued, keeping nothing, when the client hangs up mid-upload', async () => {
    const img = await t.create(RAW);
    const address = await t.address();
    await new Promise<void>((resolve) => {
      const req = request(`${address}/v2/images/${img.id}/file`, {
        method: 'PUT',
        headers: {
          'x-auth-token': 'admin:admin',
          'x-roles': 'admin',
          'content-type': 'application/octet-stream',
          'content-length': '1000000',
        },
      });
      req.on('error', () => resolve());
      req.write(randomBytes(300_000), () =>
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 50),
      );
    });
    let shown;
    for (let i = 0; i < 50; i++) {
      shown = (await t.call('GET', `/v2/images/${img.id}`)).body;
      if (shown.status === 'queued') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(shown).toMatchObject({ status: 'queued', size: null });
    expect(t.storedFiles().filter((f) => f.includes(img.id))).toEqual([]);
    expect((await t.upload(img.id, Buffer.from('retry'))).status).toBe(204);
  });

  it('refuses data over image_size_cap with 413, back to queued and nothing on disk', async () => {
    const small = await startImage({ config: { imageSizeCap: 1000 } });
    try {
      const img = await small.create(RAW);
      const declared = await small.upload(img.id, randomBytes(1001));
      expect(declared.status).toBe(413);
      expect(declared.body.message).toContain('The incoming image is too large');
      // Chunked: no Content-Length, so the limit is found while streaming.
      const streamed = await small.upload(img.id, generated(5000).stream);
      expect(streamed.status).toBe(413);
      const shown = (await small.call('GET', `/v2/images/${img.id}`)).body;
      expect(shown).toMatchObject({ status: 'queued', size: null, checksum: null });
      expect(small.storedFiles()).toEqual([]);
      expect((await small.upload(img.id, randomBytes(1000))).status).toBe(204);
      expect(small.storedFiles()).toEqual([img.id]);
    } finally {
      await small.close();
    }
  });

  it("refuses data over the owner's user_storage_quota with 413, counting its other images", async () => {
    const q = await startImage({ config: { userStorageQuota: '2KB' } });
    try {
      const p1 = as('p1');
      const a = await q.create(RAW, p1);
      expect((await q.upload(a.id, randomBytes(1500), p1)).status).toBe(204);
      const b = await q.create(RAW, p1);
      const over = await q.upload(b.id, randomBytes(600), p1);
      expect(over.status).toBe(413);
      expect(over.body.message).toContain('Image exceeds the storage quota');
      expect(over.body.message).toContain('548 bytes remaining');
      expect((await q.upload(b.id, generated(600).stream, p1)).status).toBe(413);
      expect((await q.call('GET', `/v2/images/${b.id}`, undefined, p1)).body.status).toBe('queued');
      expect(q.storedFiles()).toEqual([a.id]);
      expect((await q.upload(b.id, randomBytes(548), p1)).status).toBe(204);
      // Another project has its own quota.
      const c = await q.create(RAW, as('p2'));
      expect((await q.upload(c.id, randomBytes(2048), as('p2'))).status).toBe(204);
      // Deleting an image gives its space back.
      expect((await q.call('DELETE', `/v2/images/${a.id}`, undefined, p1)).status).toBe(204);
      const d = await q.create(RAW, p1);
      expect((await q.upload(d.id, randomBytes(1500), p1)).status).toBe(204);
    } finally {
      await q.close();
    }
  });

  it('removes the data when the image is deleted', async () => {
    const img = await t.create(RAW);
    await t.upload(img.id, Buffer.from('bytes'));
    expect(t.storedFiles()).toContain(img.id);
    expect((await t.call('DELETE', `/v2/images/${img.id}`)).status).toBe(204);
    expect(t.storedFiles()).not.toContain(img.id);
    expect((await t.call('GET', `/v2/images/${img.id}/file`)).status).toBe(404);
  });

  it('lets only members of the owning project upload, and readers of visible images download', async () => {
    const img = await t.create({ ...RAW, visibility: 'private' }, as('p1'));
    expect((await t.upload(img.id, Buffer.from('x'), as('p1', ['reader']))).status).toBe(403);
    expect((await t.upload(img.id, Buffer.from('x'), as('p2'))).status).toBe(404);
    expect((await t.upload(img.id, Buffer.from('x'), as('p1'))).status).toBe(204);
    expect((await t.call('GET', `/v2/images/${img.id}/file`, undefined, as('p2'))).status).toBe(404);
    expect((await t.call('GET', `/v2/images/${img.id}/file`, undefined, as('p1', ['reader']))).status).toBe(403);
    expect((await t.call('GET', `/v2/images/${img.id}/file`, undefined, as('p1'))).text).toBe('x');
  });
});
