// Property: whatever the request (route, method, body, query, microversion, caller; any Unicode
// text, NUL and unpaired surrogates included), Placement answers with a non-5xx status, an error
// body in Placement's format on 4xx, a 400 for text it cannot store, and a 4xx changes nothing.
// Also with many requests at once on the same providers, consumers and classes. On both engines:
// PostgreSQL has write paths of its own (objects/single_statement.ts) and real row locks.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSegment, mustRefuse, notUtf8, queryString, sendAll, text } from '../helpers/fuzz.js';
import { startPlacement, type TestPlacement } from '../helpers/placement.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import type { PlacementDB } from '../../src/placement/db/schema.js';

const TABLES: (keyof PlacementDB)[] = [
  'resource_providers',
  'resource_classes',
  'traits',
  'inventories',
  'allocations',
  'consumers',
  'projects',
  'users',
  'consumer_types',
  'placement_aggregates',
  'resource_provider_aggregates',
  'resource_provider_traits',
];

async function fingerprint(t: TestPlacement): Promise<string> {
  const h = createHash('sha256');
  for (const table of TABLES) {
    const rows = await t.placement.db.selectFrom(table).selectAll().execute();
    const lines = rows.map((r) => JSON.stringify(r)).sort();
    h.update(`${table}:${lines.join('\n')}`);
  }
  return h.digest('hex');
}

const skipPg = postgresUnavailable();
const ENGINES: { name: string; skip: string | null; databaseUrl: (() => Promise<string>) | null }[] = [
  { name: 'SQLite', skip: null, databaseUrl: null },
  { name: 'PostgreSQL', skip: skipPg, databaseUrl: () => pg.createDatabase('fuzz') },
];
let pg: PgCluster;

describe.each(ENGINES)('fuzz ($name): bad input never 5xx and never changes anything', ({ skip, databaseUrl }) => {
  let t: TestPlacement;
  const RP = '7d3f1b0e-7a53-4a53-9b3f-2f3a1e4c5d6e';
  const CONSUMER = '3b2f1c0d-1a2b-4c3d-8e9f-0a1b2c3d4e5f';

  beforeAll(async () => {
    if (skip) return;
    if (databaseUrl) pg = await startPostgres();
    t = await startPlacement(databaseUrl ? { databaseUrl: await databaseUrl() } : {});
    // Best-effort seed so that routes with a provider/consumer in the path reach deep code.
    await t.call('POST', '/resource_providers', { name: 'fuzz-rp', uuid: RP });
    await t.call('PUT', `/resource_providers/${RP}/inventories`, {
      resource_provider_generation: 0,
      inventories: { VCPU: { total: 8 }, MEMORY_MB: { total: 4096 } },
    });
    await t.call('PUT', `/allocations/${CONSUMER}`, {
      allocations: { [RP]: { resources: { VCPU: 1 } } },
      project_id: 'p',
      user_id: 'u',
      consumer_generation: null,
      consumer_type: 'INSTANCE',
    });
  });
  afterAll(async () => {
    await t?.close();
    if (databaseUrl) pg?.stop();
  });

  const segment = fc.oneof(
    fc.constant(RP),
    fc.constant(CONSUMER),
    fc.uuid(),
    fc.constantFrom('VCPU', 'CUSTOM_X', 'HW_CPU_X86_AVX2', 'x'),
    text(12).map(encodeSegment),
  );
  const path = fc.oneof(
    fc.constantFrom(
      '/',
      '/resource_providers',
      '/resource_classes',
      '/traits',
      '/allocations',
      '/allocation_candidates',
      '/usages',
      '/reshaper',
    ),
    fc
      .tuple(fc.constantFrom('/resource_providers/', '/resource_classes/', '/traits/', '/allocations/'), segment)
      .map(([a, b]) => a + b),
    fc
      .tuple(
        segment,
        fc.constantFrom(
          '/inventories',
          '/aggregates',
          '/traits',
          '/usages',
          '/allocations',
          '/inventories/VCPU',
          '/inventories/CUSTOM_NOPE',
        ),
      )
      .map(([s, tail]) => `/resource_providers/${s}${tail}`),
  );
  const query = fc
    .dictionary(
      fc.oneof(
        {
          weight: 9,
          arbitrary: fc.constantFrom(
            'resources',
            'required',
            'member_of',
            'in_tree',
            'limit',
            'name',
            'uuid',
            'group_policy',
            'project_id',
            'user_id',
            'root_required',
            'same_subtree',
            'resources1',
            'consumer_type',
            'associated',
          ),
        },
        { weight: 1, arbitrary: text(6) },
      ),
      fc.oneof(text(20), fc.constantFrom('VCPU:1', 'in:a,b', '!X', '-1', 'VCPU:1,MEMORY_MB:x')),
      { maxKeys: 3 },
    )
    .map(queryString);
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.record(
      {
        name: fc.oneof(text(), fc.integer()),
        uuid: fc.oneof(fc.uuid(), text()),
        resource_provider_generation: fc.oneof(fc.integer(), text(), fc.constant(null)),
        inventories: fc.dictionary(
          fc.oneof(fc.constantFrom('VCPU', 'BOGUS', 'CUSTOM_X'), text(8)),
          fc.record({ total: fc.oneof(fc.integer(), fc.double(), text()), reserved: fc.integer() }),
        ),
        allocations: fc.jsonValue({ maxDepth: 3 }),
        traits: fc.array(text()),
        aggregates: fc.array(text()),
        project_id: text(),
        user_id: text(),
        consumer_type: text(),
      },
      { requiredKeys: [] },
    ),
    notUtf8,
  );
  const version = fc.constantFrom('latest', '1.0', '1.10', '1.14', '1.20', '1.28', '1.38', '1.39', '0.9', '1.99', 'x');
  // Admin, and callers Placement's default policy refuses (a project member, a reader, no role).
  const caller = fc.constantFrom<Record<string, string>>(
    {},
    { 'x-auth-token': 'alice:p1', 'x-roles': 'member,reader' },
    { 'x-auth-token': 'bob:p2', 'x-roles': 'reader' },
    { 'x-auth-token': 'carol:p3', 'x-roles': '' },
  );
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH');

  /** Sends one request; checks what holds of any single answer: below 500, Placement's error
   * body on a 4xx, and a 400 for text no service accepts. */
  const send = async ([m, p, q, b, v, who]: [string, string, string, unknown, string, Record<string, string>]) => {
    const url = q ? `${p}?${q}` : p;
    const res = await t.call(m, url, b ?? undefined, { 'openstack-api-version': `placement ${v}`, ...who });
    const what = `${m} ${url} ${JSON.stringify(b)} ${JSON.stringify(who)} -> ${res.status} ${JSON.stringify(res.body)}`;
    expect(res.status, what).toBeLessThan(500);
    if (res.status >= 400) expect(res.body?.errors?.[0]?.status, what).toBe(res.status);
    // Refused before anything else but authentication and the microversion.
    if (mustRefuse(m, url, b)) expect([400, 406], what).toContain(res.status);
    return res.status;
  };
  const request = fc.tuple(method, path, query, fc.option(body), version, caller);

  it.skipIf(skip)(
    `holds for random requests${skip ? ` (skipped: ${skip})` : ''}`,
    async () => {
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const before = await fingerprint(t);
          if ((await send(r)) >= 400) expect(await fingerprint(t)).toBe(before);
        }),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
      );
    },
    60000,
  );

  // Well-formed writes on a few providers, consumers and classes, so that concurrent ones race
  // for the same rows (creating, allocating, deleting), mixed with the random requests above.
  const POOL = ['6f1e9d2c-3b4a-4c5d-8e7f-9a0b1c2d3e4f', '0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d', RP];
  const CONSUMERS = ['1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', CONSUMER];
  const rp = fc.constantFrom(...POOL);
  const consumer = fc.constantFrom(...CONSUMERS);
  const owner = fc.record({
    project_id: fc.constantFrom('p1', 'p2'),
    user_id: fc.constantFrom('u1', 'u2'),
    consumer_generation: fc.constantFrom(null, null, 0, 1),
    consumer_type: fc.constantFrom('INSTANCE', 'MIGRATION'),
  });
  const alloc = fc
    .tuple(rp, fc.integer({ min: 1, max: 3 }), owner)
    .map(([r, n, o]) => ({ allocations: { [r]: { resources: { VCPU: n } } }, ...o }));
  const generation = fc.integer({ min: 0, max: 4 });
  const write = fc
    .oneof(
      rp.map((u) => ['POST', '/resource_providers', { name: `pool-${u}`, uuid: u }]),
      rp.map((u) => ['DELETE', `/resource_providers/${u}`, undefined]),
      fc
        .tuple(rp, generation, fc.integer({ min: 1, max: 8 }))
        .map(([u, g, n]) => [
          'PUT',
          `/resource_providers/${u}/inventories`,
          { resource_provider_generation: g, inventories: { VCPU: { total: n }, CUSTOM_RACE: { total: 2 } } },
        ]),
      fc.tuple(consumer, alloc).map(([c, a]) => ['PUT', `/allocations/${c}`, a]),
      {
        weight: 3,
        arbitrary: fc
          .tuple(consumer, consumer, alloc, alloc)
          .map(([c1, c2, a1, a2]) => ['POST', '/allocations', { [c1]: a1, [c2]: a2 }]),
      },
      consumer.map((c) => ['DELETE', `/allocations/${c}`, undefined]),
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.constantFrom('PUT', 'PUT', 'DELETE'), fc.integer({ min: 0, max: 3 }))
          .map(([m, i]) => [m, `/resource_classes/CUSTOM_RACE${i || ''}`, undefined]),
      },
      fc.constantFrom('PUT', 'DELETE').map((m) => [m, '/traits/CUSTOM_RACE', undefined]),
      fc
        .tuple(rp, generation)
        .map(([u, g]) => [
          'PUT',
          `/resource_providers/${u}/traits`,
          { resource_provider_generation: g, traits: ['CUSTOM_RACE'] },
        ]),
      fc
        .tuple(rp, generation)
        .map(([u, g]) => [
          'PUT',
          `/resource_providers/${u}/aggregates`,
          { resource_provider_generation: g, aggregates: [POOL[0]] },
        ]),
    )
    .map(
      ([m, p, b]) => [m, p, '', b, 'latest', {}] as [string, string, string, unknown, string, Record<string, string>],
    );

  it.skipIf(skip)(
    `holds for concurrent requests on the same rows${skip ? ` (skipped: ${skip})` : ''}`,
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

  it.skipIf(skip)('leaves no new aggregate behind when a write to a new aggregate is refused', async () => {
    // A provider of its own: the random requests above may have deleted the seeded one.
    const rp = '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d';
    expect((await t.call('POST', '/resource_providers', { name: 'aggregate-target', uuid: rp })).status).toBeLessThan(
      300,
    );
    const before = await fingerprint(t);
    const generation = (await t.call('GET', `/resource_providers/${rp}`)).body.generation;
    const res = await t.call(
      'PUT',
      `/resource_providers/${rp}/aggregates`,
      { resource_provider_generation: generation + 5, aggregates: ['0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b'] },
      { 'openstack-api-version': 'placement 1.19' },
    );
    expect(res.status).toBe(409);
    expect(await fingerprint(t)).toBe(before);
  });
});
