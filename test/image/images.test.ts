// Images CRUD as Glance v2 answers it: discovery, schemas, create (ids, properties, read-only and
// reserved attributes), show, delete (protected, data removed), and tags.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSchema } from '../../src/common/http/json-schema.js';
import { ADMIN, as, startImage, type TestImage } from '../helpers/image.js';

describe('image service: discovery and schemas', () => {
  let t: TestImage;
  beforeAll(async () => {
    t = await startImage();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers GET / with 300 and GET /versions with 200, without a token', async () => {
    for (const [path, status] of [
      ['/', 300],
      ['/versions', 200],
    ] as const) {
      const r = await t.call('GET', path, undefined, { 'x-auth-token': '' });
      expect(r.status).toBe(status);
      expect(r.body.versions[0]).toEqual({
        id: 'v2.15',
        status: 'CURRENT',
        links: [{ rel: 'self', href: 'http://localhost:80/v2/' }],
      });
      expect(r.body.versions.map((v: { id: string }) => v.id)).toContain('v2.0');
    }
  });

  it('points at [DEFAULT] public_endpoint when it is set', async () => {
    const proxied = await startImage({ config: { publicEndpoint: 'https://cloud.example/' } });
    try {
      expect((await proxied.call('GET', '/versions')).body.versions[0].links[0].href).toBe('https://cloud.example/v2/');
    } finally {
      await proxied.close();
    }
  });

  it("needs a token for everything else (keystonemiddleware's 401)", async () => {
    const r = await t.call('GET', '/v2/images', undefined, { 'x-auth-token': '' });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: { code: 401, title: 'Unauthorized', message: expect.any(String) } });
  });

  it('serves the image, images, member and members schemas', async () => {
    const image = (await t.call('GET', '/v2/schemas/image')).body;
    expect(image.name).toBe('image');
    expect(image.additionalProperties).toEqual({ type: 'string' });
    expect(image.properties.disk_format.enum).toEqual([
      null,
      'ami',
      'ari',
      'aki',
      'vhd',
      'vhdx',
      'vmdk',
      'raw',
      'qcow2',
      'vdi',
      'iso',
      'ploop',
    ]);
    expect(image.properties.container_format.enum).toContain('compressed');
    expect(image.properties.os_distro.is_base).toBe(false);
    const images = (await t.call('GET', '/v2/schemas/images')).body;
    expect(images.properties.images.items).toEqual(image);
    const member = (await t.call('GET', '/v2/schemas/member')).body;
    expect(member.properties.status.enum).toEqual(['pending', 'accepted', 'rejected']);
    expect((await t.call('GET', '/v2/schemas/members')).body.properties.members.items).toEqual(member);
    expect((await t.call('POST', '/v2/schemas/image', {})).status).toBe(405);
  });

  it('returns images and members that validate against its own schemas', async () => {
    const img = await t.create({ name: 'schema-check', visibility: 'shared', os_distro: 'cirros', kernel_id: null });
    const schemas = Object.fromEntries(
      await Promise.all(
        ['image', 'images', 'member', 'members'].map(async (n) => [n, (await t.call('GET', `/v2/schemas/${n}`)).body]),
      ),
    );
    expect(validateSchema(schemas.image, img)).toBeNull();
    expect(validateSchema(schemas.images, (await t.call('GET', '/v2/images')).body)).toBeNull();
    const m = (await t.call('POST', `/v2/images/${img.id}/members`, { member: 'p2' })).body;
    expect(validateSchema(schemas.member, m)).toBeNull();
    expect(validateSchema(schemas.members, (await t.call('GET', `/v2/images/${img.id}/members`)).body)).toBeNull();
  });
});

describe('image service: images', () => {
  let t: TestImage;
  beforeAll(async () => {
    t = await startImage();
  });
  afterAll(async () => {
    await t.close();
  });

  it("creates an image with Glance's defaults and keeps extra properties", async () => {
    const r = await t.call(
      'POST',
      '/v2/images',
      {
        name: 'cirros',
        disk_format: 'qcow2',
        container_format: 'bare',
        min_ram: 64,
        hw_disk_bus: 'scsi',
        tags: ['a', 'b', 'a'],
      },
      as('p1'),
    );
    expect(r.status).toBe(201);
    const img = r.body;
    expect(r.headers.location).toBe(`http://localhost:80/v2/images/${img.id}`);
    expect(img).toMatchObject({
      name: 'cirros',
      status: 'queued',
      visibility: 'shared',
      owner: 'p1',
      protected: false,
      os_hidden: false,
      min_ram: 64,
      min_disk: 0,
      size: null,
      virtual_size: null,
      checksum: null,
      os_hash_algo: null,
      os_hash_value: null,
      disk_format: 'qcow2',
      container_format: 'bare',
      hw_disk_bus: 'scsi',
      tags: ['a', 'b'],
      self: `/v2/images/${img.id}`,
      file: `/v2/images/${img.id}/file`,
      schema: '/v2/schemas/image',
    });
    expect(img.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(img.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(img.updated_at).toBe(img.created_at);
    expect((await t.call('GET', `/v2/images/${img.id}`, undefined, as('p1'))).body).toEqual(img);
  });

  it('takes a given id once, even after the image is deleted', async () => {
    const id = '3c6a4f3e-4b9e-4c36-9b6e-1f1e2a3b4c5d';
    expect((await t.call('POST', '/v2/images', { id })).status).toBe(201);
    expect((await t.call('POST', '/v2/images', { id })).status).toBe(409);
    expect((await t.call('DELETE', `/v2/images/${id}`)).status).toBe(204);
    expect((await t.call('POST', '/v2/images', { id })).status).toBe(409);
    expect((await t.call('POST', '/v2/images', { id: 'not-a-uuid' })).status).toBe(400);
  });

  it('refuses read-only and reserved attributes with 403', async () => {
    for (const key of [
      'self',
      'file',
      'schema',
      'direct_url',
      'stores',
      'status',
      'checksum',
      'size',
      'created_at',
      'os_hash_value',
    ]) {
      const r = await t.call('POST', '/v2/images', { [key]: { size: 1, status: 'active' }[key] ?? 'x' });
      expect(r.status, key).toBe(403);
      expect(r.body.message).toContain(`Attribute '${key}' is read-only.`);
    }
    for (const key of ['deleted', 'location', 'os_glance_import_task']) {
      const r = await t.call('POST', '/v2/images', { [key]: 'x' });
      expect(r.status, key).toBe(403);
      expect(r.body.message).toContain(`Attribute '${key}' is reserved.`);
    }
  });

  it("refuses bad input with 400 and Glance's messages", async () => {
    const before = (await t.call('GET', '/v2/images')).body.images;
    const bad: [unknown, string][] = [
      [{ disk_format: 'floppy' }, "Provided object does not match schema 'image': 'floppy' is not one of"],
      [{ container_format: 'zip' }, "'zip' is not one of"],
      [{ visibility: 'everyone' }, "'everyone' is not one of"],
      [{ name: 7 }, "7 is not of type 'null', 'string'"],
      [{ min_ram: 'lots' }, "'lots' is not of type 'integer'"],
      [{ protected: 'yes' }, "'yes' is not of type 'boolean'"],
      [{ custom: 5 }, "5 is not of type 'string'"],
      [{ min_disk: -1 }, "Invalid value '-1' for parameter 'min_disk': Cannot be a negative value."],
      [{ min_ram: 2 ** 31 }, "'min_ram' value out of range, must not exceed 2147483647."],
      [{ ['k'.repeat(256)]: 'v' }, 'Custom property should not be greater than 255 characters.'],
      [{ name: 'n'.repeat(256) }, 'is too long'],
      [[1, 2], "[1, 2] is not of type 'object'"],
    ];
    for (const [body, message] of bad) {
      const r = await t.call('POST', '/v2/images', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.message, JSON.stringify(body)).toContain(message);
    }
    expect((await t.call('POST', '/v2/images', '{"name": ')).body.message).toContain('Malformed JSON in request body.');
    expect((await t.call('POST', '/v2/images', '"x"')).body.message).toContain(
      'Unexpected body type. Expected list/dict.',
    );
    const empty = await t.call('POST', '/v2/images', '', { 'content-type': 'application/json' });
    expect(empty.body.message).toContain('Body expected in request.');
    expect((await t.call('GET', '/v2/images', undefined, ADMIN)).body.images).toEqual(before);
  });

  it('lets only administrators create public images or images for another project', async () => {
    expect((await t.call('POST', '/v2/images', { visibility: 'public' }, as('p1'))).status).toBe(403);
    expect((await t.call('POST', '/v2/images', { owner: 'p2' }, as('p1'))).status).toBe(403);
    expect((await t.call('POST', '/v2/images', { visibility: 'community' }, as('p1'))).status).toBe(201);
    const r = await t.call('POST', '/v2/images', { visibility: 'public', owner: 'p9' });
    expect(r.status).toBe(201);
    expect(r.body.owner).toBe('p9');
  });

  it('shows 404 for unknown, malformed and deleted ids', async () => {
    for (const id of ['f0e7b1b6-0000-4000-8000-000000000000', 'garbage', '%20']) {
      const r = await t.call('GET', `/v2/images/${id}`);
      expect(r.status).toBe(404);
    }
    expect((await t.call('GET', '/v2/images/nope')).body.message).toContain('No image found with ID nope');
  });

  it('refuses to delete a protected image, then deletes it once unprotected', async () => {
    const img = await t.create({ protected: true });
    const r = await t.call('DELETE', `/v2/images/${img.id}`);
    expect(r.status).toBe(403);
    expect(r.body.message).toContain(`Image ${img.id} is protected and cannot be deleted.`);
    expect((await t.call('GET', `/v2/images/${img.id}`)).status).toBe(200);
    const patch = [{ op: 'replace', path: '/protected', value: false }];
    expect(
      (
        await t.call('PATCH', `/v2/images/${img.id}`, JSON.stringify(patch), {
          'content-type': 'application/openstack-images-v2.1-json-patch',
        })
      ).status,
    ).toBe(200);
    expect((await t.call('DELETE', `/v2/images/${img.id}`)).status).toBe(204);
    expect((await t.call('GET', `/v2/images/${img.id}`)).status).toBe(404);
    const again = await t.call('DELETE', `/v2/images/${img.id}`);
    expect(again.status).toBe(404);
    expect(again.body.message).toContain(`Failed to find image ${img.id} to delete`);
  });

  it('adds and removes tags', async () => {
    const img = await t.create({ tags: ['x'] });
    expect((await t.call('PUT', `/v2/images/${img.id}/tags/y`)).status).toBe(204);
    expect((await t.call('PUT', `/v2/images/${img.id}/tags/y`)).status).toBe(204);
    expect((await t.call('PUT', `/v2/images/${img.id}/tags/with%20space`)).status).toBe(204);
    expect((await t.call('GET', `/v2/images/${img.id}`)).body.tags).toEqual(['x', 'y', 'with space']);
    expect((await t.call('DELETE', `/v2/images/${img.id}/tags/x`)).status).toBe(204);
    expect((await t.call('DELETE', `/v2/images/${img.id}/tags/x`)).status).toBe(404);
    expect((await t.call('PUT', `/v2/images/${img.id}/tags/${'t'.repeat(256)}`)).status).toBe(400);
    expect((await t.call('GET', `/v2/images/${img.id}`)).body.tags).toEqual(['y', 'with space']);
    expect((await t.call('PUT', '/v2/images/f0e7b1b6-0000-4000-8000-000000000000/tags/x')).status).toBe(404);
  });

  it("limits properties and tags to Glance's default quotas (413)", async () => {
    const props = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`p${i}`, 'v']));
    const r = await t.call('POST', '/v2/images', props);
    expect(r.status).toBe(413);
    expect(r.body.message).toContain('Attempted: 129, Maximum: 128');
    const img = await t.create({ tags: Array.from({ length: 128 }, (_, i) => `t${i}`) });
    expect((await t.call('PUT', `/v2/images/${img.id}/tags/one-more`)).status).toBe(413);
  });

  it('answers 405 with Allow for other methods', async () => {
    const r = await t.call('PUT', '/v2/images');
    expect(r.status).toBe(405);
    expect(String(r.headers.allow).split(', ').sort()).toEqual(['GET', 'POST']);
  });

  it("lets the image's project members and administrators deactivate and reactivate it (Zed's defaults)", async () => {
    const img = await t.create({ disk_format: 'raw', container_format: 'bare' }, as('p1'));
    const deactivate = `/v2/images/${img.id}/actions/deactivate`;
    const reactivate = `/v2/images/${img.id}/actions/reactivate`;
    expect((await t.call('POST', deactivate)).status).toBe(403);
    expect((await t.call('POST', deactivate)).body.message).toContain(
      "Not allowed to deactivate image in status 'queued'",
    );
    expect((await t.upload(img.id, Buffer.from('data'))).status).toBe(204);
    const reader = await t.call('POST', deactivate, undefined, as('p1', ['reader']));
    expect(reader.status).toBe(403);
    expect(reader.body.message).toContain('You are not authorized to complete deactivate action.');
    expect((await t.call('POST', deactivate, undefined, as('p2'))).status).toBe(404);
    expect((await t.call('POST', deactivate, undefined, as('p1'))).status).toBe(204);
    expect((await t.call('POST', deactivate, undefined, as('p1'))).status).toBe(204);
    expect((await t.call('GET', `/v2/images/${img.id}`)).body.status).toBe('deactivated');
    const download = await t.call('GET', `/v2/images/${img.id}/file`, undefined, as('p1'));
    expect(download.status).toBe(403);
    expect(download.body.message).toContain('The requested image has been deactivated.');
    expect((await t.call('GET', `/v2/images/${img.id}/file`)).text).toBe('data');
    expect((await t.call('POST', reactivate, undefined, as('p1', ['reader']))).status).toBe(403);
    expect((await t.call('POST', reactivate, undefined, as('p1'))).status).toBe(204);
    expect((await t.call('GET', `/v2/images/${img.id}/file`, undefined, as('p1'))).text).toBe('data');
    // An administrator acts on any project's image.
    expect((await t.call('POST', deactivate)).status).toBe(204);
    expect((await t.call('POST', reactivate)).status).toBe(204);
  });
});

describe('image service: CORS', () => {
  it("answers preflights and decorates responses for allowed origins, with Glance's headers", async () => {
    const t = await startImage({ config: { corsAllowedOrigin: ['http://dashboard.example'] } });
    try {
      const pre = await t.call('OPTIONS', '/v2/images', undefined, {
        origin: 'http://dashboard.example',
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'x-auth-token,content-md5',
      });
      expect(pre.status).toBe(200);
      expect(pre.headers['access-control-allow-origin']).toBe('http://dashboard.example');
      const get = await t.call('GET', '/v2/images', undefined, { origin: 'http://dashboard.example' });
      expect(get.headers['access-control-expose-headers']).toContain('X-OpenStack-Request-ID');
      const other = await t.call('GET', '/v2/images', undefined, { origin: 'http://evil.example' });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
