// python-glanceclient's `glance` CLI against the image service with real Keystone tokens: it
// fetches /v2/schemas/* and validates what it sends and receives against them, so this checks the
// schemas as much as the API.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolUnavailable } from '../helpers/cloud.js';
import { startImageCloud, type ImageCloud } from '../helpers/image_cloud.js';

const skip = toolUnavailable('glance', 'python3-glanceclient');

/** The rows of glanceclient's "| Property | Value |" table. */
function table(out: string): Record<string, string> {
  const rows: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^\|\s*(\S+)\s*\|\s*(.*?)\s*\|$/.exec(line);
    if (m) rows[m[1]!] = m[2]!;
  }
  return rows;
}

describe.skipIf(skip)(`glance CLI${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let c: ImageCloud;
  const data = randomBytes(256 * 1024 + 5);
  let id: string;
  let demoProject: string;
  beforeAll(async () => {
    c = await startImageCloud();
    demoProject = (
      await c.identity.db.selectFrom('project').select('id').where('name', '=', 'demo').executeTakeFirstOrThrow()
    ).id;
  }, 60000);
  afterAll(async () => {
    await c?.stop();
  });

  const ok = async (args: string[], user?: 'admin' | 'demo') => {
    const r = await c.glance(args, user);
    expect(r.status, `glance ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r.stdout;
  };

  it('creates an image with data and shows it', async () => {
    const file = join(c.dir, 'g.qcow2');
    writeFileSync(file, data);
    const created = table(
      await ok([
        'image-create',
        '--name',
        'g1',
        '--disk-format',
        'qcow2',
        '--container-format',
        'bare',
        '--visibility',
        'shared',
        '--property',
        'os_distro=cirros',
        '--file',
        file,
      ]),
    );
    id = created.id!;
    expect(created.status).toBe('active');
    expect(created.checksum).toBe(createHash('md5').update(data).digest('hex'));
    expect(created.os_distro).toBe('cirros');
    const shown = table(await ok(['image-show', id]));
    expect(shown.size).toBe(String(data.length));
    expect(await ok(['image-list'])).toContain(id);
  }, 60000);

  it('downloads the same bytes', async () => {
    const out = join(c.dir, 'g.out');
    await ok(['image-download', '--file', out, id]);
    expect(readFileSync(out).equals(data)).toBe(true);
  }, 60000);

  it('updates attributes, properties and tags through JSON patches', async () => {
    const updated = table(
      await ok([
        'image-update',
        '--name',
        'g2',
        '--min-ram',
        '128',
        '--property',
        'hw_disk_bus=scsi',
        '--remove-property',
        'os_distro',
        id,
      ]),
    );
    expect(updated).toMatchObject({ name: 'g2', min_ram: '128', hw_disk_bus: 'scsi' });
    expect(updated.os_distro).toBeUndefined();
    await ok(['image-tag-update', id, 'gold']);
    expect(JSON.parse(table(await ok(['image-show', id])).tags!)).toEqual(['gold']);
  }, 60000);

  it('shares the image with another project, which accepts it', async () => {
    await ok(['member-create', id, demoProject]);
    expect(await ok(['image-list'], 'demo')).not.toContain(id);
    await ok(['member-update', id, demoProject, 'accepted'], 'demo');
    expect(await ok(['member-list', '--image-id', id])).toContain('accepted');
    expect(await ok(['image-list'], 'demo')).toContain(id);
    const refused = await c.glance(['image-update', '--name', 'mine-now', id], 'demo');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/403|Forbidden|not authorized/i);
  }, 60000);

  it('reports errors the server sends, and schema violations before sending', async () => {
    const missing = await c.glance(['image-show', 'f0e7b1b6-0000-4000-8000-000000000000']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/No image with (a name or )?ID of|Not Found/i);
    const bad = await c.glance([
      'image-create',
      '--name',
      'x',
      '--disk-format',
      'floppy',
      '--container-format',
      'bare',
    ]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/floppy/);
  }, 60000);

  it('deletes the image', async () => {
    await ok(['image-delete', id]);
    expect(await ok(['image-list'])).not.toContain(id);
  }, 60000);
});
