// The fake virt driver: its nodes and their resources from [fake_driver], guests as power states,
// idempotent operations, spawn_fail_hosts making every spawn on a host fail, spawn_delay and
// snapshot_delay slowing spawns and snapshots.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/common/config.js';
import { PowerState, type GuestSpec } from '../../src/compute/virt/driver.js';
import { FakeDriver, fakeDriverOptions, fakeSnapshot, SpawnFailed } from '../../src/compute/virt/fake.js';

const guest = (uuid: string, node: string): GuestSpec => ({
  uuid,
  name: `server-${uuid}`,
  node,
  imageRef: null,
  userData: null,
  metadata: {},
  flavor: { vcpus: 1, memoryMb: 1024, rootGb: 1, ephemeralGb: 0, swapMb: 0, extraSpecs: {} },
});

describe('fake virt driver', () => {
  const config = loadConfig(
    undefined,
    {},
    { fakeVcpus: 8, fakeMemoryMb: 16384, fakeLocalGb: 100, fakeSpawnFailHosts: ['bad'] },
  );

  it("reports one node named after the host, or HOST-nodeN, with [fake_driver]'s resources", async () => {
    expect((await new FakeDriver(fakeDriverOptions(config, 'h1')).nodes()).map((n) => n.hypervisorHostname)).toEqual([
      'h1',
    ]);
    const nodes = await new FakeDriver(fakeDriverOptions(config, 'h2', 3)).nodes();
    expect(nodes.map((n) => n.hypervisorHostname)).toEqual(['h2-node1', 'h2-node2', 'h2-node3']);
    expect(nodes[0]).toMatchObject({ hypervisorType: 'fake', vcpus: 8, memoryMb: 16384, localGb: 100 });
    expect(nodes[0]!.traits).toContain('COMPUTE_IMAGE_TYPE_RAW');
    expect(() => new FakeDriver({ ...fakeDriverOptions(config, 'h3'), vcpus: -1 })).toThrow(/vcpus/);
  });

  it('keeps guests as power states; every operation may be repeated', async () => {
    const d = new FakeDriver(fakeDriverOptions(config, 'h1'));
    await d.spawn(guest('g1', 'h1'));
    await d.spawn(guest('g1', 'h1'));
    expect(await d.guests()).toEqual(['g1']);
    expect(await d.powerState('g1')).toBe(PowerState.RUNNING);
    await d.powerOff('g1');
    expect(await d.powerState('g1')).toBe(PowerState.SHUTDOWN);
    await d.powerOn('g1');
    await d.pause('g1');
    expect(await d.powerState('g1')).toBe(PowerState.PAUSED);
    await d.unpause('g1');
    await d.suspend('g1');
    expect(await d.powerState('g1')).toBe(PowerState.SUSPENDED);
    await d.resume('g1');
    await d.reboot('g1', 'HARD');
    expect(await d.powerState('g1')).toBe(PowerState.RUNNING);
    await d.destroy('g1');
    await d.destroy('g1');
    expect(await d.guests()).toEqual([]);
    expect(await d.powerState('g1')).toBe(PowerState.NOSTATE);
    await expect(d.spawn(guest('g2', 'elsewhere'))).rejects.toThrow(SpawnFailed);
  });

  it('fails every spawn on the hosts of spawn_fail_hosts', async () => {
    const d = new FakeDriver(fakeDriverOptions(config, 'bad'));
    await expect(d.spawn(guest('g1', 'bad'))).rejects.toThrow(SpawnFailed);
    expect(await d.guests()).toEqual([]);
    const aborted = new AbortController();
    aborted.abort(new Error('stopping'));
    await expect(
      new FakeDriver(fakeDriverOptions(config, 'h1')).spawn(guest('g1', 'h1'), aborted.signal),
    ).rejects.toThrow('stopping');
  });

  it('takes spawn_delay seconds to spawn, and stops waiting when the job is aborted', async () => {
    const slow = new FakeDriver(fakeDriverOptions(loadConfig(undefined, {}, { fakeSpawnDelay: 0.3 }), 'h1'));
    const started = Date.now();
    await slow.spawn(guest('g1', 'h1'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await slow.guests()).toEqual(['g1']);
    const abort = new AbortController();
    const spawning = slow.spawn(guest('g2', 'h1'), abort.signal);
    abort.abort(new Error('the job was given back'));
    await expect(spawning).rejects.toThrow('the job was given back');
    expect(await slow.guests()).toEqual(['g1']);
    expect(() => new FakeDriver({ ...fakeDriverOptions(config, 'h1'), spawnDelay: -1 })).toThrow(/spawn_delay/);
  });

  it('takes snapshot_delay seconds to snapshot, and stops waiting when the job is aborted', async () => {
    const slow = new FakeDriver(fakeDriverOptions(loadConfig(undefined, {}, { fakeSnapshotDelay: 0.3 }), 'h1'));
    await slow.spawn(guest('g1', 'h1'));
    const started = Date.now();
    expect(await slow.snapshot('g1')).toEqual(fakeSnapshot('g1'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    const abort = new AbortController();
    const snapshotting = slow.snapshot('g1', abort.signal);
    abort.abort(new Error('the job was given back'));
    await expect(snapshotting).rejects.toThrow('the job was given back');
    // Spawns are not slowed by it.
    const spawnStarted = Date.now();
    await slow.spawn(guest('g2', 'h1'));
    expect(Date.now() - spawnStarted).toBeLessThan(250);
    expect(() => new FakeDriver({ ...fakeDriverOptions(config, 'h1'), snapshotDelay: -1 })).toThrow(/snapshot_delay/);
  });
});
