// Host states from Placement's candidates: each candidate root that is a compute node becomes the
// host state of that node with its service's state; roots that are no compute node are reported
// apart; nodes Placement did not offer are left out — whether the nodes are looked up one by one
// (a few candidates) or read whole (hundreds of them, most of the cloud).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { computeEngines, insertComputeHost, type TestCompute } from '../helpers/compute.js';
import { hostStates } from '../../src/compute/scheduler/host_state.js';
import type { AllocationCandidates } from '../../src/common/clients/placement/index.js';

const { engines, stop } = computeEngines();
afterAll(stop);

function candidatesFor(uuids: string[]): AllocationCandidates {
  const summaries: AllocationCandidates['provider_summaries'] = {};
  for (const u of uuids) summaries[u] = { resources: { VCPU: { capacity: 8, used: 2 } }, traits: [] };
  return {
    allocation_requests: uuids.map((u) => ({ allocations: { [u]: { resources: { VCPU: 1 } } } })),
    provider_summaries: summaries,
  };
}

describe.each(engines)('host states ($name)', ({ skip, start }) => {
  let t: TestCompute;
  const nodes: { host: string; uuid: string; disabled: boolean }[] = [];
  beforeAll(async () => {
    if (skip) return;
    t = await start();
    for (let i = 0; i < 260; i++) {
      const host = `hs${i}`;
      const disabled = i % 5 === 0;
      nodes.push({ host, disabled, uuid: await insertComputeHost(t.compute.db, host, { disabled }) });
    }
  });
  afterAll(() => t?.close());

  it.each([
    ['a few candidates', 7],
    ['most of the cloud', 240],
  ])(`maps %s to their nodes and services${skip ? ` (skipped: ${skip})` : ''}`, async (_what, n) => {
    if (skip) return;
    const offered = nodes.filter((_, i) => i % 13 !== 1).slice(0, n);
    const stranger = randomUUID();
    const { hosts, unknown } = await hostStates(
      t.compute.db,
      t.compute.engine,
      t.compute.config,
      candidatesFor([...offered.map((o) => o.uuid), stranger]),
    );
    expect(unknown).toEqual([stranger]);
    expect(hosts.map((h) => h.uuid).sort()).toEqual(offered.map((o) => o.uuid).sort());
    for (const h of hosts) {
      const node = offered.find((o) => o.uuid === h.uuid)!;
      expect(h).toMatchObject({ host: node.host, node: node.host, serviceDisabled: node.disabled, serviceUp: true });
      expect(h.free).toEqual({ VCPU: 6 });
      expect(h.allocationRequests).toHaveLength(1);
    }
  });
});
