// The fake virt driver: its nodes and their resources from [fake_driver], guests as power states,
// idempotent operations, spawn_fail_hosts making every spawn on a host fail, spawn_delay and
// snapshot_delay slowing spawns and snapshots, live_migration_delay making live migrations run
// until forced to complete or aborted, consoles ending with upstream's fake console, rescues
// recorded, diagnostics sized by the guest, the host's uptime as procps prints it.
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/common/config.js';
import { PowerState, type GuestSpec } from '../../src/compute/virt/driver.js';
import {
  FAKE_CONSOLE_TAIL,
  FakeDriver,
  fakeDriverOptions,
  fakeSnapshot,
  SpawnFailed,
  uptimeText,
} from '../../src/compute/virt/fake.js';

const guest = (uuid: string, node: string): GuestSpec => ({
  uuid,
  name: `server-${uuid}`,
  node,
  imageRef: null,
  userData: null,
  metadata: {},
  autoDiskConfig: false,
  flavor: { vcpus: 1, memoryMb: 1024, rootGb: 1, ephemeralGb: 0, swapMb: 0, extraSpecs: {} },
  configDrive: false,
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

  it("writes a line to a guest's console at each boot, before upstream's three lines", async () => {
    const d = new FakeDriver(fakeDriverOptions(config, 'h1'));
    expect(FAKE_CONSOLE_TAIL).toBe('FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE');
    // A guest it does not know (its agent restarted) has upstream's console.
    expect(await d.consoleOutput('nobody')).toBe(FAKE_CONSOLE_TAIL);
    await d.spawn(guest('c1', 'h1'));
    await d.powerOff('c1');
    await d.powerOn('c1');
    await d.reboot('c1', 'HARD');
    expect(await d.consoleOutput('c1')).toBe(
      ['[fake] booted on h1', '[fake] powered on', '[fake] rebooted (hard)', FAKE_CONSOLE_TAIL].join('\n'),
    );
    for (let i = 0; i < 150; i++) await d.reboot('c1', 'SOFT');
    const lines = (await d.consoleOutput('c1')).split('\n');
    expect(lines).toHaveLength(103);
    expect(lines[0]).toBe('[fake] rebooted (soft)');
    await d.destroy('c1');
    expect(await d.consoleOutput('c1')).toBe(FAKE_CONSOLE_TAIL);
  });

  it('records a rescue on the guest and its console until it is unrescued', async () => {
    const d = new FakeDriver(fakeDriverOptions(config, 'h1'));
    await d.spawn(guest('r1', 'h1'));
    await d.powerOff('r1');
    await d.rescue(guest('r1', 'h1'), { id: 'img-1', device: null, bus: null }, 'secret-pass');
    expect([d.rescuedFrom('r1'), await d.powerState('r1')]).toEqual([
      { id: 'img-1', device: null, bus: null },
      PowerState.RUNNING,
    ]);
    await d.rescue(guest('r1', 'h1'), { id: 'img-2', device: 'cdrom', bus: 'ide' }, 'secret-pass');
    expect(d.rescuedFrom('r1')).toEqual({ id: 'img-2', device: 'cdrom', bus: 'ide' });
    await d.unrescue('r1');
    expect([d.rescuedFrom('r1'), await d.powerState('r1')]).toEqual([null, PowerState.RUNNING]);
    const console = await d.consoleOutput('r1');
    expect(console.split('\n').slice(0, 4)).toEqual([
      '[fake] booted on h1',
      '[fake] rescue: booted from image img-1',
      '[fake] rescue: booted from image img-2 as cdrom on ide',
      '[fake] unrescued: booted from its own disk on h1',
    ]);
    expect(console).not.toContain('secret-pass');
    await expect(d.rescue(guest('nobody', 'h1'), { id: 'img-1', device: null, bus: null }, 'x')).rejects.toThrow(
      /no guest nobody/,
    );
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

  it('runs a live migration live_migration_delay seconds, unless forced to complete or aborted', async () => {
    const options = fakeDriverOptions(loadConfig(undefined, {}, { fakeLiveMigrationDelay: 60 }), 'src');
    const source = new FakeDriver(options);
    const dest = new FakeDriver({ ...options, host: 'dst' });
    await source.spawn(guest('g1', 'src'));
    await source.pause('g1');
    await dest.preLiveMigration(guest('g1', 'dst'));
    await expect(dest.preLiveMigration(guest('g1', 'src'))).rejects.toThrow(/no node src/);
    expect(await source.forceCompleteLiveMigration('g1')).toBe(false);
    const moving = source.liveMigration('g1', 'dst', null);
    expect(await source.forceCompleteLiveMigration('g1')).toBe(true);
    expect(await moving).toBe('completed');
    await source.postLiveMigration('g1');
    await dest.postLiveMigrationAtDestination(guest('g1', 'dst'), PowerState.PAUSED);
    expect([await source.guests(), await dest.powerState('g1')]).toEqual([[], PowerState.PAUSED]);
    // Back, aborted: the guest stays where it is.
    const back = dest.liveMigration('g1', 'src', true);
    expect(await dest.abortLiveMigration('g1')).toBe(true);
    expect(await back).toBe('cancelled');
    expect(await dest.abortLiveMigration('g1')).toBe(false);
    await source.rollbackLiveMigrationAtDestination('g1');
    expect(await dest.guests()).toEqual(['g1']);
    // The job given back stops the wait; a guest not here cannot move.
    const abort = new AbortController();
    const lost = dest.liveMigration('g1', 'src', null, abort.signal);
    abort.abort(new Error('the job was given back'));
    await expect(lost).rejects.toThrow('the job was given back');
    await expect(source.liveMigration('g1', 'dst', null)).rejects.toThrow(/no guest g1/);
    const quick = new FakeDriver(fakeDriverOptions(config, 'h1'));
    await quick.spawn(guest('g2', 'h1'));
    expect(await quick.liveMigration('g2', 'h2', null)).toBe('completed');
    expect(() => new FakeDriver({ ...options, liveMigrationDelay: -1 })).toThrow(/live_migration_delay/);
  });

  it("tells a running guest's diagnostics with Nova's fake counters, sized by the guest, its uptime from its last boot", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
      const d = new FakeDriver(fakeDriverOptions(config, 'h1'));
      const big: GuestSpec = {
        ...guest('g1', 'h1'),
        flavor: { vcpus: 2, memoryMb: 2048, rootGb: 1, ephemeralGb: 1, swapMb: 512, extraSpecs: {} },
        configDrive: true,
      };
      await d.spawn(big);
      vi.setSystemTime(new Date('2026-01-01T00:01:30Z'));
      const cpu = { time: 17300000000, utilisation: 15 };
      const disk = {
        read_bytes: 262144,
        read_requests: 112,
        write_bytes: 5778432,
        write_requests: 488,
        errors_count: 1,
      };
      expect(await d.instanceDiagnostics(big)).toEqual({
        state: 'running',
        driver: 'libvirt',
        hypervisor: 'kvm',
        hypervisor_os: 'ubuntu',
        uptime: 90,
        config_drive: true,
        cpu_details: [
          { id: 0, ...cpu },
          { id: 1, ...cpu },
        ],
        nic_details: [],
        disk_details: [disk, disk, disk],
        memory_details: { maximum: 2048, used: 0 },
      });
      const legacyDisk = (name: string) => ({
        [`${name}_errors`]: -1,
        [`${name}_read`]: 262144,
        [`${name}_read_req`]: 112,
        [`${name}_write`]: 5778432,
        [`${name}_write_req`]: 488,
      });
      expect(await d.diagnostics(big)).toEqual({
        cpu0_time: 17300000000,
        cpu1_time: 17300000000,
        memory: 2048 * 1024,
        ...legacyDisk('vda'),
        ...legacyDisk('vdb'),
        ...legacyDisk('vdc'),
      });
      // A reboot starts the uptime again; a root disk alone is one disk.
      await d.reboot('g1', 'HARD');
      expect((await d.instanceDiagnostics(big)).uptime).toBe(0);
      await d.spawn(guest('g2', 'h1'));
      expect(Object.keys(await d.diagnostics(guest('g2', 'h1'))).sort()).toEqual(
        ['cpu0_time', 'memory', ...Object.keys(legacyDisk('vda'))].sort(),
      );
      await expect(d.instanceDiagnostics(guest('g3', 'h1'))).rejects.toThrow(/no guest g3/);
    } finally {
      vi.useRealTimers();
    }
  });

  it("tells the host's uptime as procps' uptime prints it, counted from the driver's start", async () => {
    const at = new Date(2026, 0, 1, 8, 32, 11);
    const tail = '0 users,  load average: 0.00, 0.00, 0.00';
    expect(uptimeText(at, 93 * 86400 + 18 * 3600 + 25 * 60 + 7)).toBe(` 08:32:11 up 93 days, 18:25,  ${tail}`);
    expect(uptimeText(at, 86400 + 3600 + 5 * 60)).toBe(` 08:32:11 up 1 day,  1:05,  ${tail}`);
    expect(uptimeText(at, 59)).toBe(` 08:32:11 up 0 min,  ${tail}`);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date(2026, 0, 1, 23, 58, 0));
      const d = new FakeDriver(fakeDriverOptions(config, 'h1'));
      vi.setSystemTime(new Date(2026, 0, 2, 0, 5, 30));
      expect(await d.hostUptime()).toBe(` 00:05:30 up 7 min,  ${tail}`);
    } finally {
      vi.useRealTimers();
    }
  });
});
