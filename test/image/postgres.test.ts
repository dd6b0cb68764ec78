// The image service on PostgreSQL: the same flows as on SQLite (sizes as bigint, the list query,
// members, patches), and the fuzz property's core: no 5xx on odd input.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { as, PATCH_TYPE, startImage, type TestImage } from '../helpers/image.js';

const skipPg = postgresUnavailable();

describe.skipIf(skipPg)(`image service on PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () => {
  let pg: PgCluster;
  let t: TestImage;
  beforeAll(async () => {
    pg = await startPostgres();
    t = await startImage({ databaseUrl: await pg.createDatabase('image_test') });
  });
  afterAll(async () => {
    await t?.close();
    pg?.stop();
  });

  it('creates, uploads, lists, shares, patches and deletes', async () => {
    expect(t.image.engine).toBe('postgres');
    const P1 = as('p1');
    const a = await t.create({ name: 'a', disk_format: 'raw', container_format: 'bare', tags: ['x'], k: 'v' }, P1);
    const b = await t.create({ name: 'b', visibility: 'shared' }, P1);
    const data = randomBytes(5000);
    expect((await t.upload(a.id, data, P1)).status).toBe(204);
    const shown = (await t.call('GET', `/v2/images/${a.id}`, undefined, P1)).body;
    expect(shown).toMatchObject({ size: 5000, checksum: createHash('md5').update(data).digest('hex') });
    expect(typeof shown.size).toBe('number');
    const page = (await t.call('GET', '/v2/images?limit=1&sort=size:desc', undefined, P1)).body;
    expect(page.images.map((i: { name: string }) => i.name)).toEqual(['a']);
    const next = (await t.call('GET', page.next, undefined, P1)).body;
    expect(next.images.map((i: { name: string }) => i.name)).toEqual(['b']);
    expect((await t.call('GET', '/v2/images?tag=x&k=v&size_min=100', undefined, P1)).body.images).toHaveLength(1);
    expect((await t.call('POST', `/v2/images/${b.id}/members`, { member: 'p2' }, P1)).status).toBe(200);
    expect((await t.call('POST', `/v2/images/${b.id}/members`, { member: 'p2' }, P1)).status).toBe(409);
    expect((await t.call('PUT', `/v2/images/${b.id}/members/p2`, { status: 'accepted' }, as('p2'))).status).toBe(200);
    expect(
      (await t.call('GET', '/v2/images', undefined, as('p2'))).body.images.map((i: { name: string }) => i.name),
    ).toEqual(['b']);
    const ops = JSON.stringify([
      { op: 'add', path: '/hw', value: 'x' },
      { op: 'remove', path: '/k' },
    ]);
    const patched = await t.call('PATCH', `/v2/images/${a.id}`, ops, { ...P1, 'content-type': PATCH_TYPE });
    expect(patched.body).toMatchObject({ hw: 'x' });
    expect(patched.body.k).toBeUndefined();
    expect((await t.call('DELETE', `/v2/images/${a.id}`, undefined, P1)).status).toBe(204);
    expect(t.storedFiles()).toEqual([]);
  });

  it('answers odd input with 4xx, not database errors', async () => {
    for (const [method, url, body] of [
      ['GET', '/v2/images?size_min=99999999999999999999', undefined],
      ['GET', '/v2/images?min_ram=1.5', undefined],
      ['GET', '/v2/images?created_at=gt:2024-01-01', undefined],
      ['POST', '/v2/images', { name: 'é'.repeat(255) }],
      ['POST', '/v2/images', { min_ram: 2 ** 40 }],
      ['POST', '/v2/images', { ['ü'.repeat(255)]: 'v' }],
    ] as const) {
      const r = await t.call(method, url, body);
      expect(r.status, `${method} ${url}: ${r.text}`).toBeLessThan(500);
    }
  });

  it('keeps metadata definitions: nested creation, paging, duplicates as 409s, renames, cascading deletion', async () => {
    const NS = '/v2/metadefs/namespaces';
    const made = await t.call('POST', NS, {
      namespace: 'pg-ns',
      visibility: 'public',
      resource_type_associations: [{ name: 'OS::Glance::Image', prefix: 'x_' }],
      objects: [{ name: 'o', properties: { p: { title: 'P', type: 'integer' } } }],
      tags: [{ name: 't' }],
      properties: { q: { title: 'Q', type: 'string' } },
    });
    expect(made.status).toBe(201);
    // A duplicate inside the creating transaction aborts it cleanly (PostgreSQL fails the transaction).
    expect((await t.call('POST', NS, { namespace: 'pg-dup', tags: [{ name: 'a' }, { name: 'a' }] })).status).toBe(409);
    expect((await t.call('GET', `${NS}/pg-dup`)).status).toBe(404);
    await t.call('POST', NS, { namespace: 'pg-other' });
    const page = (await t.call('GET', `${NS}?limit=1&sort_key=namespace&sort_dir=asc`)).body;
    expect(page.namespaces.map((n: { namespace: string }) => n.namespace)).toEqual(['pg-ns']);
    expect((await t.call('GET', page.next)).body.namespaces.map((n: { namespace: string }) => n.namespace)).toEqual([
      'pg-other',
    ]);
    expect((await t.call('PUT', `${NS}/pg-other`, { namespace: 'pg-ns' })).status).toBe(409);
    expect((await t.call('PUT', `${NS}/pg-ns`, { namespace: 'pg-renamed', visibility: 'public' })).status).toBe(200);
    const shown = (await t.call('GET', `${NS}/pg-renamed?resource_type=OS::Glance::Image`, undefined, as('p9'))).body;
    expect(Object.keys(shown.properties)).toEqual(['x_q']);
    expect(shown.objects[0].properties).toEqual({ x_p: { title: 'P', type: 'integer' } });
    expect(
      (await t.call('POST', `${NS}/pg-renamed/tags`, { tags: [{ name: 't' }] }, { 'x-openstack-append': '1' })).status,
    ).toBe(409);
    expect((await t.call('DELETE', `${NS}/pg-renamed`)).status).toBe(204);
    expect((await t.call('POST', NS, { namespace: 'pg-renamed', objects: [{ name: 'o' }] })).status).toBe(201);
  });
});
