// Property: whatever the request (route, method, body, content type, query, caller; any Unicode
// text, NUL and unpaired surrogates included), the image service answers below 500, a 4xx
// carries Glance's error body, text it cannot store is a 400, and a 4xx changes nothing, in the
// database or in the data store. Also with many requests at once on the same images.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageDB } from '../../src/image/db/schema.js';
import { encodeSegment, mustRefuse, notUtf8, queryString, sendAll, text } from '../helpers/fuzz.js';
import { ADMIN, as, PATCH_TYPE, startImage, type TestImage } from '../helpers/image.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const TABLES: (keyof ImageDB)[] = [
  'images',
  'image_properties',
  'image_tags',
  'image_members',
  'image_uploads',
  'metadef_namespaces',
  'metadef_objects',
  'metadef_properties',
  'metadef_tags',
  'metadef_resource_types',
  'metadef_namespace_resource_types',
];

async function fingerprint(t: TestImage): Promise<string> {
  const h = createHash('sha256');
  for (const table of TABLES) {
    const rows = await t.image.db.selectFrom(table).selectAll().execute();
    h.update(
      `${table}:${rows
        .map((r) => JSON.stringify(r))
        .sort()
        .join('\n')}`,
    );
  }
  h.update(t.storedFiles().join(','));
  return h.digest('hex');
}

const skipPg = postgresUnavailable();

describe.each([
  ['SQLite', false],
  [`PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, true],
] as const)('fuzz on %s: bad input never 5xx and never changes anything', (_name, postgres) => {
  let t: TestImage;
  let pg: PgCluster | undefined;
  const ids: string[] = [];

  beforeAll(async () => {
    if (postgres && skipPg) return;
    pg = postgres ? await startPostgres() : undefined;
    t = await startImage({
      config: { imageSizeCap: 4096 },
      ...(pg ? { databaseUrl: await pg.createDatabase('image_fuzz') } : {}),
    });
    // Images in several states and visibilities, so that requests reach deep code.
    const queued = await t.create(
      { name: 'queued', disk_format: 'raw', container_format: 'bare', k: 'v', tags: ['t'] },
      as('p1'),
    );
    const active = await t.create(
      { name: 'active', disk_format: 'qcow2', container_format: 'bare', visibility: 'shared' },
      as('p1'),
    );
    await t.upload(active.id, Buffer.from('data'), as('p1'));
    await t.call('POST', `/v2/images/${active.id}/members`, { member: 'p2' }, as('p1'));
    const pub = await t.create({ name: 'public', visibility: 'public', protected: true });
    ids.push(queued.id, active.id, pub.id);
    // Metadata definitions: a protected public namespace with content, another project's private one.
    await t.call('POST', '/v2/metadefs/namespaces', {
      namespace: 'ns1',
      visibility: 'public',
      protected: true,
      objects: [{ name: 'o' }],
      tags: [{ name: 't' }],
      properties: { p: { title: 'P', type: 'string' } },
      resource_type_associations: [{ name: 'OS::Glance::Image', prefix: 'x_' }],
    });
    await t.call('POST', '/v2/metadefs/namespaces', { namespace: 'ns2', owner: 'p2' });
  });
  afterAll(async () => {
    await t?.close();
    pg?.stop();
  });

  const id = fc.oneof(
    fc.constantFrom(...[0, 1, 2].map((i) => () => ids[i]!)).map((f) => f()),
    fc.uuid(),
    text(10).map(encodeSegment),
  );
  const namespace = fc.oneof(fc.constantFrom('ns1', 'ns2', 'nope'), text(10).map(encodeSegment));
  const path = fc.oneof(
    fc.constantFrom(
      '/',
      '/versions',
      '/v2/images',
      '/v2/schemas/image',
      '/v2/schemas/members',
      '/v2/info/import',
      '/v2/metadefs/namespaces',
      '/v2/metadefs/resource_types',
      '/v2/schemas/metadefs/namespace',
    ),
    fc
      .tuple(
        namespace,
        fc.constantFrom(
          '',
          '/objects',
          '/objects/o',
          '/properties',
          '/properties/p',
          '/properties/x_p',
          '/tags',
          '/tags/t',
          '/tags/new',
          '/resource_types',
          '/resource_types/OS::Glance::Image',
        ),
      )
      .map(([n, tail]) => `/v2/metadefs/namespaces/${n}${tail}`),
    id.map((i) => `/v2/images/${i}`),
    fc
      .tuple(
        id,
        fc.constantFrom(
          '/file',
          '/tags/x',
          '/tags/%2F',
          '/members',
          '/members/p2',
          '/members/p9',
          '/actions/deactivate',
          '/actions/reactivate',
          '/actions/x',
          '/stage',
          '/import',
        ),
      )
      .map(([i, tail]) => `/v2/images/${i}${tail}`),
  );
  const query = fc
    .dictionary(
      fc.constantFrom(
        'limit',
        'marker',
        'sort',
        'sort_key',
        'sort_dir',
        'name',
        'status',
        'visibility',
        'member_status',
        'tag',
        'size_min',
        'size_max',
        'protected',
        'os_hidden',
        'created_at',
        'owner',
        'k',
        'disk_format',
      ),
      fc.oneof(text(12), fc.constantFrom('in:a,b', 'gt:2020-01-01', 'name:asc', '-1', 'true', 'all')),
      { maxKeys: 3 },
    )
    .map(queryString);
  const patch = fc.array(
    fc.record(
      {
        op: fc.oneof(fc.constantFrom('add', 'remove', 'replace'), fc.string({ maxLength: 5 })),
        path: fc.oneof(
          fc.constantFrom(
            '/name',
            '/visibility',
            '/min_ram',
            '/tags',
            '/k',
            '/locations',
            '/status',
            '/protected',
            '/owner',
            '/disk_format',
            '/x/y',
            '/',
          ),
          fc.string({ maxLength: 8 }),
        ),
        value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), text()),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 3 },
  );
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    patch.map((p) => JSON.stringify(p)),
    fc
      .record(
        {
          name: fc.oneof(text(), fc.integer()),
          id: fc.oneof(fc.uuid(), text()),
          disk_format: fc.constantFrom('raw', 'qcow2', 'floppy', null),
          visibility: fc.constantFrom('public', 'private', 'x'),
          min_ram: fc.oneof(fc.integer(), fc.double()),
          member: text(),
          status: fc.constantFrom('accepted', 'x'),
          tags: fc.array(text()),
          self: text(),
          k: text(),
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
    fc
      .record(
        {
          namespace: fc.oneof(fc.constantFrom('ns1', 'ns2', 'new'), text()),
          name: fc.oneof(fc.constantFrom('o', 'p', 't'), text()),
          title: text(),
          type: fc.constantFrom('string', 'integer', 'x', null),
          visibility: fc.constantFrom('public', 'private', 'x'),
          protected: fc.boolean(),
          prefix: text(),
          required: fc.array(text()),
          tags: fc.array(fc.record({ name: text(90) })),
          objects: fc.array(fc.record({ name: fc.oneof(text(90), fc.integer()) }, { requiredKeys: [] })),
          properties: fc.dictionary(
            text(),
            fc.record({ title: text(), type: fc.constantFrom('string', 'x') }, { requiredKeys: [] }),
          ),
          resource_type_associations: fc.array(fc.record({ name: text(90) }, { requiredKeys: [] })),
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
    text(30),
    notUtf8,
  );
  const ctype = fc.constantFrom(
    'application/json',
    PATCH_TYPE,
    'application/openstack-images-v2.0-json-patch',
    'application/octet-stream',
    'text/plain',
  );
  const caller = fc.constantFrom(ADMIN, as('p1'), as('p2'), as('p1', ['reader']), as('p3'), as('p1', []));

  type Request = [string, string, string, string | Buffer | null, string, Record<string, string>];
  /** Sends one request; checks what holds of any single answer: below 500, Glance's error
   * body on a 4xx, and a 400 for text no service accepts (image data is bytes, not text). */
  const send = async ([method, p, q, b, type, who]: Request) => {
    const url = q ? `${p}?${q}` : p;
    const res = await t.call(method, url, b ?? undefined, { ...who, 'content-type': type });
    const what = `${method} ${url} ${type} ${JSON.stringify(b)} -> ${res.status} ${res.text}`;
    expect(res.status, what).toBeLessThan(500);
    if (res.status >= 400) {
      expect(String(res.body?.code ?? res.body?.error?.code), what).toMatch(new RegExp(`^${res.status}`));
    }
    const upload = method === 'PUT' && /\/(file|stage)$/.test(p);
    if (mustRefuse(method, url, upload ? undefined : b)) expect(res.status, what).toBe(400);
    return res.status;
  };
  const request = fc.tuple(
    fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
    path,
    query,
    fc.option(body),
    ctype,
    caller,
  );

  it.skipIf(postgres && skipPg)(
    'holds for random requests',
    async () => {
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const before = await fingerprint(t);
          if ((await send(r)) >= 400) expect(await fingerprint(t), JSON.stringify(r)).toBe(before);
        }),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
      );
    },
    60000,
  );

  // Well-formed writes on a few image ids, so that concurrent ones race: two creations of one
  // id, an upload into an image being deleted, tags and members added and removed at once.
  const POOL = ['3f2e1d0c-9b8a-4766-9544-332211009988', '8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d'];
  const pooled = fc.constantFrom(...POOL);
  const write = fc
    .oneof(
      pooled.map((i) => [
        'POST',
        '/v2/images',
        JSON.stringify({ id: i, name: 'race', disk_format: 'raw', container_format: 'bare' }),
        'application/json',
      ]),
      pooled.map((i) => ['DELETE', `/v2/images/${i}`, null, 'application/json']),
      pooled.map((i) => ['PUT', `/v2/images/${i}/file`, 'data', 'application/octet-stream']),
      fc.tuple(pooled, fc.constantFrom('a', 'b')).map(([i, n]) => [
        'PATCH',
        `/v2/images/${i}`,
        JSON.stringify([
          { op: 'replace', path: '/name', value: n },
          { op: 'add', path: '/k', value: n },
        ]),
        PATCH_TYPE,
      ]),
      fc
        .tuple(fc.constantFrom('PUT', 'DELETE'), pooled, fc.constantFrom('t1', 't2'))
        .map(([m, i, tag]) => [m, `/v2/images/${i}/tags/${tag}`, null, 'application/json']),
      pooled.map((i) => [
        'PATCH',
        `/v2/images/${i}`,
        JSON.stringify([{ op: 'replace', path: '/visibility', value: 'shared' }]),
        PATCH_TYPE,
      ]),
      fc
        .tuple(pooled, fc.constantFrom('p2', 'p3'))
        .map(([i, m]) => ['POST', `/v2/images/${i}/members`, JSON.stringify({ member: m }), 'application/json']),
      fc
        .tuple(pooled, fc.constantFrom('p2', 'p3'))
        .map(([i, m]) => ['DELETE', `/v2/images/${i}/members/${m}`, null, 'application/json']),
    )
    .map(([m, p, b, type]) => [m!, p!, '', b ?? null, type!, ADMIN] as Request);

  it.skipIf(postgres && skipPg)(
    'holds for concurrent requests on the same images',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof({ weight: 3, arbitrary: write }, { weight: 1, arbitrary: request }), {
            minLength: 4,
            maxLength: 16,
          }),
          async (batch) => {
            const before = await fingerprint(t);
            const statuses = await sendAll(batch, send);
            // When every request of the batch was refused, none changed anything. (A race does not
            // replay, so a failing batch is reported as it is, unshrunk: endOnFailure.)
            if (statuses.every((s) => s >= 400)) expect(await fingerprint(t)).toBe(before);
          },
        ),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 300) / 5, endOnFailure: true },
      );
    },
    60000,
  );
});
