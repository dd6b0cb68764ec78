// Property: whatever the request (route, method, body, content type, query, caller), the image
// service answers below 500, a 4xx carries Glance's error body, and a 4xx changes nothing, in the
// database or in the data store.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageDB } from '../../src/image/db/schema.js';
import { ADMIN, as, PATCH_TYPE, startImage, type TestImage } from '../helpers/image.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const TABLES: (keyof ImageDB)[] = ['images', 'image_properties', 'image_tags', 'image_members'];

async function fingerprint(t: TestImage): Promise<string> {
  const h = createHash('sha256');
  for (const table of TABLES) {
    const rows = await t.image.db.selectFrom(table).selectAll().execute();
    h.update(`${table}:${rows.map((r) => JSON.stringify(r)).sort().join('\n')}`);
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
      config: { imageSizeCap: 4096 }, ...(pg ? { databaseUrl: await pg.createDatabase('image_fuzz') } : {}),
    });
    // Images in several states and visibilities, so that requests reach deep code.
    const queued = await t.create({ name: 'queued', disk_format: 'raw', container_format: 'bare', k: 'v', tags: ['t'] }, as('p1'));
    const active = await t.create({ name: 'active', disk_format: 'qcow2', container_format: 'bare', visibility: 'shared' }, as('p1'));
    await t.upload(active.id, Buffer.from('data'), as('p1'));
    await t.call('POST', `/v2/images/${active.id}/members`, { member: 'p2' }, as('p1'));
    const pub = await t.create({ name: 'public', visibility: 'public', protected: true });
    ids.push(queued.id, active.id, pub.id);
  });
  afterAll(async () => {
    await t?.close();
    pg?.stop();
  });

  const id = fc.oneof(fc.constantFrom(...[0, 1, 2].map((i) => () => ids[i]!)).map((f) => f()), fc.uuid(),
    fc.string({ maxLength: 10 }).map(encodeURIComponent));
  const path = fc.oneof(
    fc.constantFrom('/', '/versions', '/v2/images', '/v2/schemas/image', '/v2/schemas/members', '/v2/info/import'),
    id.map((i) => `/v2/images/${i}`),
    fc.tuple(id, fc.constantFrom('/file', '/tags/x', '/tags/%2F', '/members', '/members/p2', '/members/p9',
      '/actions/deactivate', '/actions/reactivate', '/actions/x', '/stage', '/import')).map(([i, tail]) => `/v2/images/${i}${tail}`),
  );
  const query = fc.dictionary(
    fc.constantFrom('limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'name', 'status', 'visibility', 'member_status',
      'tag', 'size_min', 'size_max', 'protected', 'os_hidden', 'created_at', 'owner', 'k', 'disk_format'),
    fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('in:a,b', 'gt:2020-01-01', 'name:asc', '-1', 'true', 'all')),
    { maxKeys: 3 },
  ).map((q) => new URLSearchParams(q).toString());
  const patch = fc.array(fc.record({
    op: fc.oneof(fc.constantFrom('add', 'remove', 'replace'), fc.string({ maxLength: 5 })),
    path: fc.oneof(fc.constantFrom('/name', '/visibility', '/min_ram', '/tags', '/k', '/locations', '/status',
      '/protected', '/owner', '/disk_format', '/x/y', '/'), fc.string({ maxLength: 8 })),
    value: fc.jsonValue({ maxDepth: 2 }),
  }, { requiredKeys: [] }), { maxLength: 3 });
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    patch.map((p) => JSON.stringify(p)),
    fc.record({
      name: fc.oneof(fc.string(), fc.integer()), id: fc.oneof(fc.uuid(), fc.string()),
      disk_format: fc.constantFrom('raw', 'qcow2', 'floppy', null), visibility: fc.constantFrom('public', 'private', 'x'),
      min_ram: fc.oneof(fc.integer(), fc.double()), member: fc.string(), status: fc.constantFrom('accepted', 'x'),
      tags: fc.array(fc.string()), self: fc.string(),
    }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 30 }),
  );
  const ctype = fc.constantFrom('application/json', PATCH_TYPE, 'application/openstack-images-v2.0-json-patch',
    'application/octet-stream', 'text/plain');
  const caller = fc.constantFrom(ADMIN, as('p1'), as('p2'), as('p1', ['reader']), as('p3'), as('p1', []));

  it.skipIf(postgres && skipPg)('holds for random requests', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'), path, query, fc.option(body), ctype, caller,
      async (method, p, q, b, type, who) => {
        const before = await fingerprint(t);
        const res = await t.call(method, q ? `${p}?${q}` : p, b ?? undefined, { ...who, 'content-type': type });
        const what = `${method} ${p}?${q} ${type} ${b} -> ${res.status} ${res.text}`;
        expect(res.status, what).toBeLessThan(500);
        if (res.status >= 400) {
          expect(String(res.body?.code ?? res.body?.error?.code), what).toMatch(new RegExp(`^${res.status}`));
          expect(await fingerprint(t), what).toBe(before);
        }
      },
    ), { numRuns: Number(process.env.FUZZ_RUNS ?? 400) });
  }, 120000);
});
