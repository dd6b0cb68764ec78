// Property: whatever the request (route, method, body, query, microversion), Placement answers
// with a non-5xx status, an error body in Placement's format on 4xx, and a 4xx changes nothing.
// On both engines: PostgreSQL has write paths of its own (objects/single_statement.ts).
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlacement, type TestPlacement } from '../helpers/placement.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import type { PlacementDB } from '../../src/placement/db/schema.js';

const TABLES: (keyof PlacementDB)[] = [
  'resource_providers', 'resource_classes', 'traits', 'inventories', 'allocations', 'consumers',
  'projects', 'users', 'consumer_types', 'placement_aggregates', 'resource_provider_aggregates',
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
      resource_provider_generation: 0, inventories: { VCPU: { total: 8 }, MEMORY_MB: { total: 4096 } },
    });
    await t.call('PUT', `/allocations/${CONSUMER}`, {
      allocations: { [RP]: { resources: { VCPU: 1 } } }, project_id: 'p', user_id: 'u',
      consumer_generation: null, consumer_type: 'INSTANCE',
    });
  });
  afterAll(async () => {
    await t?.close();
    if (databaseUrl) pg?.stop();
  });

  const segment = fc.oneof(
    fc.constant(RP), fc.constant(CONSUMER), fc.uuid(), fc.constantFrom('VCPU', 'CUSTOM_X', 'HW_CPU_X86_AVX2', 'x'),
    fc.string({ maxLength: 12 }).map(encodeURIComponent),
  );
  const path = fc.oneof(
    fc.constantFrom('/', '/resource_providers', '/resource_classes', '/traits', '/allocations',
      '/allocation_candidates', '/usages', '/reshaper'),
    fc.tuple(fc.constantFrom('/resource_providers/', '/resource_classes/', '/traits/', '/allocations/'), segment)
      .map(([a, b]) => a + b),
    fc.tuple(segment, fc.constantFrom('/inventories', '/aggregates', '/traits', '/usages', '/allocations',
      '/inventories/VCPU', '/inventories/CUSTOM_NOPE'))
      .map(([s, tail]) => `/resource_providers/${s}${tail}`),
  );
  const query = fc.dictionary(
    fc.constantFrom('resources', 'required', 'member_of', 'in_tree', 'limit', 'name', 'uuid', 'group_policy',
      'project_id', 'user_id', 'root_required', 'same_subtree', 'resources1', 'consumer_type', 'associated'),
    fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('VCPU:1', 'in:a,b', '!X', '-1', 'VCPU:1,MEMORY_MB:x')),
    { maxKeys: 3 },
  ).map((q) => new URLSearchParams(q).toString());
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.record({
      name: fc.oneof(fc.string(), fc.integer()), uuid: fc.oneof(fc.uuid(), fc.string()),
      resource_provider_generation: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
      inventories: fc.dictionary(fc.constantFrom('VCPU', 'BOGUS', 'CUSTOM_X'),
        fc.record({ total: fc.oneof(fc.integer(), fc.double(), fc.string()), reserved: fc.integer() })),
      allocations: fc.jsonValue({ maxDepth: 3 }), traits: fc.array(fc.string()), aggregates: fc.array(fc.string()),
    }, { requiredKeys: [] }),
  );
  const version = fc.constantFrom('latest', '1.0', '1.10', '1.14', '1.20', '1.28', '1.38', '1.39', '0.9', '1.99', 'x');

  it.skipIf(skip)(`holds for random requests${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), path, query, fc.option(body), version,
      async (method, p, q, b, v) => {
        const before = await fingerprint(t);
        const res = await t.call(method, q ? `${p}?${q}` : p, b ?? undefined, { 'openstack-api-version': `placement ${v}` });
        expect(res.status, `${method} ${p}?${q} -> ${JSON.stringify(res.body)}`).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.body?.errors?.[0]?.status).toBe(res.status);
          expect(await fingerprint(t)).toBe(before);
        }
      },
    ), { numRuns: Number(process.env.FUZZ_RUNS ?? 400) });
  });

  it.skipIf(skip)('leaves no new aggregate behind when a write to a new aggregate is refused', async () => {
    // A provider of its own: the random requests above may have deleted the seeded one.
    const rp = '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d';
    expect((await t.call('POST', '/resource_providers', { name: 'aggregate-target', uuid: rp })).status).toBeLessThan(300);
    const before = await fingerprint(t);
    const generation = (await t.call('GET', `/resource_providers/${rp}`)).body.generation;
    const res = await t.call('PUT', `/resource_providers/${rp}/aggregates`,
      { resource_provider_generation: generation + 5, aggregates: ['0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b'] },
      { 'openstack-api-version': 'placement 1.19' });
    expect(res.status).toBe(409);
    expect(await fingerprint(t)).toBe(before);
  });
});
