// The fake virt driver (nova.virt.fake's FakeDriver): hypervisors that exist only in memory, with
// the resources of [fake_driver], so that a cloud of any size schedules, builds and deletes
// servers anywhere. Guests are a power state in a map; nothing survives the process (a restarted
// agent finds no guests, and its power-state sync says so). [fake_driver] spawn_fail_hosts makes
// every spawn on the hosts named fail, as a broken hypervisor would, so that reschedules can be seen;
// spawn_delay makes each spawn take that long, so that an agent can be stopped (or killed) mid-build;
// snapshot_delay does the same for snapshots, so that a server can be seen (or acted on) mid-snapshot;
// live_migration_delay makes each live migration run that long, so that it can be seen running,
// aborted or forced to complete (as Nova's FakeLiveMigrateDriver, whose migrations wait for either).
// A guest's console holds a line for each time it booted, then the three lines upstream's fake
// console always shows: asked for its last three lines, a guest answers exactly what Nova's fake
// driver answers, and its whole console is longer, as a real guest's is.
// A running guest's diagnostics have the shape and counters of Nova's fake driver's, sized by the
// guest itself: a CPU per vCPU, its memory, a disk per disk of its flavor (root, ephemeral, swap),
// no NIC (no network service gives concord's guests ports), its uptime since it last booted. The
// host's uptime is the text of procps' `uptime`, as libvirt's driver answers it (Nova's fake
// driver has none), counted from the driver's start.
import type { Config } from '../../common/config.js';
import { setTimeout as delay } from 'node:timers/promises';
import {
  PowerState,
  powerStateName,
  type GuestSpec,
  type InstanceDiagnostics,
  type NodeResources,
  type RescueImage,
  type VirtDriver,
} from './driver.js';

/** The capabilities nova's FakeDriver declares, as the traits the resource tracker reports. */
const CAPABILITY_TRAITS = [
  'COMPUTE_NET_ATTACH_INTERFACE',
  'COMPUTE_DEVICE_TAGGING',
  'COMPUTE_NET_ATTACH_INTERFACE_WITH_TAG',
  'COMPUTE_VOLUME_ATTACH_WITH_TAG',
  'COMPUTE_VOLUME_EXTEND',
  'COMPUTE_VOLUME_MULTI_ATTACH',
  'COMPUTE_TRUSTED_CERTS',
  'COMPUTE_ACCELERATORS',
  'COMPUTE_REMOTE_MANAGED_PORTS',
  'COMPUTE_IMAGE_TYPE_RAW',
];

/** What the fake CPU says it is (os-hypervisors cpu_info), as nova's FakeDriver. */
const CPU_INFO = JSON.stringify({
  arch: 'x86_64',
  model: 'Nehalem',
  vendor: 'Intel',
  features: ['pge', 'clflush'],
  topology: { cores: 1, threads: 1, sockets: 4 },
});

/** What nova's FakeDriver.get_console_output answers for any guest: the end of every console here. */
export const FAKE_CONSOLE_TAIL = 'FAKE CONSOLE OUTPUT\nANOTHER\nLAST LINE';
/** The boot lines a guest's console keeps (the oldest go first). */
const CONSOLE_LINES = 100;

/** What every fake CPU and disk has done, as Nova's fake driver says (the same counters before and
 * from 2.48, but for the disk errors: -1 before, 1 from). */
const CPU_TIME_NS = 17300000000;
const CPU_UTILISATION = 15;
const DISK = { read_bytes: 262144, read_requests: 112, write_bytes: 5778432, write_requests: 488 };

/** The line procps' `uptime` prints (`at`, `seconds` after the host booted): no user logged in, an
 * idle host. */
export function uptimeText(at: Date, seconds: number): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const up =
    (days ? `${days} day${days === 1 ? '' : 's'}, ` : '') +
    (hours ? `${String(hours).padStart(2)}:${two(minutes)}` : `${minutes} min`);
  const clock = `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
  return ` ${clock} up ${up},  0 users,  load average: 0.00, 0.00, 0.00`;
}

/** A guest's disks as a virtio guest names them: its root disk, then its ephemeral and swap
 * disks when its flavor has them. */
function diskNames(flavor: GuestSpec['flavor']): string[] {
  const count = 1 + (flavor.ephemeralGb > 0 ? 1 : 0) + (flavor.swapMb > 0 ? 1 : 0);
  return Array.from({ length: count }, (_, i) => `vd${String.fromCharCode(97 + i)}`);
}

/** nova's version 1.0 as an integer (versionutils.convert_version_to_int). */
const HYPERVISOR_VERSION = 1000;

export interface FakeDriverOptions {
  host: string;
  /** Hypervisors on this host: one is named after the host, several `HOST-node1` ... */
  nodes?: number;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  /** Every spawn fails. */
  failSpawn?: boolean;
  /** Seconds a spawn takes. */
  spawnDelay?: number;
  /** Seconds a snapshot takes. */
  snapshotDelay?: number;
  /** Seconds a live migration runs unless forced to complete or aborted. */
  liveMigrationDelay?: number;
}

/** The nodes' names of a host with `count` fake hypervisors. */
export function fakeNodeNames(host: string, count: number): string[] {
  if (count === 1) return [host];
  return Array.from({ length: count }, (_, i) => `${host}-node${i + 1}`);
}

/** The fake driver's options of `host` from [fake_driver]. */
export function fakeDriverOptions(config: Config, host: string, nodes = 1): FakeDriverOptions {
  return {
    host,
    nodes,
    vcpus: config.fakeVcpus,
    memoryMb: config.fakeMemoryMb,
    localGb: config.fakeLocalGb,
    failSpawn: config.fakeSpawnFailHosts.includes(host),
    spawnDelay: config.fakeSpawnDelay,
    snapshotDelay: config.fakeSnapshotDelay,
    liveMigrationDelay: config.fakeLiveMigrationDelay,
  };
}

/** The fake disk of a guest: 1 KiB derived from its uuid. */
export function fakeSnapshot(uuid: string): Buffer {
  return Buffer.from(`fake disk of ${uuid}\n`.repeat(64).slice(0, 1024));
}

export class SpawnFailed extends Error {
  override name = 'SpawnFailed';
}

interface FakeGuest {
  node: string;
  power: PowerState;
  /** One line per boot, oldest first. */
  console: string[];
  /** When it last booted (ms). */
  bootedAt: number;
  /** The image it was rescued from while it is. */
  rescue?: RescueImage;
}

export class FakeDriver implements VirtDriver {
  readonly type = 'fake';
  private readonly instances = new Map<string, FakeGuest>();
  private readonly resources: NodeResources[];
  /** The live migrations running from this host: how each is ended early. */
  private readonly migrating = new Map<string, (outcome: 'completed' | 'cancelled') => void>();
  /** When the fake host booted. */
  private readonly startedAt = Date.now();

  constructor(private readonly opts: FakeDriverOptions) {
    if (!Number.isInteger(opts.nodes ?? 1) || (opts.nodes ?? 1) < 1)
      throw new Error('the fake driver needs at least one node');
    for (const [name, v] of [
      ['vcpus', opts.vcpus],
      ['memory_mb', opts.memoryMb],
      ['local_gb', opts.localGb],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`[fake_driver] ${name} must be a non-negative integer: ${v}`);
    }
    for (const [name, v] of [
      ['spawn_delay', opts.spawnDelay ?? 0],
      ['snapshot_delay', opts.snapshotDelay ?? 0],
      ['live_migration_delay', opts.liveMigrationDelay ?? 0],
    ] as const) {
      if (!(v >= 0)) throw new Error(`[fake_driver] ${name} must be a non-negative number: ${v}`);
    }
    // The same objects at every report: a fleet of a thousand hosts keeps one copy of each.
    this.resources = fakeNodeNames(opts.host, opts.nodes ?? 1).map((hypervisorHostname) => ({
      hypervisorHostname,
      hypervisorType: 'fake',
      hypervisorVersion: HYPERVISOR_VERSION,
      vcpus: opts.vcpus,
      memoryMb: opts.memoryMb,
      localGb: opts.localGb,
      cpuInfo: CPU_INFO,
      traits: CAPABILITY_TRAITS,
    }));
  }

  async nodes(): Promise<NodeResources[]> {
    return this.resources;
  }

  /** Takes `seconds`; aborted (the job given back or taken over), fails with the abort's reason. */
  private async take(seconds: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    if (!seconds) return;
    await delay(seconds * 1000, undefined, { signal }).catch((e: unknown) => {
      signal?.throwIfAborted();
      throw e;
    });
  }

  async spawn(guest: GuestSpec, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.instances.has(guest.uuid)) return;
    await this.take(this.opts.spawnDelay, signal);
    if (this.opts.failSpawn)
      throw new SpawnFailed(`fake driver: spawn of ${guest.uuid} fails on host ${this.opts.host}`);
    if (!this.resources.some((n) => n.hypervisorHostname === guest.node)) {
      throw new SpawnFailed(`fake driver: host ${this.opts.host} has no node ${guest.node}`);
    }
    this.instances.set(guest.uuid, this.booted(guest.node, true));
  }

  /** A guest just placed on `node`: its console has a boot line when it runs. */
  private booted(node: string, running: boolean): FakeGuest {
    const g: FakeGuest = {
      node,
      power: running ? PowerState.RUNNING : PowerState.SHUTDOWN,
      console: [],
      bootedAt: Date.now(),
    };
    if (running) this.boot(g, `booted on ${node}`);
    return g;
  }

  private boot(g: FakeGuest, what: string): void {
    g.bootedAt = Date.now();
    g.console.push(`[fake] ${what}`);
    if (g.console.length > CONSOLE_LINES) g.console.shift();
  }

  async destroy(uuid: string): Promise<void> {
    this.instances.delete(uuid);
  }

  private guest(uuid: string): FakeGuest {
    const g = this.instances.get(uuid);
    if (!g) throw new Error(`fake driver: no guest ${uuid} on host ${this.opts.host}`);
    return g;
  }

  private set(uuid: string, power: PowerState): void {
    this.guest(uuid).power = power;
  }

  async reboot(uuid: string, type: 'SOFT' | 'HARD'): Promise<void> {
    this.set(uuid, PowerState.RUNNING);
    this.boot(this.guest(uuid), `rebooted (${type.toLowerCase()})`);
  }
  async powerOff(uuid: string): Promise<void> {
    this.set(uuid, PowerState.SHUTDOWN);
  }
  async powerOn(uuid: string): Promise<void> {
    this.set(uuid, PowerState.RUNNING);
    this.boot(this.guest(uuid), 'powered on');
  }
  async pause(uuid: string): Promise<void> {
    this.set(uuid, PowerState.PAUSED);
  }
  async unpause(uuid: string): Promise<void> {
    this.set(uuid, PowerState.RUNNING);
  }
  async suspend(uuid: string): Promise<void> {
    this.set(uuid, PowerState.SUSPENDED);
  }
  async resume(uuid: string): Promise<void> {
    this.set(uuid, PowerState.RUNNING);
  }
  /** Accepted and forgotten, as Nova's fake driver does. */
  async setAdminPassword(_uuid: string, _password: string): Promise<void> {}

  /** Recorded on the guest and its console; the password is accepted and forgotten. */
  async rescue(guest: GuestSpec, image: RescueImage, _password: string): Promise<void> {
    const g = this.guest(guest.uuid);
    g.rescue = image;
    g.power = PowerState.RUNNING;
    const device =
      image.device || image.bus ? ` as ${image.device ?? 'disk'} on ${image.bus ?? 'the default bus'}` : '';
    this.boot(g, `rescue: booted from image ${image.id}${device}`);
  }

  async unrescue(uuid: string): Promise<void> {
    const g = this.guest(uuid);
    delete g.rescue;
    g.power = PowerState.RUNNING;
    this.boot(g, `unrescued: booted from its own disk on ${g.node}`);
  }

  /** The image a guest is rescued from; null when it is not in rescue. */
  rescuedFrom(uuid: string): RescueImage | null {
    return this.instances.get(uuid)?.rescue ?? null;
  }

  async migrateDiskAndPowerOff(uuid: string): Promise<void> {
    this.set(uuid, PowerState.SHUTDOWN);
  }

  async finishMigration(guest: GuestSpec, powerOn: boolean): Promise<void> {
    if (this.opts.failSpawn)
      throw new SpawnFailed(`fake driver: resize of ${guest.uuid} fails on host ${this.opts.host}`);
    this.instances.set(guest.uuid, this.booted(guest.node, powerOn));
  }

  async confirmMigration(uuid: string, sameHost: boolean): Promise<void> {
    if (!sameHost) this.instances.delete(uuid);
  }

  async finishRevertMigration(guest: GuestSpec, powerOn: boolean): Promise<void> {
    this.instances.set(guest.uuid, this.booted(guest.node, powerOn));
  }

  async preLiveMigration(guest: GuestSpec): Promise<void> {
    this.node(guest);
  }

  async liveMigration(
    uuid: string,
    _dest: string,
    _blockMigration: boolean | null,
    signal?: AbortSignal,
  ): Promise<'completed' | 'cancelled'> {
    if (!this.instances.has(uuid)) throw new Error(`fake driver: no guest ${uuid} on host ${this.opts.host}`);
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const end = () => {
        clearTimeout(timer);
        this.migrating.delete(uuid);
        signal?.removeEventListener('abort', lost);
      };
      const lost = () => {
        end();
        reject(signal!.reason as Error);
      };
      const finish = (outcome: 'completed' | 'cancelled') => {
        end();
        resolve(outcome);
      };
      this.migrating.set(uuid, finish);
      signal?.addEventListener('abort', lost, { once: true });
      const timer = setTimeout(() => finish('completed'), (this.opts.liveMigrationDelay ?? 0) * 1000);
    });
  }

  async forceCompleteLiveMigration(uuid: string): Promise<boolean> {
    return this.endMigration(uuid, 'completed');
  }

  async abortLiveMigration(uuid: string): Promise<boolean> {
    return this.endMigration(uuid, 'cancelled');
  }

  private endMigration(uuid: string, outcome: 'completed' | 'cancelled'): boolean {
    const finish = this.migrating.get(uuid);
    finish?.(outcome);
    return finish !== undefined;
  }

  async postLiveMigration(uuid: string): Promise<void> {
    this.instances.delete(uuid);
  }

  async postLiveMigrationAtDestination(guest: GuestSpec, power: PowerState): Promise<void> {
    // The guest did not boot: its console starts empty here, and its uptime (how long it ran on
    // the source is not told) at its arrival.
    this.instances.set(guest.uuid, { node: this.node(guest), power, console: [], bootedAt: Date.now() });
  }

  async rollbackLiveMigrationAtDestination(uuid: string): Promise<void> {
    this.instances.delete(uuid);
  }

  /** The guest's node, which must be one of this host's. */
  private node(guest: GuestSpec): string {
    if (!this.resources.some((n) => n.hypervisorHostname === guest.node)) {
      throw new Error(`fake driver: host ${this.opts.host} has no node ${guest.node}`);
    }
    return guest.node;
  }

  /** The same bytes for the same guest every time, so that a snapshot's checksum can be checked. */
  async snapshot(uuid: string, signal?: AbortSignal): Promise<Buffer> {
    if (!this.instances.has(uuid)) throw new Error(`fake driver: no guest ${uuid} on host ${this.opts.host}`);
    await this.take(this.opts.snapshotDelay, signal);
    return fakeSnapshot(uuid);
  }

  /** A guest this driver does not know (an agent restarted: nothing survives it) has upstream's
   * console, as every guest of Nova's fake driver has. */
  async consoleOutput(uuid: string): Promise<string> {
    return [...(this.instances.get(uuid)?.console ?? []), FAKE_CONSOLE_TAIL].join('\n');
  }

  /** Named as libvirt's driver names them: cpuN_time, memory (KiB), vdX_*; the guest must be
   * here. */
  async diagnostics(guest: GuestSpec): Promise<Record<string, number>> {
    this.guest(guest.uuid);
    const out: Record<string, number> = {};
    for (let i = 0; i < guest.flavor.vcpus; i++) out[`cpu${i}_time`] = CPU_TIME_NS;
    out.memory = guest.flavor.memoryMb * 1024;
    for (const d of diskNames(guest.flavor)) {
      Object.assign(out, {
        [`${d}_errors`]: -1,
        [`${d}_read`]: DISK.read_bytes,
        [`${d}_read_req`]: DISK.read_requests,
        [`${d}_write`]: DISK.write_bytes,
        [`${d}_write_req`]: DISK.write_requests,
      });
    }
    return out;
  }

  /** Nova's fake driver's answer (libvirt, kvm, ubuntu), sized by the guest, which must be here. */
  async instanceDiagnostics(guest: GuestSpec): Promise<InstanceDiagnostics> {
    const g = this.guest(guest.uuid);
    return {
      state: powerStateName(g.power),
      // Nova's HypervisorDriver names have no "fake"; its fake driver says libvirt.
      driver: 'libvirt',
      hypervisor: 'kvm',
      hypervisor_os: 'ubuntu',
      uptime: Math.floor((Date.now() - g.bootedAt) / 1000),
      config_drive: guest.configDrive,
      cpu_details: Array.from({ length: guest.flavor.vcpus }, (_, id) => ({
        id,
        time: CPU_TIME_NS,
        utilisation: CPU_UTILISATION,
      })),
      nic_details: [],
      disk_details: diskNames(guest.flavor).map(() => ({ ...DISK, errors_count: 1 })),
      memory_details: { maximum: guest.flavor.memoryMb, used: 0 },
    };
  }

  async hostUptime(): Promise<string> {
    return uptimeText(new Date(), Math.floor((Date.now() - this.startedAt) / 1000));
  }

  async powerState(uuid: string): Promise<PowerState> {
    return this.instances.get(uuid)?.power ?? PowerState.NOSTATE;
  }

  async guests(): Promise<string[]> {
    return [...this.instances.keys()];
  }
}
