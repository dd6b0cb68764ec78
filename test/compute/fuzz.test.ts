// Property: whatever the request to the compute API (route, method, body, content type, query,
// caller, microversion; any Unicode text, NUL and unpaired surrogates included), it is answered
// below 500, a 4xx carries Nova's fault body, text no service accepts is a 400, and a 4xx changes
// nothing in the tables of flavors, key pairs, quotas and aggregates. Also with many requests at
// once on the same resources. On both engines.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComputeDB } from '../../src/compute/db/schema.js';
import { encodeSegment, mustRefuse, notUtf8, queryString, sendAll, text } from '../helpers/fuzz.js';
import { ADMIN, as, computeEngines, insertComputeHost, insertInstance, type TestCompute } from '../helpers/compute.js';

const TABLES: (keyof ComputeDB)[] = [
  'flavors',
  'flavor_extra_specs',
  'flavor_projects',
  'key_pairs',
  'quotas',
  'project_user_quotas',
  'quota_classes',
  'aggregates',
  'aggregate_hosts',
  'aggregate_metadata',
];

async function fingerprint(t: TestCompute): Promise<string> {
  const h = createHash('sha256');
  for (const table of TABLES) {
    const rows = await t.compute.db.selectFrom(table).selectAll().execute();
    h.update(
      `${table}:${rows
        .map((r) => JSON.stringify(r))
        .sort()
        .join('\n')}`,
    );
  }
  return h.digest('hex');
}

const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsFTlMf1t4eFVdsoUMxj5bCGRK3QMD1NoBMtRXbm4AK me@host';
const { engines, stop } = computeEngines();
afterAll(stop);

describe.each(engines)('compute fuzz ($name): bad input never 5xx and never changes anything', ({ skip, start }) => {
  let t: TestCompute;
  let aggregate = 1;
  beforeAll(async () => {
    if (skip) return;
    t = await start();
    // Something of everything, so that requests reach deep code.
    await t.call('POST', '/v2.1/flavors', { flavor: { name: 'tiny', id: 'tiny', ram: 512, vcpus: 1, disk: 1 } });
    await t.call('POST', '/v2.1/flavors', {
      flavor: { name: 'priv', id: 'priv', ram: 512, vcpus: 1, disk: 1, 'os-flavor-access:is_public': false },
    });
    await t.call('POST', '/v2.1/flavors/tiny/os-extra_specs', { extra_specs: { 'hw:cpu_policy': 'shared' } });
    await t.call('POST', '/v2.1/flavors/priv/action', { addTenantAccess: { tenant: 'p1' } });
    await t.call('POST', '/v2.1/os-keypairs', { keypair: { name: 'k1', public_key: PUBLIC_KEY } }, as('alice', 'p1'));
    await t.call('PUT', '/v2.1/os-quota-sets/p1?user_id=alice', { quota_set: { key_pairs: 3 } });
    await insertComputeHost(t.compute.db, 'cmp1');
    await insertComputeHost(t.compute.db, 'cmp2');
    await insertInstance(t, {
      project_id: 'p1',
      user_id: 'alice',
      vcpus: 1,
      memory_mb: 512,
      launched_at: '2026-01-01T00:00:00Z',
    });
    aggregate = (await t.call('POST', '/v2.1/os-aggregates', { aggregate: { name: 'a1', availability_zone: 'az1' } }))
      .body.aggregate.id;
    await t.call('POST', `/v2.1/os-aggregates/${aggregate}/action`, { add_host: { host: 'cmp1' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const segment = (known: string[]) => fc.oneof(fc.constantFrom(...known), text(10).map(encodeSegment));
  const path = fc.oneof(
    fc.constantFrom(
      '/v2.1/flavors',
      '/v2.1/flavors/detail',
      '/v2.1/os-keypairs',
      '/v2.1/limits',
      '/v2.1/os-aggregates',
      '/v2.1/os-availability-zone',
      '/v2.1/os-availability-zone/detail',
      '/v2.1/os-simple-tenant-usage',
    ),
    segment(['tiny', 'priv', 'nope']).map((f) => `/v2.1/flavors/${f}`),
    fc
      .tuple(
        segment(['tiny', 'priv']),
        fc.constantFrom(
          '/os-extra_specs',
          '/os-extra_specs/hw:cpu_policy',
          '/os-extra_specs/x',
          '/os-flavor-access',
          '/action',
        ),
      )
      .map(([f, tail]) => `/v2.1/flavors/${f}${tail}`),
    segment(['k1', 'nope']).map((k) => `/v2.1/os-keypairs/${k}`),
    fc
      .tuple(segment(['p1', 'p2']), fc.constantFrom('', '/defaults', '/detail'))
      .map(([p, tail]) => `/v2.1/os-quota-sets/${p}${tail}`),
    segment(['default', 'gold']).map((c) => `/v2.1/os-quota-class-sets/${c}`),
    fc
      .tuple(
        fc.oneof(fc.constantFrom('1', '2', '-1', '99999999999999999999'), text(6).map(encodeSegment)),
        fc.constantFrom('', '/action'),
      )
      .map(([a, tail]) => `/v2.1/os-aggregates/${a}${tail}`),
    segment(['p1', 'p2']).map((p) => `/v2.1/os-simple-tenant-usage/${p}`),
  );
  const query = fc
    .dictionary(
      fc.constantFrom(
        'limit',
        'marker',
        'user_id',
        'tenant_id',
        'is_public',
        'minRam',
        'sort_key',
        'sort_dir',
        'start',
        'end',
        'detailed',
        'x',
      ),
      fc.oneof(text(12), fc.constantFrom('-1', '0', '1', 'alice', 'k1', 'none', '2026-01-01T00:00:00', 'tiny')),
      { maxKeys: 3 },
    )
    .map(queryString);
  const limit = fc.oneof(fc.integer({ min: -3, max: 2 ** 32 }), fc.constantFrom('5', '-1', 'x', null, true, 1.5));
  const body = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc
      .record(
        {
          name: fc.oneof(text(), fc.constantFrom('tiny', 'k1', 'a1', '')),
          id: fc.oneof(text(), fc.integer()),
          ram: limit,
          vcpus: limit,
          disk: limit,
          swap: limit,
          rxtx_factor: limit,
          'os-flavor-access:is_public': fc.constantFrom(true, 'no', 'x'),
          description: fc.oneof(text(), fc.constant(null)),
        },
        { requiredKeys: [] },
      )
      .map((f) => JSON.stringify({ flavor: f })),
    fc
      .tuple(
        fc.boolean(),
        fc.dictionary(
          fc.oneof(text(), fc.constantFrom('hw:cpu_policy', 'resources:VCPU', 'trait:CUSTOM_X', 'group_policy')),
          fc.oneof(text(), fc.integer(), fc.constantFrom('dedicated', 'required', '1', null)),
          { maxKeys: 3 },
        ),
      )
      .map(([wrapped, specs]) => JSON.stringify(wrapped ? { extra_specs: specs } : specs)),
    fc
      .record(
        {
          name: fc.oneof(text(), fc.constantFrom('k2', 'k1', 'a@b')),
          public_key: fc.oneof(text(40), fc.constant(PUBLIC_KEY)),
          type: fc.constantFrom('ssh', 'x509', 'pgp'),
          user_id: fc.oneof(text(), fc.constantFrom('alice', 'bob')),
        },
        { requiredKeys: [] },
      )
      .map((k) => JSON.stringify({ keypair: k })),
    fc
      .tuple(
        fc.constantFrom('quota_set', 'quota_class_set'),
        fc.dictionary(
          fc.constantFrom('instances', 'cores', 'ram', 'key_pairs', 'networks', 'floating_ips', 'force', 'x'),
          limit,
          { maxKeys: 3 },
        ),
      )
      .map(([key, q]) => JSON.stringify({ [key]: q })),
    fc
      .record(
        {
          name: fc.oneof(text(), fc.constantFrom('a1', 'a2')),
          availability_zone: fc.oneof(text(), fc.constantFrom('az1', 'az2', null)),
        },
        { requiredKeys: [] },
      )
      .map((a) => JSON.stringify({ aggregate: a })),
    fc
      .tuple(
        fc.constantFrom('add_host', 'remove_host', 'set_metadata', 'addTenantAccess', 'removeTenantAccess', 'x'),
        fc.oneof(text(), fc.constantFrom('cmp1', 'cmp2', 'nowhere', 'p1', 'p2')),
        fc.dictionary(
          fc.oneof(text(), fc.constantFrom('availability_zone', 'ssd')),
          fc.oneof(text(), fc.constant(null)),
          { maxKeys: 2 },
        ),
      )
      .map(([action, v, metadata]) =>
        JSON.stringify({
          [action]: action === 'set_metadata' ? { metadata } : action.endsWith('Access') ? { tenant: v } : { host: v },
        }),
      ),
    text(30),
    notUtf8,
  );
  const ctype = fc.constantFrom('application/json', 'text/plain', 'application/xml');
  const caller = fc.constantFrom(ADMIN, as('alice', 'p1'), as('bob', 'p2', ['reader']), as('carol', 'p1', []));
  const version = fc.constantFrom(
    '2.1',
    '2.2',
    '2.10',
    '2.35',
    '2.36',
    '2.40',
    '2.41',
    '2.50',
    '2.55',
    '2.57',
    '2.75',
    '2.86',
    '2.91',
    'latest',
    'x',
  );

  type Request = [string, string, string, string | Buffer | null, string, Record<string, string>, string];
  const send = async ([method, p, q, b, type, who, v]: Request) => {
    const url = q ? `${p}?${q}` : p;
    const res = await t.call(method, url, b ?? undefined, {
      ...who,
      'content-type': type,
      'openstack-api-version': `compute ${v}`,
    });
    const what = `${method} ${url} ${v} ${type} ${JSON.stringify(b)} -> ${res.status} ${res.text}`;
    expect(res.status, what).toBeLessThan(500);
    if (res.status >= 400) {
      const fault =
        res.body && typeof res.body === 'object'
          ? (Object.values(res.body as object)[0] as { code?: number })
          : undefined;
      expect(fault?.code, what).toBe(res.status);
    }
    if (mustRefuse(method, url, b)) expect(res.status, what).toBe(400);
    return res.status;
  };
  const request = fc.tuple(
    fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
    path,
    query,
    fc.option(body),
    ctype,
    caller,
    version,
  );

  it.skipIf(skip)(
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
    120000,
  );

  // Well-formed writes on the same few things, so that concurrent ones race: key pairs of one
  // name (and one quota), extra specs set and deleted, hosts added to and removed from an
  // aggregate, a quota moving under its user's.
  const write = fc
    .oneof(
      fc
        .constantFrom('k2', 'k3', 'k4')
        .map((n) => [
          'POST',
          '/v2.1/os-keypairs',
          JSON.stringify({ keypair: { name: n, public_key: PUBLIC_KEY } }),
          as('alice', 'p1'),
        ]),
      fc.constantFrom('k2', 'k3').map((n) => ['DELETE', `/v2.1/os-keypairs/${n}`, null, as('alice', 'p1')]),
      fc
        .constantFrom('dedicated', 'shared')
        .map((v) => [
          'POST',
          '/v2.1/flavors/tiny/os-extra_specs',
          JSON.stringify({ extra_specs: { 'hw:cpu_policy': v } }),
          ADMIN,
        ]),
      fc.constant(['DELETE', '/v2.1/flavors/tiny/os-extra_specs/hw:cpu_policy', null, ADMIN]),
      fc
        .tuple(fc.constantFrom('add_host', 'remove_host'), fc.constantFrom('cmp1', 'cmp2'))
        .map(([a, h]) => [
          'POST',
          `/v2.1/os-aggregates/${aggregate}/action`,
          JSON.stringify({ [a]: { host: h } }),
          ADMIN,
        ]),
      fc
        .integer({ min: 1, max: 4 })
        .map((n) => ['PUT', '/v2.1/os-quota-sets/p1', JSON.stringify({ quota_set: { key_pairs: n } }), ADMIN]),
    )
    .map(([m, p, b, who]) => [m, p, '', b, 'application/json', who, 'latest'] as Request);

  it.skipIf(skip)(
    'holds for concurrent requests on the same resources',
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
            if (statuses.every((s) => s >= 400)) expect(await fingerprint(t)).toBe(before);
          },
        ),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 300) / 5, endOnFailure: true },
      );
    },
    120000,
  );
});
