// Allocation candidate behaviour that the upstream suite leaves open: how limit relates to the
// full answer (with and without randomisation), and that usage and sharing are accounted for.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlacement, type TestPlacement } from '../helpers/placement.js';

const AGG = '5f0c1a52-4d4e-4a8e-9a4b-3c2d1e0f9a8b';

async function provider(t: TestPlacement, name: string, inventories: Record<string, object>, traits: string[] = []) {
  const uuid = randomUUID();
  expect((await t.call('POST', '/resource_providers', { name, uuid })).status).toBe(200);
  expect(
    (
      await t.call('PUT', `/resource_providers/${uuid}/inventories`, {
        resource_provider_generation: 0,
        inventories,
      })
    ).status,
  ).toBe(200);
  let generation = 1;
  if (traits.length) {
    expect(
      (
        await t.call('PUT', `/resource_providers/${uuid}/traits`, {
          resource_provider_generation: generation++,
          traits,
        })
      ).status,
    ).toBe(200);
  }
  return { uuid, generation };
}

const uuidsOf = (body: any) => body.allocation_requests.map((r: any) => Object.keys(r.allocations)[0]);

describe('allocation candidates', () => {
  let t: TestPlacement;
  const hosts: string[] = [];
  beforeAll(async () => {
    t = await startPlacement();
    for (let i = 0; i < 12; i++)
      hosts.push((await provider(t, `hv${i}`, { VCPU: { total: 8 }, MEMORY_MB: { total: 4096 } })).uuid);
  });
  afterAll(async () => {
    await t.close();
  });

  it('limit returns the first results of the full answer, with only their summaries', async () => {
    const full = (await t.call('GET', '/allocation_candidates?resources=VCPU:1')).body;
    expect(full.allocation_requests).toHaveLength(12);
    const limited = (await t.call('GET', '/allocation_candidates?resources=VCPU:1&limit=4')).body;
    expect(uuidsOf(limited)).toEqual(uuidsOf(full).slice(0, 4));
    expect(Object.keys(limited.provider_summaries).sort()).toEqual(uuidsOf(limited).sort());
  });

  it('with randomisation, limit samples distinct candidates among all of them', async () => {
    const r = await startPlacement({ config: { randomizeAllocationCandidates: true } });
    try {
      const all = new Set<string>();
      for (let i = 0; i < 6; i++) await provider(r, `hv${i}`, { VCPU: { total: 8 } });
      for (const p of (await r.call('GET', '/allocation_candidates?resources=VCPU:1')).body.allocation_requests) {
        all.add(Object.keys(p.allocations)[0]!);
      }
      const seen = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const got = uuidsOf((await r.call('GET', '/allocation_candidates?resources=VCPU:1&limit=2')).body);
        expect(new Set(got).size).toBe(2);
        for (const u of got) {
          expect(all.has(u)).toBe(true);
          seen.add(u);
        }
      }
      // 30 samples of 2 out of 6 all drawn from the same two would be a broken shuffle.
      expect(seen.size).toBeGreaterThan(2);
      // Without a limit: every candidate, each with its summary, in an order that changes.
      const orders = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const body = (await r.call('GET', '/allocation_candidates?resources=VCPU:1')).body;
        const got = uuidsOf(body);
        expect([...got].sort()).toEqual([...all].sort());
        expect(Object.keys(body.provider_summaries).sort()).toEqual([...all].sort());
        orders.add(got.join(','));
      }
      // 20 answers in one order out of 720 would be a missing shuffle.
      expect(orders.size).toBeGreaterThan(1);
    } finally {
      await r.close();
    }
  });

  it('counts usage: a full provider is no candidate, and summaries show what is used', async () => {
    const full = hosts[0]!;
    const put = await t.call('PUT', `/allocations/${randomUUID()}`, {
      allocations: { [full]: { resources: { VCPU: 8 } } },
      project_id: 'p',
      user_id: 'u',
      consumer_generation: null,
      consumer_type: 'INSTANCE',
    });
    expect(put.status).toBe(204);
    const body = (await t.call('GET', '/allocation_candidates?resources=VCPU:1')).body;
    expect(uuidsOf(body)).not.toContain(full);
    expect(body.allocation_requests).toHaveLength(11);
    const mem = (await t.call('GET', '/allocation_candidates?resources=MEMORY_MB:512')).body;
    expect(mem.provider_summaries[full].resources.VCPU).toEqual({ capacity: 8, used: 8 });
  });

  it("offers a sharing provider to its aggregate's trees once per distinct request", async () => {
    const s = await startPlacement();
    try {
      const cn1 = await provider(s, 'cn1', { VCPU: { total: 4 } });
      const cn2 = await provider(s, 'cn2', { VCPU: { total: 4 } });
      const disk = await provider(s, 'nfs', { DISK_GB: { total: 1000 } }, ['MISC_SHARES_VIA_AGGREGATE']);
      for (const p of [cn1, cn2, disk]) {
        expect(
          (
            await s.call('PUT', `/resource_providers/${p.uuid}/aggregates`, {
              resource_provider_generation: p.generation,
              aggregates: [AGG],
            })
          ).status,
        ).toBe(200);
      }
      const both = (await s.call('GET', '/allocation_candidates?resources=VCPU:1,DISK_GB:10')).body;
      const combos = both.allocation_requests.map((r: any) => Object.keys(r.allocations).sort().join('+')).sort();
      expect(combos).toEqual([[cn1.uuid, disk.uuid].sort().join('+'), [cn2.uuid, disk.uuid].sort().join('+')].sort());
      const diskOnly = (await s.call('GET', '/allocation_candidates?resources=DISK_GB:10')).body;
      expect(uuidsOf(diskOnly)).toEqual([disk.uuid]);
    } finally {
      await s.close();
    }
  });
});
