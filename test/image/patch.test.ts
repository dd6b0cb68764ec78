// PATCH /v2/images/{id}: JSON-patch add/replace/remove of attributes and properties in both media
// types, and everything Glance refuses (nothing changes when one operation is bad).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, PATCH_TYPE, startImage, type TestImage } from '../helpers/image.js';

/** A member of project p1, which owns the images these tests change. */
const ownerHeaders = as('p1');

describe('image update (JSON patch)', () => {
  let t: TestImage;
  beforeAll(async () => {
    t = await startImage();
  });
  afterAll(async () => {
    await t.close();
  });

  const patch = (id: string, ops: unknown, headers: Record<string, string> = {}, type = PATCH_TYPE) =>
    t.call('PATCH', `/v2/images/${id}`, JSON.stringify(ops), { 'content-type': type, ...headers });

  it('adds, replaces and removes attributes and properties', async () => {
    const img = await t.create({ name: 'a', os_distro: 'cirros' });
    const r = await patch(img.id, [
      { op: 'replace', path: '/name', value: 'b' },
      { op: 'add', path: '/hw_cpu_cores', value: '4' },
      { op: 'replace', path: '/os_distro', value: 'ubuntu' },
      { op: 'add', path: '/min_ram', value: 512 },
      { op: 'add', path: '/tags', value: ['x', 'y', 'x'] },
      { op: 'replace', path: '/visibility', value: 'private' },
      { op: 'replace', path: '/os_hidden', value: true },
      { op: 'add', path: '/disk_format', value: 'qcow2' },
      { op: 'add', path: '/a~1b~0c', value: 'escaped' },
    ]);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: 'b',
      hw_cpu_cores: '4',
      os_distro: 'ubuntu',
      min_ram: 512,
      tags: ['x', 'y'],
      visibility: 'private',
      os_hidden: true,
      disk_format: 'qcow2',
      'a/b~c': 'escaped',
    });
    expect(r.body.updated_at >= img.updated_at).toBe(true);
    const removed = await patch(img.id, [
      { op: 'remove', path: '/hw_cpu_cores' },
      { op: 'remove', path: '/a~1b~0c' },
    ]);
    expect(removed.body.hw_cpu_cores).toBeUndefined();
    expect(removed.body['a/b~c']).toBeUndefined();
    expect((await t.call('GET', `/v2/images/${img.id}`)).body).toEqual(removed.body);
  });

  it('speaks the draft-4 media type too', async () => {
    const img = await t.create({ name: 'a' });
    const v20 = 'application/openstack-images-v2.0-json-patch';
    expect(
      (
        await patch(
          img.id,
          [
            { replace: '/name', value: 'c' },
            { add: '/k', value: 'v' },
          ],
          {},
          v20,
        )
      ).body,
    ).toMatchObject({ name: 'c', k: 'v' });
    const dup = await patch(img.id, [{ add: '/k', value: 'w' }], {}, v20);
    expect(dup.status).toBe(409);
    expect(dup.body.message).toContain('Property k already present.');
    expect((await patch(img.id, [{ add: '/k', remove: '/k' }], {}, v20)).status).toBe(400);
  });

  it('answers 415 with Accept-Patch for other media types', async () => {
    const img = await t.create({});
    const r = await patch(img.id, [], {}, 'application/json');
    expect(r.status).toBe(415);
    expect(r.headers['accept-patch']).toBe(
      'application/openstack-images-v2.0-json-patch, ' + 'application/openstack-images-v2.1-json-patch',
    );
  });

  it('refuses what Glance refuses, and changes nothing when any operation is bad', async () => {
    const img = await t.create({ name: 'keep', k: 'v' }, ownerHeaders);
    const cases: [unknown, number, string][] = [
      [{ op: 'replace', path: '/name', value: 'x' }, 400, 'Request body must be a JSON array of operation objects.'],
      [['x'], 400, 'Operations must be JSON objects.'],
      [[{ path: '/name', value: 'x' }], 400, 'Unable to find `op` in JSON Schema change.'],
      [[{ op: 'move', path: '/name', value: 'x' }], 400, 'Invalid operation: `move`.'],
      [[{ op: { add: 1 }, path: '/name', value: 'x' }], 400, "Invalid operation: `{'add': 1}`."],
      [[{ op: 'add', value: 'x' }], 400, "Unable to find 'path' in JSON Schema change"],
      [[{ op: 'add', path: 'name', value: 'x' }], 400, 'does not start with "/".'],
      [[{ op: 'add', path: '/a//b', value: 'x' }], 400, 'contains adjacent "/".'],
      [[{ op: 'add', path: '/a/', value: 'x' }], 400, 'end with "/".'],
      [[{ op: 'add', path: '/a~2', value: 'x' }], 400, 'contains "~" not part of a recognized escape sequence.'],
      [[{ op: 'add', path: '/a/b', value: 'x' }], 400, "Invalid JSON pointer for this resource: '/a/b'"],
      [[{ op: 'add', path: '/name' }], 400, 'Operation "add" requires a member named "value".'],
      [
        [
          { op: 'replace', path: '/name', value: 'x' },
          { op: 'add', path: '/min_disk', value: 'big' },
        ],
        400,
        "'big' is not of type 'integer'",
      ],
      [[{ op: 'replace', path: '/disk_format', value: 'floppy' }], 400, "'floppy' is not one of"],
      [[{ op: 'add', path: '/prop', value: 1 }], 400, "1 is not of type 'string'"],
      [[{ op: 'add', path: '/min_ram', value: -5 }], 400, 'Cannot be a negative value.'],
      [[{ op: 'replace', path: '/status', value: 'active' }], 403, "Attribute 'status' is read-only."],
      [[{ op: 'replace', path: '/id', value: 'x' }], 403, "Attribute 'id' is read-only."],
      [[{ op: 'add', path: '/checksum', value: 'x' }], 403, "Attribute 'checksum' is read-only."],
      [[{ op: 'add', path: '/deleted', value: 'x' }], 403, "Attribute 'deleted' is reserved."],
      [[{ op: 'add', path: '/os_glance_x', value: 'x' }], 403, "Attribute 'os_glance_x' is reserved."],
      [[{ op: 'remove', path: '/name' }], 403, 'Property name may not be removed.'],
      [[{ op: 'remove', path: '/nothing' }], 409, 'Property nothing does not exist.'],
      [[{ op: 'replace', path: '/nothing', value: 'x' }], 409, 'Property nothing does not exist.'],
      [
        [
          { op: 'replace', path: '/name', value: 'x' },
          { op: 'remove', path: '/nothing' },
        ],
        409,
        'does not exist',
      ],
      [[{ op: 'replace', path: '/visibility', value: 'public' }], 403, 'publicize_image'],
      [
        [{ op: 'add', path: '/locations/-', value: { url: 'http://x', metadata: {} } }],
        403,
        "It's not allowed to add locations if locations are invisible.",
      ],
      [[{ op: 'replace', path: '/locations', value: [] }], 403, 'Cannot set locations to empty list.'],
      [[{ op: 'replace', path: '/owner', value: 'p2' }], 403, "Owner can't be updated by non admin."],
    ];
    for (const [ops, status, message] of cases) {
      const r = await patch(img.id, ops, ownerHeaders);
      expect(r.status, JSON.stringify(ops)).toBe(status);
      expect(r.body.message, JSON.stringify(ops)).toContain(message);
    }
    const now = (await t.call('GET', `/v2/images/${img.id}`, undefined, ownerHeaders)).body;
    expect(now).toEqual({ ...img, updated_at: now.updated_at });
    expect(now.updated_at).toBe(img.updated_at);
  });

  it('lets administrators change owners', async () => {
    const img = await t.create({}, ownerHeaders);
    const r = await patch(img.id, [{ op: 'replace', path: '/owner', value: 'p2' }], {});
    expect(r.status).toBe(200);
    expect(r.body.owner).toBe('p2');
    expect((await t.call('GET', `/v2/images/${img.id}`, undefined, ownerHeaders)).status).toBe(404);
  });

  it('freezes disk and container formats once the image has data', async () => {
    const img = await t.create({ disk_format: 'raw', container_format: 'bare' });
    expect((await t.upload(img.id, Buffer.from('x'))).status).toBe(204);
    const r = await patch(img.id, [{ op: 'replace', path: '/disk_format', value: 'qcow2' }]);
    expect(r.status).toBe(403);
    expect(r.body.message).toContain('Attribute disk_format can be only replaced for a queued image.');
    expect((await patch(img.id, [{ op: 'replace', path: '/name', value: 'still fine' }])).status).toBe(200);
  });

  it('is 404 for images the caller cannot see, 403 for ones it may only read', async () => {
    const priv = await t.create({ visibility: 'private' }, as('p1'));
    const pub = await t.create({ visibility: 'public' });
    const op = [{ op: 'replace', path: '/name', value: 'x' }];
    expect((await patch(priv.id, op, as('p2'))).status).toBe(404);
    expect((await patch(pub.id, op, as('p2'))).status).toBe(403);
    expect((await patch(priv.id, op, as('p1', ['reader']))).status).toBe(403);
    expect((await patch(priv.id, op, as('p1'))).status).toBe(200);
    expect((await patch('f0e7b1b6-0000-4000-8000-000000000000', op)).status).toBe(404);
  });
});
