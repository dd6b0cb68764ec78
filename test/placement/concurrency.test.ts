// Concurrent writers, on both engines, in one process and in two `concord serve placement`
// processes on one database (on SQLite one process serialises its writes, so only separate
// processes race): 500 concurrent allocation writes against providers whose total capacity is
// 300 → exactly 300 succeed. The provider writes (inventories, traits, aggregates; one
// statement each on PostgreSQL) claim the generation: of writers that read the same one exactly
// one wins, and inventory is never removed from under an allocation. Writes naming the same new
// consumers in opposite order, and concurrent creations of resource classes, never end in a 5xx.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/common/db/index.js';
import type { PlacementDB } from '../../src/placement/db/schema.js';
import { startPlacement, type TestPlacement } from '../helpers/placement.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { serve } from '../helpers/serve.js';

const PROVIDERS = 3;
const CAPACITY = 100; // VCPU per provider
const WRITERS = 500;
const IN_FLIGHT = 64; // concurrent HTTP requests at any time

type Reply = { status: number; body: any };
/** A JSON client of one server, as admin at 1.39. */
type Send = (method: string, path: string, body?: unknown) => Promise<Reply>;

function client(base: string): Send {
  return async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        'x-auth-token': 'admin',
        'openstack-api-version': 'placement 1.39',
        'content-type': 'application/json',
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

/** Providers with `total` VCPU each, created through `send`. */
async function providers(send: Send, count: number, total: number): Promise<string[]> {
  const rps: string[] = [];
  for (let i = 0; i < count; i++) {
    const uuid = randomUUID();
    expect((await send('POST', '/resource_providers', { name: `cc-${uuid}`, uuid })).status).toBe(200);
    const inv = await send('PUT', `/resource_providers/${uuid}/inventories`, {
      resource_provider_generation: 0,
      inventories: { VCPU: { total } },
    });
    expect(inv.status).toBe(200);
    rps.push(uuid);
  }
  return rps;
}

/** 500 writers against a capacity of 300, spread over the servers at `bases`. */
async function hammer(bases: string[]): Promise<void> {
  const sends = bases.map(client);
  const rps = await providers(sends[0]!, PROVIDERS, CAPACITY);
  const statuses: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < WRITERS) {
      const i = next++;
      const res = await sends[i % sends.length]!('PUT', `/allocations/${randomUUID()}`, {
        allocations: { [rps[i % PROVIDERS]!]: { resources: { VCPU: 1 } } },
        project_id: 'p1',
        user_id: 'u1',
        consumer_generation: null,
        consumer_type: 'INSTANCE',
      });
      statuses.push(res.status);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const ok = statuses.filter((s) => s === 204).length;
  expect(statuses.filter((s) => s !== 204 && s !== 409)).toEqual([]);
  expect(ok).toBe(PROVIDERS * CAPACITY);
  const last = sends[sends.length - 1]!;
  let used = 0;
  for (const rp of rps) {
    const u = await last('GET', `/resource_providers/${rp}/usages`);
    expect(u.body.usages.VCPU).toBe(CAPACITY);
    used += u.body.usages.VCPU;
  }
  const total = await last('GET', '/usages?project_id=p1');
  expect(total.body.usages.INSTANCE.VCPU).toBe(used);
}

const PAIRS = 60;

/** Two POST /allocations naming the same two new consumers in opposite order, sixty pairs at
 * once (each pair on a provider of its own), one of each pair through each server: the first of
 * a pair wins, the other waits for it and gets a 409 (its consumers exist now); no deadlock is
 * left to surface as a 5xx. */
async function oppositeOrder(bases: string[]): Promise<void> {
  const sends = bases.map(client);
  const rps = await providers(sends[0]!, PAIRS, 2);
  const write = (rp: string, first: string, second: string) =>
    Object.fromEntries(
      [first, second].map((c) => [
        c,
        {
          allocations: { [rp]: { resources: { VCPU: 1 } } },
          project_id: `p-${c}`,
          user_id: `u-${c}`,
          consumer_generation: null,
          consumer_type: 'INSTANCE',
        },
      ]),
    );
  const pairs = await Promise.all(
    rps.map(async (rp, i) => {
      const [x, y] = [randomUUID(), randomUUID()];
      return Promise.all([
        sends[i % sends.length]!('POST', '/allocations', write(rp, x, y)),
        sends[(i + 1) % sends.length]!('POST', '/allocations', write(rp, y, x)),
      ]);
    }),
  );
  expect(pairs.flat().filter((r) => r.status !== 204 && r.status !== 409)).toEqual([]);
  for (const pair of pairs) expect(pair.map((r) => r.status).sort()).toEqual([204, 409]);
  for (const r of pairs.flat().filter((x) => x.status === 409))
    expect(r.body.errors[0].code).toBe('placement.concurrent_update');
  for (const rp of rps) {
    expect((await sends[sends.length - 1]!('GET', `/resource_providers/${rp}/usages`)).body.usages.VCPU).toBe(2);
  }
}

/** Twenty concurrent creations of one new class (idempotent PUT since 1.7: one 201, then 204s),
 * and twenty of twenty different new classes (PUT and POST), spread over the servers: each
 * new class is created once, with an id of its own from 10000 on. */
async function resourceClassRace(bases: string[], db: () => Promise<{ id: number; name: string }[]>): Promise<void> {
  const sends = bases.map(client);
  const on = (i: number) => sends[i % sends.length]!;
  const same = await Promise.all(Array.from({ length: 20 }, (_, i) => on(i)('PUT', '/resource_classes/CUSTOM_RACE')));
  expect(same.map((r) => r.status).sort()).toEqual([201, ...Array(19).fill(204)]);

  const put = await Promise.all(
    Array.from({ length: 20 }, (_, i) => on(i)('PUT', `/resource_classes/CUSTOM_PUT_${i}`)),
  );
  expect(put.map((r) => r.status)).toEqual(Array(20).fill(201));
  const post = await Promise.all(
    Array.from({ length: 20 }, (_, i) => on(i)('POST', '/resource_classes', { name: `CUSTOM_POST_${i}` })),
  );
  expect(post.map((r) => r.status)).toEqual(Array(20).fill(201));

  const custom = (await db()).filter((r) => r.name.startsWith('CUSTOM_'));
  expect(custom).toHaveLength(41);
  expect(new Set(custom.map((r) => r.id)).size).toBe(41);
  expect(Math.min(...custom.map((r) => r.id))).toBe(10000);
  const listed = (await on(1)('GET', '/resource_classes')).body.resource_classes.map((r: { name: string }) => r.name);
  expect(listed).toEqual(expect.arrayContaining(custom.map((r) => r.name)));
}

/** A provider with VCPU and MEMORY_MB; its generation after that. */
async function provider(t: TestPlacement): Promise<string> {
  const uuid = randomUUID();
  expect((await t.call('POST', '/resource_providers', { name: `pw-${uuid}`, uuid })).status).toBe(200);
  expect(
    (
      await t.call('PUT', `/resource_providers/${uuid}/inventories`, {
        resource_provider_generation: 0,
        inventories: { VCPU: { total: 64 }, MEMORY_MB: { total: 65536 } },
      })
    ).status,
  ).toBe(200);
  return uuid;
}

async function providerWrites([base]: string[], t: TestPlacement): Promise<void> {
  const send = (method: string, path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        'x-auth-token': 'admin',
        'openstack-api-version': 'placement 1.39',
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    }).then((r) => r.status);

  // Same generation (1), twenty writers of each kind: one write of all sixty wins.
  const rp = await provider(t);
  const path = `/resource_providers/${rp}`;
  const attempts = Array.from({ length: 20 }, (_, i) => [
    send('PUT', `${path}/traits`, { resource_provider_generation: 1, traits: ['HW_CPU_X86_AVX2'] }),
    send('PUT', `${path}/aggregates`, { resource_provider_generation: 1, aggregates: [randomUUID()] }),
    send('PUT', `${path}/inventories`, {
      resource_provider_generation: 1,
      inventories: { VCPU: { total: 64 + i }, MEMORY_MB: { total: 65536 } },
    }),
  ]).flat();
  const statuses = await Promise.all(attempts);
  expect(statuses.filter((s) => s !== 200 && s !== 409)).toEqual([]);
  expect(statuses.filter((s) => s === 200)).toHaveLength(1);
  expect((await t.call('GET', path)).body.generation).toBe(2);

  // Removing MEMORY_MB races allocations of it: either the removal loses (409, in use or
  // generation) or the allocations find no inventory, never an allocation without inventory.
  // On the first provider some allocations exist before the race: the removal must fail.
  const race = async (rp: string, before: number) => {
    const allocate = () =>
      send('PUT', `/allocations/${randomUUID()}`, {
        allocations: { [rp]: { resources: { MEMORY_MB: 512 } } },
        project_id: 'p1',
        user_id: 'u1',
        consumer_generation: null,
        consumer_type: 'INSTANCE',
      });
    for (let i = 0; i < before; i++) expect(await allocate()).toBe(204);
    const drop = async () => {
      for (let i = 0; i < 10; i++) {
        const gen = (await t.call('GET', `/resource_providers/${rp}`)).body.generation;
        const s = await send('PUT', `/resource_providers/${rp}/inventories`, {
          resource_provider_generation: gen,
          inventories: { VCPU: { total: 64 } },
        });
        if (s !== 409) return s;
      }
      return 409;
    };
    const [dropped, ...allocated] = await Promise.all([drop(), ...Array.from({ length: 20 }, allocate)]);
    expect(allocated.filter((s) => s !== 204 && s !== 400 && s !== 409)).toEqual([]);
    const inventories = (await t.call('GET', `/resource_providers/${rp}/inventories`)).body.inventories;
    const usages = (await t.call('GET', `/resource_providers/${rp}/usages`)).body.usages;
    const made = before + allocated.filter((s) => s === 204).length;
    expect(usages.MEMORY_MB ?? 0).toBe(512 * made);
    if (made) expect(Object.keys(inventories).sort()).toEqual(['MEMORY_MB', 'VCPU']);
    return { dropped, made };
  };
  expect((await race(await provider(t), 3)).dropped).toBe(409);
  const second = await race(await provider(t), 0);
  // Once MEMORY_MB is gone no allocation of it can succeed, and before, one blocks the removal.
  if (second.dropped === 200) expect(second.made).toBe(0);
}

/** Runs `fn` against Placement listening on a socket in this process. */
async function inProcess(
  fn: (bases: string[], t: TestPlacement) => Promise<void>,
  databaseUrl?: string,
): Promise<void> {
  const t = await startPlacement(databaseUrl ? { databaseUrl } : {});
  try {
    await fn([await t.app.listen({ port: 0, host: '127.0.0.1' })], t);
  } finally {
    await t.close();
  }
}

/** Runs `fn` against two `concord serve placement` processes on one database. */
async function twoProcesses(databaseUrl: string, fn: (bases: string[]) => Promise<void>): Promise<void> {
  // One after the other: the first creates the schema.
  const servers = [];
  for (let i = 0; i < 2; i++) servers.push(await serve('placement', databaseUrl, ['--auth-strategy', 'noauth2']));
  try {
    await fn(servers.map((s) => s.base));
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** The resource classes as stored, read through a connection of the test's own. */
function classesIn(databaseUrl: string) {
  return async () => {
    const d = openDatabase<PlacementDB>(databaseUrl);
    try {
      return await d.db.selectFrom('resource_classes').select(['id', 'name']).execute();
    } finally {
      await d.close();
    }
  };
}

// Generous: the machine these run on is shared, and contention is the point.
const SLOW = 120_000;

describe('concurrent writes', () => {
  it('SQLite: exactly the capacity is allocated', () => inProcess(hammer), SLOW);

  it('SQLite: provider writes claim the generation', () => inProcess(providerWrites), SLOW);

  describe('SQLite: two processes on one database file', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'concord-cc-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    it(
      'the same new consumers in opposite order: no 5xx',
      () => twoProcesses(join(dir, 'a.sqlite'), oppositeOrder),
      SLOW,
    );
    it(
      'concurrent resource class creation',
      () => twoProcesses(join(dir, 'b.sqlite'), (bases) => resourceClassRace(bases, classesIn(join(dir, 'b.sqlite')))),
      SLOW,
    );
  });

  const skipPg = postgresUnavailable();
  describe.skipIf(skipPg)(`PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () => {
    let pg: PgCluster;
    beforeAll(async () => {
      pg = await startPostgres();
    });
    afterAll(() => pg?.stop());
    it(
      'exactly the capacity is allocated',
      async () => inProcess(hammer, await pg.createDatabase('concurrency')),
      SLOW,
    );
    it(
      'exactly the capacity is allocated, by two processes',
      async () => twoProcesses(await pg.createDatabase('concurrency_two'), hammer),
      SLOW,
    );
    it(
      'provider writes claim the generation',
      async () => inProcess(providerWrites, await pg.createDatabase('provider_writes')),
      SLOW,
    );
    it(
      'the same new consumers in opposite order, two processes: no 5xx',
      async () => twoProcesses(await pg.createDatabase('opposite_order'), oppositeOrder),
      SLOW,
    );
    it(
      'concurrent resource class creation, two processes',
      async () => {
        const url = await pg.createDatabase('rc_race');
        await twoProcesses(url, (bases) => resourceClassRace(bases, classesIn(url)));
      },
      SLOW,
    );
  });
});
