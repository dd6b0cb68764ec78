// Server lists page in SQL: every filter, the order and the marker are the database's work. A
// walk through the pages of random lists (random filters, sort keys and directions, page sizes)
// over servers with NULLs, ties and every state must give exactly what sorting and filtering the
// whole project in JavaScript gives, on both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeEngines, insertInstance, type TestCompute } from '../helpers/compute.js';
import { listInstances, SORT_KEYS, type InstanceFilters } from '../../src/compute/objects/instance_list.js';
import { statusOf, type InstanceRow } from '../../src/compute/objects/instance.js';

const { engines, stop } = computeEngines();
afterAll(stop);

const PROJECT = 'p-list';
const STATES: [string, string | null][] = [
  ['active', null],
  ['active', 'rebooting'],
  ['active', 'resize_prep'],
  ['building', 'spawning'],
  ['stopped', null],
  ['stopped', 'rebuilding'],
  ['error', null],
  ['error', 'rebuilding'],
  ['paused', 'migrating'],
  ['shelved_offloaded', null],
  ['nonsense', null],
];
const NAMES = ['weba', 'webb', 'db1', 'db2', 'ab', 'x', null];
const HOSTS = ['h1', 'h2', null];
const STAMPS = ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z'];

/** The list as it was computed before: the project's rows filtered, sorted and paged in JS. */
function reference(rows: InstanceRow[], f: InstanceFilters, sort: { key: string; dir: 'asc' | 'desc' }[]) {
  const cmp = (a: unknown, b: unknown) => {
    if (a === b) return 0;
    if (a === null || a === undefined) return -1;
    if (b === null || b === undefined) return 1;
    return a < b ? -1 : 1;
  };
  // Deleted servers: only them when asked, else none, unless a time window includes them.
  const deleted = (r: InstanceRow) =>
    f.deleted === true ? r.deleted !== 0 : f.changesSince === undefined ? r.deleted === 0 : true;
  let out = rows.filter((r) => r.project_id === PROJECT && deleted(r));
  if (f.exact.host) out = out.filter((r) => f.exact.host!.includes(r.host!));
  if (f.changesSince !== undefined) {
    const since = f.changesSince;
    out = out.filter((r) => (r.updated_at ?? r.created_at) >= since || (r.deleted_at ?? '') >= since);
  }
  if (f.name !== undefined) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(f.name);
    } catch {
      re = undefined;
    }
    out = out.filter(
      (r) => r.display_name !== null && (re ? re.test(r.display_name) : r.display_name.includes(f.name!)),
    );
  }
  if (f.statuses) {
    const wanted = new Set(f.statuses.map((s) => s.toUpperCase()));
    out = out.filter((r) => wanted.has(statusOf(r.vm_state, r.task_state)));
  }
  const lastDir = sort[sort.length - 1]!.dir;
  return out
    .sort((a, b) => {
      for (const { key, dir } of sort) {
        const c = cmp(a[key as keyof InstanceRow], b[key as keyof InstanceRow]);
        if (c) return dir === 'desc' ? -c : c;
      }
      return (lastDir === 'desc' ? -1 : 1) * cmp(a.id, b.id);
    })
    .map((r) => r.uuid);
}

const listArb = fc.record({
  sort: fc.array(
    fc.record({
      key: fc.constantFrom('created_at', 'display_name', 'host', 'launched_at', 'vm_state', 'uuid', 'locked'),
      dir: fc.constantFrom('asc' as const, 'desc' as const),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  limit: fc.integer({ min: 1, max: 9 }),
  name: fc.option(fc.constantFrom('^web', 'b$', 'db', '[', 'a|x'), { nil: undefined }),
  statuses: fc.option(
    fc.subarray([
      'ACTIVE',
      'REBOOT',
      'RESIZE',
      'BUILD',
      'SHUTOFF',
      'REBUILD',
      'ERROR',
      'MIGRATING',
      'UNKNOWN',
      'shelved_offloaded',
    ]),
    { nil: undefined },
  ),
  host: fc.option(fc.subarray(['h1', 'h2'], { minLength: 1 }), { nil: undefined }),
  since: fc.option(fc.constantFrom(...STAMPS), { nil: undefined }),
  deleted: fc.boolean(),
});

describe.each(engines)('server lists ($name)', ({ skip, start }) => {
  let t: TestCompute;
  let rows: InstanceRow[];
  beforeAll(async () => {
    if (skip) return;
    t = await start();
    // Fixed choices (mulberry32), so that a failure can be replayed: ties on every key, NULLs in
    // the nullable ones.
    let seed = 7;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), seed | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
    };
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    for (let i = 0; i < 70; i++) {
      const [vm_state, task_state] = pick(STATES);
      const uuid = await insertInstance(t, {
        project_id: i % 10 === 9 ? 'other' : PROJECT,
        user_id: 'u',
        vcpus: 1,
        memory_mb: 1,
        vm_state,
        deleted: i % 7 === 6 ? 1 : 0,
        created_at: pick(STAMPS),
        launched_at: pick([...STAMPS, null]),
      });
      await t.compute.db
        .updateTable('instances')
        .set({
          task_state,
          display_name: pick(NAMES),
          host: pick(HOSTS),
          locked: pick([0, 1]),
          updated_at: pick([...STAMPS, null]),
        })
        .where('uuid', '=', uuid)
        .execute();
    }
    rows = await t.compute.db.selectFrom('instances').selectAll().execute();
  });
  afterAll(() => t?.close());

  it.skipIf(skip)(
    `pages exactly as the whole list sorted and filtered${skip ? ` (skipped: ${skip})` : ''}`,
    async () => {
      for (const k of ['created_at', 'display_name', 'host', 'launched_at', 'vm_state', 'uuid', 'locked'])
        expect(SORT_KEYS.has(k)).toBe(true);
      await fc.assert(
        fc.asyncProperty(listArb, async (c) => {
          const f: InstanceFilters = { projectId: PROJECT, exact: c.host ? { host: c.host } : {} };
          if (c.name !== undefined) f.name = c.name;
          if (c.statuses) f.statuses = c.statuses;
          if (c.since !== undefined) f.changesSince = c.since;
          if (c.deleted) f.deleted = true;
          const want = reference(rows, f, c.sort);
          const got: string[] = [];
          let marker: string | undefined;
          for (;;) {
            const page = await listInstances(t.compute.db, t.compute.engine, f, {
              sort: c.sort,
              limit: c.limit,
              ...(marker !== undefined ? { marker } : {}),
            });
            got.push(...page.map((i) => i.uuid));
            // A marker that does not move the page on would page forever.
            if (page.length < c.limit || got.length > want.length) break;
            marker = page[page.length - 1]!.uuid;
          }
          expect(got).toEqual(want);
        }),
        { numRuns: 300 },
      );
    },
  );
});
