// A small public image for the quick start, so that a new cloud has something to boot: a few KB of
// deterministic bytes (not a bootable disk) named as DevStack's default CirrOS image.
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Image } from './context.js';
import { hydrate, insertImage, saveImage, type ImageRecord } from './objects/image.js';
import { now } from '../common/time.js';

export const TEST_IMAGE_NAME = 'cirros-0.6.2-x86_64-disk';
const TEST_IMAGE_SIZE = 16384;

/** The test image's data: a SHA-256 chain, the same every time. */
export function testImageData(): Buffer {
  const out = Buffer.alloc(TEST_IMAGE_SIZE);
  let block = createHash('sha256').update(TEST_IMAGE_NAME).digest();
  for (let at = 0; at < TEST_IMAGE_SIZE; at += block.length) {
    block.copy(out, at);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** Creates the public test image (and uploads its data) unless it is already there; returns it. */
export async function registerTestImage(image: Image, opts: { owner?: string } = {}): Promise<ImageRecord> {
  const rows = await image.db
    .selectFrom('images')
    .selectAll()
    .where('name', '=', TEST_IMAGE_NAME)
    .where('visibility', '=', 'public')
    .where('deleted', '=', 0)
    .orderBy('created_at')
    .execute();
  let rec = (await hydrate(image.db, rows))[0];
  if (!rec) {
    const ts = now();
    rec = {
      id: randomUUID(),
      name: TEST_IMAGE_NAME,
      status: 'queued',
      visibility: 'public',
      owner: opts.owner ?? null,
      size: null,
      virtual_size: null,
      checksum: null,
      os_hash_algo: null,
      os_hash_value: null,
      disk_format: 'raw',
      container_format: 'bare',
      min_disk: 0,
      min_ram: 0,
      protected: false,
      os_hidden: false,
      created_at: ts,
      updated_at: ts,
      properties: { os_distro: 'cirros', os_version: '0.6.2', architecture: 'x86_64' },
      tags: [],
    };
    await insertImage(image.db, rec);
  }
  if (rec.status !== 'queued') return rec;
  // A start that stopped halfway (or a concurrent one) left it queued: store the data now.
  const data = testImageData();
  const stored = await image.store.write(rec.id, Readable.from([data]), data.length);
  const active: ImageRecord = {
    ...rec,
    status: 'active',
    size: stored.size,
    virtual_size: stored.size,
    checksum: stored.md5,
    os_hash_algo: 'sha512',
    os_hash_value: stored.sha512,
  };
  return (await saveImage(image.db, rec, active, 'queued')) ? active : rec;
}
