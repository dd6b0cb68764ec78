// Metadata definitions as Glance Zed serves them: namespaces with their content, objects,
// properties, tags and resource type associations; visibility (a namespace another project keeps
// private is a 404), the policy defaults (administrators write, readers read), protection, and
// the schemas clients read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_RESOURCE_TYPES } from '../../src/image/db/migrations.js';
import { as, startImage, type TestImage } from '../helpers/image.js';

const NS = '/v2/metadefs/namespaces';
const P1 = as('p1');
const P2 = as('p2');

describe('metadata definitions', () => {
  let t: TestImage;
  beforeAll(async () => {
    t = await startImage();
  });
  afterAll(() => t.close());

  const create = async (body: Record<string, unknown>) => {
    const r = await t.call('POST', NS, body);
    if (r.status !== 201) throw new Error(`namespace create failed: ${r.status} ${r.text}`);
    return r.body;
  };

  it('serves the metadef schemas', async () => {
    const names: Record<string, string> = {
      namespace: 'namespace',
      namespaces: 'namespaces',
      object: 'object',
      objects: 'objects',
      property: 'property',
      properties: 'properties',
      tag: 'tag',
      tags: 'tags',
      resource_type: 'resource_type_association',
      resource_types: 'resource_type_associations',
    };
    for (const [path, name] of Object.entries(names)) {
      const r = await t.call('GET', `/v2/schemas/metadefs/${path}`);
      expect(r.status, path).toBe(200);
      expect(r.body.name, path).toBe(name);
    }
    const ns = (await t.call('GET', '/v2/schemas/metadefs/namespace')).body;
    expect(ns).toMatchObject({ required: ['namespace'], additionalProperties: false });
    expect(ns.definitions.property.additionalProperties.required).toEqual(['title', 'type']);
    expect((await t.call('GET', '/v2/schemas/metadefs/property')).body.required).toEqual(['title', 'type', 'name']);
    const props = (await t.call('GET', '/v2/schemas/metadefs/properties')).body;
    expect(props.properties.properties.additionalProperties.required).toEqual(['title', 'type']);
    expect((await t.call('GET', '/v2/schemas/metadefs/namespaces')).body.properties.namespaces.items.name).toBe(
      'namespace',
    );
    expect((await t.call('POST', '/v2/schemas/metadefs/tag')).status).toBe(405);
  });

  it('lists the system resource types, to everyone with a reader role', async () => {
    const r = await t.call('GET', '/v2/metadefs/resource_types', undefined, P1);
    expect(r.status).toBe(200);
    expect(r.body.resource_types.map((x: { name: string }) => x.name)).toEqual(SYSTEM_RESOURCE_TYPES);
    expect(r.body.resource_types[0]).toEqual({
      name: 'OS::Glance::Image',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect((await t.call('GET', '/v2/metadefs/resource_types', undefined, as('p1', []))).status).toBe(404);
  });

  it('creates a namespace with its content in one request, and shows it back', async () => {
    const r = await t.call('POST', NS, {
      namespace: 'OS::Compute::Demo',
      display_name: 'Demo',
      description: 'For the tests',
      visibility: 'public',
      resource_type_associations: [{ name: 'OS::Nova::Flavor', prefix: 'hw:' }, { name: 'OS::Demo::New' }],
      objects: [
        {
          name: 'CPU',
          description: 'cpu',
          required: ['cores'],
          properties: { cores: { title: 'Cores', type: 'integer', minimum: 1 } },
        },
      ],
      properties: { hw_rng: { title: 'RNG', type: 'boolean', unknown_key: 1 } },
      tags: [{ name: 'fast' }, { name: 'small' }],
    });
    expect(r.status).toBe(201);
    expect(r.headers.location).toMatch(/\/v2\/metadefs\/namespaces\/OS::Compute::Demo$/);
    expect(r.body).toMatchObject({
      namespace: 'OS::Compute::Demo',
      display_name: 'Demo',
      visibility: 'public',
      protected: false,
      owner: 'admin',
      self: `${NS}/OS::Compute::Demo`,
      schema: '/v2/schemas/metadefs/namespace',
      properties: { hw_rng: { title: 'RNG', type: 'boolean' } },
      tags: [{ name: 'fast' }, { name: 'small' }],
    });
    expect(r.body.properties.hw_rng.unknown_key).toBeUndefined();
    expect(r.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const shown = (await t.call('GET', `${NS}/OS::Compute::Demo`, undefined, P1)).body;
    expect(shown.objects).toEqual([
      expect.objectContaining({
        name: 'CPU',
        required: ['cores'],
        properties: { cores: { title: 'Cores', type: 'integer', minimum: 1 } },
        self: `${NS}/OS::Compute::Demo/objects/CPU`,
        schema: '/v2/schemas/metadefs/object',
      }),
    ]);
    expect(shown.resource_type_associations.map((a: { name: string }) => a.name)).toEqual([
      'OS::Nova::Flavor',
      'OS::Demo::New',
    ]);
    expect(shown.tags).toEqual([{ name: 'fast' }, { name: 'small' }]);
    // A new resource type came with the association.
    const types = (await t.call('GET', '/v2/metadefs/resource_types')).body.resource_types.map(
      (x: { name: string }) => x.name,
    );
    expect(types).toContain('OS::Demo::New');
    // As a flavor sees it: names with the association's prefix.
    const flavor = (await t.call('GET', `${NS}/OS::Compute::Demo?resource_type=OS::Nova::Flavor`)).body;
    expect(Object.keys(flavor.properties)).toEqual(['hw:hw_rng']);
    expect(flavor.objects[0].required).toEqual(['hw:cores']);
    expect(Object.keys(flavor.objects[0].properties)).toEqual(['hw:cores']);

    // All or nothing: a duplicate object name leaves no namespace behind.
    const dup = await t.call('POST', NS, { namespace: 'half', objects: [{ name: 'a' }, { name: 'a' }] });
    expect(dup.status).toBe(409);
    expect(dup.body.message).toContain('A metadata definition object with name=a already exists in namespace=half.');
    expect((await t.call('GET', `${NS}/half`)).status).toBe(404);
    expect((await t.call('POST', NS, { namespace: 'OS::Compute::Demo' })).status).toBe(409);
  });

  it('refuses bad namespaces: schema, read-only attributes, unbounded names', async () => {
    for (const [body, status] of [
      [{}, 400],
      [{ namespace: 'x', visibility: 'shared' }, 400],
      [{ namespace: 'x', extra: 1 }, 400],
      [{ namespace: 'x'.repeat(81) }, 400],
      [{ namespace: 'x', self: '/x' }, 403],
      [{ namespace: 'x', created_at: 'now' }, 403],
      [{ namespace: 'x', properties: { p: { title: 'P' } } }, 400],
      [{ namespace: 'x', tags: [{ name: 't'.repeat(81) }] }, 400],
      [{ namespace: 'x', objects: [{ description: 'no name' }] }, 400],
    ] as const) {
      const r = await t.call('POST', NS, body);
      expect(r.status, JSON.stringify(body)).toBe(status);
    }
    const bad = await t.call('POST', NS, { namespace: 'x', visibility: 'shared' });
    expect(bad.body.message).toContain("Provided object does not match schema 'namespace'");
    expect((await t.call('GET', `${NS}/x`)).status).toBe(404);
  });

  it('lists namespaces in pages, filtered by visibility and resource types, sorted', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) await create({ namespace: name, visibility: 'public' });
    await t.call('POST', `${NS}/page-b/resource_types`, { name: 'OS::Glance::Image' });
    const all = (await t.call('GET', `${NS}?sort_key=namespace&sort_dir=asc&limit=2`)).body;
    expect(all.namespaces).toHaveLength(2);
    expect(all.first).toBe(`${NS}?sort_key=namespace&sort_dir=asc&limit=2`);
    expect(all.schema).toBe('/v2/schemas/metadefs/namespaces');
    const names: string[] = all.namespaces.map((n: { namespace: string }) => n.namespace);
    let next = all.next;
    while (next) {
      const page = (await t.call('GET', next)).body;
      names.push(...page.namespaces.map((n: { namespace: string }) => n.namespace));
      next = page.next;
    }
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c', 'OS::Compute::Demo']));
    const byType = (await t.call('GET', `${NS}?resource_types=OS::Glance::Image,OS::Nowhere`)).body.namespaces;
    expect(byType.map((n: { namespace: string }) => n.namespace)).toEqual(['page-b']);
    expect(byType[0].resource_type_associations[0].name).toBe('OS::Glance::Image');
    expect(
      (await t.call('GET', `${NS}?visibility=private`)).body.namespaces.every(
        (n: { visibility: string }) => n.visibility === 'private',
      ),
    ).toBe(true);
    for (const q of ['visibility=shared', 'sort_dir=up', 'limit=x', 'limit=-1', 'sort_key=nope']) {
      expect((await t.call('GET', `${NS}?${q}`)).status, q).toBe(400);
    }
    expect((await t.call('GET', `${NS}?marker=nowhere`)).status).toBe(404);
  });

  it("hides other projects' private namespaces and lets only administrators write", async () => {
    await create({ namespace: 'p1-private', owner: 'p1' });
    await create({ namespace: 'admin-private' });
    await create({ namespace: 'shared-public', visibility: 'public', objects: [{ name: 'o' }] });
    const names = async (h: Record<string, string>) =>
      (await t.call('GET', `${NS}?limit=1000`, undefined, h)).body.namespaces.map(
        (n: { namespace: string }) => n.namespace,
      );
    expect(await names(P1)).toEqual(expect.arrayContaining(['p1-private', 'shared-public']));
    expect(await names(P1)).not.toContain('admin-private');
    expect(await names(P2)).not.toContain('p1-private');
    for (const path of ['', '/objects', '/properties', '/tags', '/resource_types', '/objects/o']) {
      expect((await t.call('GET', `${NS}/admin-private${path}`, undefined, P1)).status, path).toBe(404);
    }
    expect((await t.call('GET', `${NS}/p1-private`, undefined, as('p1', ['reader']))).status).toBe(200);
    expect((await t.call('GET', `${NS}/shared-public/objects/o`, undefined, P2)).status).toBe(200);
    // Readable but not writable: 403, with the rule's name.
    const put = await t.call('PUT', `${NS}/p1-private`, { namespace: 'p1-private' }, P1);
    expect(put.status).toBe(403);
    expect(put.body.message).toContain('You are not authorized to complete modify_metadef_namespace action.');
    const made = await t.call('POST', NS, { namespace: 'mine' }, P1);
    expect(made.status).toBe(403);
    expect(made.body.message).toContain('add_metadef_namespace');
    expect((await t.call('POST', `${NS}/shared-public/objects`, { name: 'x' }, P1)).status).toBe(403);
    expect((await t.call('DELETE', `${NS}/shared-public/tags`, undefined, P1)).status).toBe(403);
    // Not readable at all: a 404 whatever the rule.
    expect(await t.call('DELETE', `${NS}/shared-public`, undefined, as('p1', []))).toMatchObject({ status: 404 });
    expect((await t.call('DELETE', `${NS}/admin-private`, undefined, P1)).body.message).toContain(
      'Namespace admin-private not found',
    );
  });

  it("updates (and renames) namespaces, with Glance's defaults for what the body leaves out", async () => {
    await create({
      namespace: 'old-name',
      visibility: 'public',
      protected: true,
      description: 'd',
      objects: [{ name: 'kept' }],
    });
    const r = await t.call('PUT', `${NS}/old-name`, { namespace: 'new-name', display_name: 'New' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      namespace: 'new-name',
      display_name: 'New',
      visibility: 'private',
      protected: false,
    });
    expect(r.body.description).toBeUndefined();
    expect((await t.call('GET', `${NS}/old-name`)).status).toBe(404);
    expect((await t.call('GET', `${NS}/new-name/objects/kept`)).status).toBe(200);
    await create({ namespace: 'taken' });
    const clash = await t.call('PUT', `${NS}/new-name`, { namespace: 'taken' });
    expect(clash.status).toBe(409);
    expect(clash.body.message).toContain('duplicate metadata definition namespace with the same name of taken');
    expect((await t.call('PUT', `${NS}/nowhere`, { namespace: 'nowhere' })).status).toBe(404);
  });

  it('protects a protected namespace and everything in it from deletion, then deletes it all', async () => {
    await create({
      namespace: 'guarded',
      protected: true,
      objects: [{ name: 'o' }],
      properties: { p: { title: 'P', type: 'string' } },
      tags: [{ name: 't' }],
      resource_type_associations: [{ name: 'OS::Glance::Image' }],
    });
    const refusals: [string, string][] = [
      ['', 'Metadata definition namespace guarded is protected and cannot be deleted.'],
      ['/objects', 'Metadata definition namespace guarded is protected'],
      ['/objects/o', 'Metadata definition object o is protected and cannot be deleted.'],
      ['/properties/p', 'Metadata definition property p is protected and cannot be deleted.'],
      ['/tags/t', 'Metadata definition tag t is protected and cannot be deleted.'],
      ['/tags', 'Metadata definition namespace guarded is protected'],
      ['/properties', 'Metadata definition namespace guarded is protected'],
      [
        '/resource_types/OS::Glance::Image',
        'Metadata definition resource-type-association OS::Glance::Image is protected',
      ],
    ];
    for (const [path, message] of refusals) {
      const r = await t.call('DELETE', `${NS}/guarded${path}`);
      expect(r.status, path).toBe(403);
      expect(r.body.message, path).toContain(message);
    }
    expect((await t.call('PUT', `${NS}/guarded`, { namespace: 'guarded', protected: false })).status).toBe(200);
    expect((await t.call('DELETE', `${NS}/guarded`)).status).toBe(204);
    expect((await t.call('GET', `${NS}/guarded`)).status).toBe(404);
    // Its content went with it: a new namespace of the same name starts empty.
    await create({ namespace: 'guarded' });
    const again = (await t.call('GET', `${NS}/guarded`)).body;
    expect(again.objects).toBeUndefined();
    expect(again.tags).toBeUndefined();
  });

  it('manages objects', async () => {
    await create({ namespace: 'objs' });
    const o = await t.call('POST', `${NS}/objs/objects`, {
      name: 'disk',
      description: 'a disk',
      required: ['size'],
      properties: { size: { title: 'Size', type: 'integer' } },
    });
    expect(o.status).toBe(201);
    expect(o.body).toMatchObject({ name: 'disk', required: ['size'], self: `${NS}/objs/objects/disk` });
    expect((await t.call('POST', `${NS}/objs/objects`, { name: 'disk' })).status).toBe(409);
    expect(
      (
        await t.call('POST', `${NS}/objs/objects`, {
          name: 'x',
          properties: { p: { title: 'P', type: 'string', odd: 1 } },
        })
      ).status,
    ).toBe(400);
    expect((await t.call('POST', `${NS}/objs/objects`, { name: 'x', self: 'y' })).status).toBe(403);
    expect((await t.call('POST', `${NS}/nowhere/objects`, { name: 'x' })).body.message).toContain(
      'Metadata definition namespace=nowhere was not found.',
    );
    const list = (await t.call('GET', `${NS}/objs/objects`)).body;
    expect(list.objects.map((x: { name: string }) => x.name)).toEqual(['disk']);
    expect(list.schema).toBe('v2/schemas/metadefs/objects');
    expect((await t.call('GET', `${NS}/objs/objects?limit=0`)).status).toBe(400);
    const up = await t.call('PUT', `${NS}/objs/objects/disk`, { name: 'volume' });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ name: 'volume', required: [], properties: {} });
    expect(up.body.description).toBeUndefined();
    const missing = await t.call('GET', `${NS}/objs/objects/disk`);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toContain('Could not find metadata object disk');
    await t.call('POST', `${NS}/objs/objects`, { name: 'other' });
    expect((await t.call('PUT', `${NS}/objs/objects/other`, { name: 'volume' })).status).toBe(409);
    expect((await t.call('DELETE', `${NS}/objs/objects/volume`)).status).toBe(204);
    expect((await t.call('DELETE', `${NS}/objs/objects`)).status).toBe(204);
    expect((await t.call('GET', `${NS}/objs/objects`)).body.objects).toEqual([]);
  });

  it("manages properties, also by a resource type's prefixed name", async () => {
    await create({ namespace: 'props', resource_type_associations: [{ name: 'OS::Glance::Image', prefix: 'img_' }] });
    const p = await t.call('POST', `${NS}/props/properties`, {
      name: 'os',
      title: 'OS',
      type: 'string',
      enum: ['linux', 'bsd'],
    });
    expect(p.status).toBe(201);
    expect(p.body).toEqual({ name: 'os', title: 'OS', type: 'string', enum: ['linux', 'bsd'] });
    expect((await t.call('POST', `${NS}/props/properties`, { name: 'os', title: 'OS', type: 'string' })).status).toBe(
      409,
    );
    expect((await t.call('POST', `${NS}/props/properties`, { title: 'no name', type: 'string' })).status).toBe(400);
    expect(
      (await t.call('POST', `${NS}/props/properties`, { name: 'x', title: 'X', type: 'string', created_at: 'x' }))
        .status,
    ).toBe(403);
    expect((await t.call('GET', `${NS}/props/properties/img_os?resource_type=OS::Glance::Image`)).body.name).toBe('os');
    const wrongPrefix = await t.call('GET', `${NS}/props/properties/os?resource_type=OS::Glance::Image`);
    expect(wrongPrefix.status).toBe(404);
    expect(wrongPrefix.body.message).toContain(
      "does not start with the expected resource type association prefix of 'img_'",
    );
    expect((await t.call('GET', `${NS}/props/properties/img_os?resource_type=OS::Nova::Flavor`)).status).toBe(404);
    expect((await t.call('GET', `${NS}/props/properties/img_os?resource_type=OS::Nowhere`)).body.message).toContain(
      'resource-type with name=OS::Nowhere, was not found',
    );
    const renamed = await t.call('PUT', `${NS}/props/properties/os`, {
      name: 'distro',
      title: 'Distro',
      type: 'string',
    });
    expect(renamed.body).toEqual({ name: 'distro', title: 'Distro', type: 'string' });
    expect((await t.call('GET', `${NS}/props/properties`)).body).toEqual({
      properties: { distro: { name: 'distro', title: 'Distro', type: 'string' } },
    });
    expect((await t.call('GET', `${NS}/props/properties/os`)).body.message).toContain('Could not find property os');
    expect((await t.call('DELETE', `${NS}/props/properties/distro`)).status).toBe(204);
    expect((await t.call('GET', `${NS}/props/properties`)).body).toEqual({ properties: {} });
  });

  it('manages tags: one by name, several at once (replacing or appending), in pages', async () => {
    await create({ namespace: 'tagged' });
    const one = await t.call('POST', `${NS}/tagged/tags/first`);
    expect(one.status).toBe(201);
    expect(one.body).toEqual({ name: 'first', created_at: expect.any(String), updated_at: expect.any(String) });
    expect((await t.call('POST', `${NS}/tagged/tags/first`)).status).toBe(409);
    expect((await t.call('POST', `${NS}/tagged/tags/${'x'.repeat(81)}`)).status).toBe(400);
    const many = await t.call('POST', `${NS}/tagged/tags`, { tags: [{ name: 'a' }, { name: 'b' }] });
    expect(many.status).toBe(201);
    expect(many.body).toEqual({ tags: [{ name: 'a' }, { name: 'b' }] });
    const names = async (q = '') =>
      (await t.call('GET', `${NS}/tagged/tags${q}`)).body.tags.map((x: { name: string }) => x.name);
    expect((await names()).sort()).toEqual(['a', 'b']);
    await t.call('POST', `${NS}/tagged/tags`, { tags: [{ name: 'c' }] }, { 'x-openstack-append': 'true' });
    expect(await names('?sort_key=name&sort_dir=asc')).toEqual(['a', 'b', 'c']);
    expect(await names('?sort_key=name&sort_dir=asc&limit=1&marker=a')).toEqual(['b']);
    expect(
      (await t.call('POST', `${NS}/tagged/tags`, { tags: [{ name: 'c' }] }, { 'x-openstack-append': 'yes' })).status,
    ).toBe(409);
    expect((await t.call('POST', `${NS}/tagged/tags`, { tags: [{ name: 'x', extra: 1 }] })).status).toBe(400);
    expect((await t.call('GET', `${NS}/tagged/tags?marker=nowhere`)).status).toBe(404);
    const renamed = await t.call('PUT', `${NS}/tagged/tags/a`, { name: 'z' });
    expect(renamed.body.name).toBe('z');
    expect((await t.call('PUT', `${NS}/tagged/tags/b`, { name: 'z' })).status).toBe(409);
    expect((await t.call('GET', `${NS}/tagged/tags/z`)).body.name).toBe('z');
    expect((await t.call('GET', `${NS}/tagged/tags/a`)).body.message).toContain('Could not find metadata tag a');
    expect((await t.call('DELETE', `${NS}/tagged/tags/z`)).status).toBe(204);
    expect((await t.call('DELETE', `${NS}/tagged/tags`)).status).toBe(204);
    expect(await names()).toEqual([]);
  });

  it('associates resource types with namespaces and dissociates them', async () => {
    await create({ namespace: 'assoc' });
    const a = await t.call('POST', `${NS}/assoc/resource_types`, {
      name: 'OS::Cinder::Volume',
      prefix: 'vol_',
      properties_target: 'image',
    });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ name: 'OS::Cinder::Volume', prefix: 'vol_', properties_target: 'image' });
    expect((await t.call('POST', `${NS}/assoc/resource_types`, { name: 'OS::Cinder::Volume' })).status).toBe(409);
    expect((await t.call('POST', `${NS}/assoc/resource_types`, { prefix: 'x' })).status).toBe(400);
    const listed = (await t.call('GET', `${NS}/assoc/resource_types`)).body.resource_type_associations;
    expect(listed.map((x: { name: string }) => x.name)).toEqual(['OS::Cinder::Volume']);
    expect((await t.call('DELETE', `${NS}/assoc/resource_types/OS::Cinder::Volume`)).status).toBe(204);
    const again = await t.call('DELETE', `${NS}/assoc/resource_types/OS::Cinder::Volume`);
    expect(again.status).toBe(404);
    expect(again.body.message).toContain('Failed to find resource type OS::Cinder::Volume to delete');
  });
});
