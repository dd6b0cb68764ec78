// registerTestImage: the quick start's public CirrOS-named image, created once with its data.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTestImage, TEST_IMAGE_NAME } from '../../src/image/index.js';
import { testImageData } from '../../src/image/test_image.js';
import { as, startImage, type TestImage } from '../helpers/image.js';

describe('registerTestImage', () => {
  let t: TestImage;
  beforeAll(async () => {
    t = await startImage();
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates one active public image, idempotently, that every project can download', async () => {
    const first = await registerTestImage(t.image);
    const again = await registerTestImage(t.image);
    expect(again.id).toBe(first.id);
    const data = testImageData();
    expect(data.length).toBeGreaterThan(1024);
    expect(testImageData().equals(data)).toBe(true);
    const list = (await t.call('GET', `/v2/images?name=${TEST_IMAGE_NAME}`, undefined, as('anyone'))).body.images;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      id: first.id,
      visibility: 'public',
      status: 'active',
      disk_format: 'raw',
      container_format: 'bare',
      size: data.length,
      checksum: createHash('md5').update(data).digest('hex'),
    });
    expect((await t.call('GET', `/v2/images/${first.id}/file`, undefined, as('anyone'))).raw.equals(data)).toBe(true);
  });

  it('creates it again after it was deleted', async () => {
    const first = await registerTestImage(t.image);
    expect((await t.call('DELETE', `/v2/images/${first.id}`)).status).toBe(204);
    const second = await registerTestImage(t.image);
    expect(second.id).not.toBe(first.id);
    expect(second.status).toBe('active');
  });
});
