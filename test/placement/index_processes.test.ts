// Three `concord serve placement` processes on one database take a seeded random sequence of
// writes — providers (with parents), inventories, traits, aggregates, allocations, resource
// classes (created and renamed), deletions — each through a random process, a few at a time.
// After every step each process answers listings, allocation candidates, resource classes,
// traits and usages exactly as the others do, and lists exactly the providers the database
// holds; at checkpoints a freshly started process (which loads everything) answers the same,
// then replaces the oldest. On the way the clock moves past the change log's retention period
// with reads all along (pruning), then jumps without reads (reloads); on PostgreSQL a
// transaction that wrote to the catalog stays open for most of the run.
//
// A failure names its seed: CONCORD_INDEX_SEED=<seed> replays the same sequence of writes.
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANGE_RETENTION_MS } from '../../src/placement/provider_index/changes.js';
import { placementCluster, type PlacementCluster, type PlacementProcess } from '../helpers/placement_process.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const STEPS = 30;
const CHECKPOINT_EVERY = 10;
const PROCESSES = 3;
/** The step after which the clock walks past the retention period, and after which it jumps. */
const QUIET_AT = 10;
const JUMP_AT = 20;
const LATE_TRAIT = 'CUSTOM_COMMITTED_LATE';

/** mulberry32: small, seedable, good enough to pick writes. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)]!;
  const some = <T>(items: T[]): T[] => items.filter(() => next() < 0.5);
  return {
    next,
    int,
    pick,
    some,
    uuid: () => {
      const hex = Array.from({ length: 32 }, () => int(0, 15).toString(16)).join('');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
    },
  };
}
type Random = ReturnType<typeof random>;

const AGGREGATES = [
  '5a1d8b2e-1c1f-4a50-9d5c-0e1f2a3b4c5d',
  '6b2e9c3f-2d20-4b61-8e6d-1f2a3b4c5d6e',
  '7c3fad40-3e31-4c72-9f7e-2a3b4c5d6e7f',
];
const PROJECTS = ['proj-a', 'proj-b'];

/** What the writes know of the cloud. Writes are picked from it; it follows the database at
 * every check (concurrent writes race: two renames of one class may both succeed). */
interface Known {
  /** Every provider uuid a write ever created or tried to (the database is asked which exist). */
  created: string[];
  /** The providers that existed at the last check. */
  providers: string[];
  consumers: string[];
  /** The custom resource classes at the last check, and those created since. */
  classes: string[];
  traits: string[];
}

type Write = { label: string; run(p: PlacementProcess): Promise<number> };

function generation(p: PlacementProcess, rp: string) {
  return p
    .call('GET', `/resource_providers/${rp}`)
    .then((r) => (r.status === 200 ? (r.body.generation as number) : null));
}

function randomInventories(r: Random, known: Known) {
  const classes = r.some(['VCPU', 'MEMORY_MB', 'DISK_GB', ...known.classes]);
  const totals: Record<string, number> = { VCPU: r.int(1, 16), MEMORY_MB: r.int(1, 16) * 512, DISK_GB: r.int(10, 200) };
  return Object.fromEntries(classes.map((c) => [c, { total: totals[c] ?? r.int(1, 4) }]));
}

/** A random write. It reads what it needs (generations, inventories) through the process it
 * writes through, from the database. */
function randomWrite(r: Random, known: Known): Write {
  const rp = () => r.pick(known.providers);
  const createClass = (): Write => {
    const name = `CUSTOM_RC_${r.int(0, 9999)}`;
    return {
      label: `create class ${name}`,
      run: async (p) => {
        const status = (await p.call('PUT', `/resource_classes/${name}`)).status;
        if (status === 201) known.classes.push(name);
        return status;
      },
    };
  };
  const kinds: [number, () => Write][] = [
    [
      3,
      () => {
        const uuid = r.uuid();
        const parent = known.providers.length && r.next() < 0.3 ? rp() : null;
        const inventories = r.next() < 0.7 ? randomInventories(r, known) : null;
        known.created.push(uuid);
        known.providers.push(uuid);
        return {
          label: `create provider ${uuid} under ${parent} with ${JSON.stringify(inventories)}`,
          run: async (p) => {
            const { status } = await p.call('POST', '/resource_providers', {
              name: `rp-${uuid.slice(0, 8)}`,
              uuid,
              parent_provider_uuid: parent,
            });
            if (status !== 200 || !inventories) return status;
            return (
              await p.call('PUT', `/resource_providers/${uuid}/inventories`, {
                resource_provider_generation: 0,
                inventories,
              })
            ).status;
          },
        };
      },
    ],
    [
      3,
      () => {
        const u = rp();
        const inventories = randomInventories(r, known);
        return {
          label: `inventories of ${u}: ${JSON.stringify(inventories)}`,
          run: async (p) => {
            const gen = await generation(p, u);
            if (gen === null) return 404;
            return (
              await p.call('PUT', `/resource_providers/${u}/inventories`, {
                resource_provider_generation: gen,
                inventories,
              })
            ).status;
          },
        };
      },
    ],
    [
      2,
      () => {
        const u = rp();
        const traits = r.some(['HW_CPU_X86_AVX2', 'HW_CPU_X86_SSE42', 'STORAGE_DISK_SSD', ...known.traits]);
        return {
          label: `traits of ${u}: ${traits.join(',')}`,
          run: async (p) => {
            const gen = await generation(p, u);
            if (gen === null) return 404;
            return (
              await p.call('PUT', `/resource_providers/${u}/traits`, { resource_provider_generation: gen, traits })
            ).status;
          },
        };
      },
    ],
    [
      2,
      () => {
        const u = rp();
        const aggregates = r.some(AGGREGATES);
        return {
          label: `aggregates of ${u}: ${aggregates.join(',')}`,
          run: async (p) => {
            const gen = await generation(p, u);
            if (gen === null) return 404;
            return (
              await p.call('PUT', `/resource_providers/${u}/aggregates`, {
                resource_provider_generation: gen,
                aggregates,
              })
            ).status;
          },
        };
      },
    ],
    [
      5,
      () => {
        const existing = known.consumers.length > 0 && r.next() < 0.3;
        const consumer = existing ? r.pick(known.consumers) : r.uuid();
        if (!existing) known.consumers.push(consumer);
        const targets = [...new Set([rp(), rp()].slice(0, r.int(1, 2)))];
        const project = r.pick(PROJECTS);
        const share = r.next();
        return {
          label: `allocate ${consumer} on ${targets.join(',')}`,
          run: async (p) => {
            const allocations: Record<string, { resources: Record<string, number> }> = {};
            for (const t of targets) {
              const inv = await p.call('GET', `/resource_providers/${t}/inventories`);
              if (inv.status !== 200) return inv.status;
              const resources = Object.fromEntries(
                Object.entries(inv.body.inventories as Record<string, { total: number }>).map(([rc, i]) => [
                  rc,
                  Math.max(1, Math.floor((i.total * share) / 2)),
                ]),
              );
              if (Object.keys(resources).length) allocations[t] = { resources };
            }
            if (!Object.keys(allocations).length) return 400;
            const current = await p.call('GET', `/allocations/${consumer}`);
            return (
              await p.call('PUT', `/allocations/${consumer}`, {
                allocations,
                project_id: project,
                user_id: 'user',
                consumer_type: 'INSTANCE',
                consumer_generation: current.body.consumer_generation ?? null,
              })
            ).status;
          },
        };
      },
    ],
    [
      1,
      () => {
        const consumer = known.consumers.length ? r.pick(known.consumers) : r.uuid();
        return {
          label: `delete allocations of ${consumer}`,
          run: async (p) => (await p.call('DELETE', `/allocations/${consumer}`)).status,
        };
      },
    ],
    [1, createClass],
    [
      2,
      () => {
        if (!known.classes.length) return createClass();
        const from = r.pick(known.classes);
        const to = `CUSTOM_RENAMED_${r.int(0, 9999)}`;
        return {
          label: `rename class ${from} to ${to}`,
          run: async (p) => {
            // Renaming exists from 1.2 to 1.6 only.
            return (await p.call('PUT', `/resource_classes/${from}`, { name: to }, '1.6')).status;
          },
        };
      },
    ],
    [
      1,
      () => {
        const name = `CUSTOM_TRAIT_${r.int(0, 9999)}`;
        return {
          label: `create trait ${name}`,
          run: async (p) => {
            const status = (await p.call('PUT', `/traits/${name}`)).status;
            if (status === 201) known.traits.push(name);
            return status;
          },
        };
      },
    ],
    [
      1,
      () => {
        const u = rp();
        const name = `renamed-${r.int(0, 9999)}`;
        const parent = r.next() < 0.5 ? rp() : null;
        return {
          label: `update provider ${u}: ${name} under ${parent}`,
          run: async (p) =>
            (await p.call('PUT', `/resource_providers/${u}`, { name, parent_provider_uuid: parent })).status,
        };
      },
    ],
    [
      1,
      () => {
        const u = rp();
        return {
          label: `delete provider ${u}`,
          run: async (p) => (await p.call('DELETE', `/resource_providers/${u}`)).status,
        };
      },
    ],
  ];
  const usable = known.providers.length ? kinds : kinds.slice(0, 1);
  let roll = r.next() * usable.reduce((n, [w]) => n + w, 0);
  for (const [w, make] of usable) {
    roll -= w;
    if (roll < 0) return make();
  }
  return usable[0]![1]();
}

/** Everything a process answers from its provider index, plus the catalog and usages, in a
 * form two processes' answers compare in: lists sorted, error bodies reduced to their detail. */
async function view(p: PlacementProcess, known: Known) {
  const answer = async (path: string, shape: (body: any) => unknown) => {
    const res = await p.call('GET', path);
    return res.status === 200 ? shape(res.body) : { status: res.status, detail: res.body?.errors?.[0]?.detail };
  };
  const byJson = (items: unknown[]) => items.map((i) => JSON.stringify(i)).sort();
  const providers = (path: string) =>
    answer(path, (b) => [...b.resource_providers].sort((x, y) => x.uuid.localeCompare(y.uuid)));
  const candidates = (query: string) =>
    answer(`/allocation_candidates?${query}`, (b) => ({
      requests: byJson(b.allocation_requests),
      summaries: b.provider_summaries,
    }));
  // The queries go out together: the answers cannot differ, no write runs meanwhile.
  const queries: [string, Promise<unknown>][] = [
    ...[
      '',
      '?required=HW_CPU_X86_AVX2',
      '?required=!STORAGE_DISK_SSD',
      `?member_of=in:${AGGREGATES[0]},${AGGREGATES[1]}`,
      '?resources=VCPU:2,MEMORY_MB:1024',
      `?required=${LATE_TRAIT}`,
    ].map((q): [string, Promise<unknown>] => [`providers${q}`, providers(`/resource_providers${q}`)]),
    ...[
      'resources=VCPU:1',
      'resources=VCPU:1,MEMORY_MB:512&required=HW_CPU_X86_AVX2',
      `resources=DISK_GB:10&member_of=${AGGREGATES[2]}`,
      'resources1=VCPU:1&resources2=DISK_GB:5&group_policy=none',
      ...known.classes.slice(-3).map((c) => `resources=${c}:1`),
    ].map((q): [string, Promise<unknown>] => [q, candidates(q)]),
    ['classes', answer('/resource_classes', (b) => b.resource_classes.map((c: any) => c.name).sort())],
    ['traits', answer('/traits', (b) => [...b.traits].sort())],
    ...PROJECTS.map((project): [string, Promise<unknown>] => [
      `usages ${project}`,
      answer(`/usages?project_id=${project}`, (b) => b.usages),
    ]),
  ];
  const out: Record<string, unknown> = {};
  for (const [key, value] of queries) out[key] = await value;
  return out;
}

/** The providers the database holds, read one by one through the routes that read the
 * database rather than the index: each one as listed, and as a candidates summary (1.39) names
 * it. */
async function stored(p: PlacementProcess, known: Known) {
  const one = async (uuid: string) => {
    const rp = await p.call('GET', `/resource_providers/${uuid}`);
    if (rp.status !== 200) return null;
    const [inventories, usages, traits] = await Promise.all(
      ['inventories', 'usages', 'traits'].map(
        async (what) => (await p.call('GET', `/resource_providers/${uuid}/${what}`)).body[what],
      ),
    );
    return {
      listed: rp.body,
      summary: {
        resources: Object.fromEntries(
          Object.entries(inventories as Record<string, any>).map(([rc, i]) => [
            rc,
            {
              capacity: Math.trunc((i.total - i.reserved) * i.allocation_ratio),
              used: usages[rc] ?? 0,
            },
          ]),
        ),
        traits: [...traits].sort(),
        parent_provider_uuid: rp.body.parent_provider_uuid,
        root_provider_uuid: rp.body.root_provider_uuid,
      },
    };
  };
  const found = (await Promise.all([...new Set(known.created)].map(one))).filter((f) => f !== null);
  return {
    listed: found.map((f) => f.listed).sort((x, y) => x.uuid.localeCompare(y.uuid)),
    summaries: Object.fromEntries(found.map((f) => [f.listed.uuid, f.summary])),
  };
}

async function run(cluster: PlacementCluster, seed: number, late: { commit(): Promise<void> } | null) {
  const r = random(seed);
  const known: Known = { created: [], providers: [], consumers: [], classes: [], traits: [] };
  const history: string[] = [];
  const where = (what: string) => `seed ${seed}: ${what}\n${history.slice(-12).join('\n')}`;
  await cluster.start(PROCESSES - cluster.processes.length);

  const check = async (label: string) => {
    const views = await Promise.all(cluster.processes.map((p) => view(p, known)));
    const truth = await stored(cluster.processes[0]!, known);
    for (const [i, p] of cluster.processes.entries()) {
      expect(views[i]!['providers'], where(`${label}: ${p.name} lists what the database holds`)).toEqual(truth.listed);
      expect(views[i], where(`${label}: ${p.name} answers as ${cluster.processes[0]!.name}`)).toEqual(views[0]);
    }
    for (const [query, answer] of Object.entries(views[0]!)) {
      const summaries = (answer as { summaries?: Record<string, unknown> }).summaries ?? {};
      for (const [uuid, summary] of Object.entries(summaries)) {
        expect(summary, where(`${label}: ${query} sums up ${uuid} as the database holds it`)).toEqual(
          truth.summaries[uuid],
        );
      }
    }
    return views[0]!;
  };
  /** What the next writes pick from: what the database holds now. */
  /** The most providers any check saw: the walk must have built a cloud at some point (it may
   * delete most of it again before the end: seed 189767979 ends with 3). */
  let mostProviders = 0;
  const follow = (reference: Record<string, unknown>) => {
    known.providers = (reference['providers'] as { uuid: string }[]).map((p) => p.uuid);
    mostProviders = Math.max(mostProviders, known.providers.length);
    known.classes = (reference['classes'] as string[]).filter((c) => c.startsWith('CUSTOM_'));
  };
  const checkpoint = async (label: string) => {
    const reference = await check(label);
    const oldest = cluster.processes[0]!;
    const [fresh] = await cluster.start(1);
    expect(reference, where(`${label}: answers as a freshly started ${fresh!.name}`)).toEqual(
      await view(fresh!, known),
    );
    await cluster.stop(oldest);
    return reference;
  };

  let shift = 0;
  for (let step = 1; step <= STEPS; step++) {
    const writes = Array.from({ length: r.int(1, 3) }, () => ({
      write: randomWrite(r, known),
      via: r.pick(cluster.processes),
    }));
    const statuses = await Promise.all(writes.map(({ write, via }) => write.run(via)));
    writes.forEach(({ write, via }, i) =>
      history.push(`step ${step} via ${via.name}: ${write.label} → ${statuses[i]}`),
    );
    if (step === QUIET_AT) {
      // Reads keep coming while the change log ages past its retention and is pruned: no
      // process ever reloads, so the cursors alone must find the writes that follow.
      const walk = CHANGE_RETENTION_MS / 2 - 60_000;
      for (const end = shift + CHANGE_RETENTION_MS + walk; shift < end;) {
        cluster.shiftClock((shift += walk));
        history.push(`step ${step}: clock +${shift / 60_000} min`);
        await check(`step ${step}, clock +${shift / 60_000} min`);
      }
    }
    if (step === JUMP_AT) {
      // Nobody reads for longer than a cursor is trusted: every process reloads.
      cluster.shiftClock((shift += CHANGE_RETENTION_MS / 2 + 60_000));
      history.push(`step ${step}: clock +${shift / 60_000} min`);
    }
    if (late && step === JUMP_AT + 2) {
      await late.commit();
      history.push(`step ${step}: the long transaction committed`);
    }
    follow(step % CHECKPOINT_EVERY === 0 ? await checkpoint(`step ${step}`) : await check(`step ${step}`));
  }
  // Not vacuous: the writes did build a cloud.
  follow(await check('end'));
  expect(mostProviders, where('most providers at a check')).toBeGreaterThan(3);
  expect(history.filter((h) => / → 20[014]$/.test(h)).length, where('successful writes')).toBeGreaterThan(STEPS / 2);
}

const seed = Number(process.env.CONCORD_INDEX_SEED ?? randomInt(2 ** 31));
const skipPg = postgresUnavailable();
let cluster: PgCluster | undefined;
let dir: string;
beforeAll(async () => {
  console.log(`index_processes: seed ${seed} (CONCORD_INDEX_SEED=${seed} replays it)`);
  dir = mkdtempSync(join(tmpdir(), 'concord-idx-random-'));
  if (!skipPg) cluster = await startPostgres();
});
afterAll(() => {
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('provider indexes of several processes under random writes', () => {
  it('SQLite: every process answers as a fresh one after every step', async () => {
    const placement = placementCluster(join(dir, 'placement.sqlite'));
    try {
      await run(placement, seed, null);
    } finally {
      await placement.stopAll();
    }
  }, 240_000);

  it.skipIf(skipPg)(
    'PostgreSQL: every process answers as a fresh one after every step',
    async () => {
      const url = await cluster!.createDatabase('index_random');
      const placement = placementCluster(url);
      // A transaction that wrote (a trait: a catalog change) and stays open holds every
      // process's horizon back, and its change commits long after later ones.
      const late = new pg.Client({ connectionString: url });
      try {
        await placement.start(1);
        await late.connect();
        await late.query('BEGIN');
        await late.query('INSERT INTO traits (name, created_at) VALUES ($1, $2)', [
          LATE_TRAIT,
          new Date().toISOString(),
        ]);
        await run(placement, seed, {
          commit: async () => {
            await late.query('COMMIT');
          },
        });
      } finally {
        await late.end();
        await placement.stopAll();
      }
    },
    240_000,
  );
});
