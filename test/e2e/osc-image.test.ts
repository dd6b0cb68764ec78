// The real `openstack` CLI (openstacksdk underneath) against the image service, with real Keystone
// tokens: create with --file, list, show, save, set, delete, on a real port.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolUnavailable } from '../helpers/cloud.js';
import { startImageCloud, type ImageCloud } from '../helpers/image_cloud.js';

const skip = toolUnavailable('openstack', 'python3-openstackclient');

describe.skipIf(skip)(`openstack CLI: image${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let c: ImageCloud;
  const data = randomBytes(3 * 1024 * 1024 + 17);
  let id: string;
  beforeAll(async () => {
    c = await startImageCloud();
  }, 60000);
  afterAll(async () => {
    await c?.stop();
  });

  const ok = async (args: string[], cloud?: string) => {
    const r = await c.osc(args, cloud);
    expect(r.status, `openstack ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  };

  it('creates an image from a file', async () => {
    const file = join(c.dir, 'upload.raw');
    writeFileSync(file, data);
    const img = (
      await ok([
        'image',
        'create',
        '--file',
        file,
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
        '--property',
        'os_distro=cirros',
        'e2e-image',
        '-f',
        'json',
      ])
    ).json;
    id = img.id;
    // The CLI prints the image as created, before its data went up; show it again.
    const shown = (await ok(['image', 'show', id, '-f', 'json'])).json;
    expect(shown.status).toBe('active');
    expect(shown.checksum).toBe(createHash('md5').update(data).digest('hex'));
    expect(shown.size).toBe(data.length);
  }, 60000);

  it('lists and shows it', async () => {
    const list = (await ok(['image', 'list', '-f', 'json'])).json;
    expect(list.map((i: { Name: string }) => i.Name)).toContain('e2e-image');
    const shown = (await ok(['image', 'show', id, '-f', 'json'])).json;
    expect(shown.name).toBe('e2e-image');
    expect(shown.disk_format).toBe('raw');
    expect(JSON.stringify(shown.properties)).toContain('cirros');
  }, 60000);

  it('saves (downloads) the same bytes', async () => {
    const out = join(c.dir, 'download.raw');
    await ok(['image', 'save', '--file', out, id]);
    expect(readFileSync(out).equals(data)).toBe(true);
  }, 60000);

  it('updates it and shares nothing with other projects', async () => {
    await ok(['image', 'set', '--name', 'e2e-renamed', '--tag', 'e2e', '--private', id]);
    const shown = (await ok(['image', 'show', id, '-f', 'json'])).json;
    expect(shown.name).toBe('e2e-renamed');
    expect(shown.tags).toEqual(['e2e']);
    const other = await c.osc(['image', 'show', id, '-f', 'json'], 'concord-demo');
    expect(other.status).not.toBe(0);
    expect(other.stderr).toMatch(/No Image found|Not Found|could not be found/i);
  }, 60000);

  it('deletes it', async () => {
    await ok(['image', 'delete', id]);
    const gone = await c.osc(['image', 'show', id, '-f', 'json']);
    expect(gone.status).not.toBe(0);
  }, 60000);
});
