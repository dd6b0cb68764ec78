// The virt driver: what a compute agent asks of the hypervisors it manages (nova.virt.driver's
// ComputeDriver, reduced to what concord's compute manager calls). One driver instance serves one
// agent host; it may manage several nodes (the fake driver's --nodes, one bare-metal node each for
// the ironic driver), each reported to Placement as one resource provider named after
// `hypervisorHostname`. Every operation is idempotent: a job run again after its agent died calls it
// again on a guest that may already be in the wanted state.

/** nova.compute.power_state. */
export const PowerState = {
  NOSTATE: 0,
  RUNNING: 1,
  PAUSED: 3,
  SHUTDOWN: 4,
  CRASHED: 6,
  SUSPENDED: 7,
} as const;
export type PowerState = (typeof PowerState)[keyof typeof PowerState];

/** nova.compute.power_state's STATE_MAP: the names the API says power states by. */
const POWER_STATE_NAMES: Record<number, string> = {
  0: 'pending',
  1: 'running',
  3: 'paused',
  4: 'shutdown',
  6: 'crashed',
  7: 'suspended',
};

/** A power state's name (a state not known, or none: NOSTATE's, pending). */
export const powerStateName = (p: number | null): string => POWER_STATE_NAMES[p ?? 0] ?? 'pending';

/** A node as the driver reports it (get_available_resource): the resource tracker turns it into a
 * compute_nodes row and a Placement provider's inventory (with the allocation ratios and reserved
 * amounts of [DEFAULT]) and traits. */
export interface NodeResources {
  /** compute_nodes.hypervisor_hostname, the Placement provider's name. */
  hypervisorHostname: string;
  hypervisorType: string;
  hypervisorVersion: number;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  /** JSON (cpu_info of os-hypervisors). */
  cpuInfo: string;
  /** Capability traits (COMPUTE_*), reported beside the ones the agent adds itself. */
  traits: string[];
}

/** What a guest is built from. */
export interface GuestSpec {
  uuid: string;
  name: string;
  /** The node chosen by the scheduler (one of nodes()). */
  node: string;
  flavor: {
    vcpus: number;
    memoryMb: number;
    rootGb: number;
    ephemeralGb: number;
    swapMb: number;
    extraSpecs: Record<string, string>;
  };
  imageRef: string | null;
  userData: string | null;
  metadata: Record<string, string>;
  /** OS-DCF:diskConfig AUTO: grow the root partition and its filesystem to the flavor's root
   * disk, as Nova's drivers do for auto_disk_config; MANUAL (false): leave them as the image is. */
  autoDiskConfig: boolean;
  /** Whether the guest has a config drive (instances.config_drive set). */
  configDrive: boolean;
}

/** The image a rescue boots the guest from, and where the rescue disk goes: 2.87's stable device
 * rescue, the image's hw_rescue_device (disk, cdrom ...) and hw_rescue_bus (virtio, scsi ...);
 * without them, the rescue disk comes first and the guest's own disk after it. */
export interface RescueImage {
  id: string;
  device: string | null;
  bus: string | null;
}

/** A guest's diagnostics in the form 2.48 standardised (nova.objects.diagnostics.Diagnostics;
 * the API counts the CPUs, NICs and disks). `driver` is one of Nova's HypervisorDriver names. */
export interface InstanceDiagnostics {
  state: string;
  driver: string;
  hypervisor: string | null;
  hypervisor_os: string | null;
  /** Seconds the guest has been running. */
  uptime: number | null;
  config_drive: boolean;
  cpu_details: { id: number | null; time: number | null; utilisation: number | null }[];
  nic_details: {
    mac_address: string | null;
    rx_octets: number | null;
    rx_errors: number | null;
    rx_drop: number | null;
    rx_packets: number | null;
    rx_rate: number | null;
    tx_octets: number | null;
    tx_errors: number | null;
    tx_drop: number | null;
    tx_packets: number | null;
    tx_rate: number | null;
  }[];
  disk_details: {
    read_bytes: number | null;
    read_requests: number | null;
    write_bytes: number | null;
    write_requests: number | null;
    errors_count: number | null;
  }[];
  /** MiB. */
  memory_details: { maximum: number | null; used: number | null };
}

export interface VirtDriver {
  /** hypervisor_type of os-hypervisors (fake: "fake"). */
  readonly type: string;
  /** The nodes this host manages, with their resources (called by every resource report). */
  nodes(): Promise<NodeResources[]>;
  /** Creates and starts the guest; succeeds at once if it runs already. A failure is a build
   * failure (the compute manager reschedules). */
  spawn(guest: GuestSpec, signal?: AbortSignal): Promise<void>;
  /** Removes the guest and whatever it held; nothing to do for an unknown guest. */
  destroy(uuid: string): Promise<void>;
  reboot(uuid: string, type: 'SOFT' | 'HARD'): Promise<void>;
  powerOff(uuid: string): Promise<void>;
  powerOn(uuid: string): Promise<void>;
  pause(uuid: string): Promise<void>;
  unpause(uuid: string): Promise<void>;
  suspend(uuid: string): Promise<void>;
  resume(uuid: string): Promise<void>;
  /** Sets the administrator password inside the guest (Nova's set_admin_password). */
  setAdminPassword(uuid: string, password: string): Promise<void>;
  /** Boots the (powered off) guest from `image` with its own disk attached, the administrator's
   * password of the rescue system set to `password` (Nova's rescue). */
  rescue(guest: GuestSpec, image: RescueImage, password: string): Promise<void>;
  /** Boots the rescued guest from its own disk again (Nova's unrescue). */
  unrescue(uuid: string): Promise<void>;
  /** A resize's first half, on the source (migrate_disk_and_power_off): the guest stops; its
   * disks stay here until the resize is confirmed or reverted. */
  migrateDiskAndPowerOff(uuid: string): Promise<void>;
  /** A resize's second half, on the destination (finish_migration): the guest with its new
   * flavor, started unless it was stopped before. */
  finishMigration(guest: GuestSpec, powerOn: boolean): Promise<void>;
  /** A confirmed resize, on the source: what the guest left here is removed (nothing on a
   * same-host resize, where the guest is the one that now runs). */
  confirmMigration(uuid: string, sameHost: boolean): Promise<void>;
  /** A reverted resize, on the source: the guest as it was, started unless it was stopped. */
  finishRevertMigration(guest: GuestSpec, powerOn: boolean): Promise<void>;
  /** A live migration's preparation on the destination (pre_live_migration): what the guest
   * needs here before it comes over; undone by rollbackLiveMigrationAtDestination. */
  preLiveMigration(guest: GuestSpec): Promise<void>;
  /** Moves the running guest from this host to `dest` (live_migration) until it is there
   * ('completed') or the migration was aborted ('cancelled', the guest still running here); a
   * failure throws, the guest still here. `blockMigration` null: the driver chooses. `signal`
   * aborts the wait (the job given back or taken over). */
  liveMigration(
    uuid: string,
    dest: string,
    blockMigration: boolean | null,
    signal?: AbortSignal,
  ): Promise<'completed' | 'cancelled'>;
  /** Has a live migration of the guest running here complete now (live_migration_force_complete,
   * a real driver pauses the guest or switches to post-copy); false when none runs here. */
  forceCompleteLiveMigration(uuid: string): Promise<boolean>;
  /** Aborts a live migration of the guest running here (live_migration_abort); false when none
   * runs here. */
  abortLiveMigration(uuid: string): Promise<boolean>;
  /** A completed live migration, on the source (post_live_migration): what the guest left here
   * is removed. */
  postLiveMigration(uuid: string): Promise<void>;
  /** A completed live migration, on the destination (post_live_migration_at_destination): the
   * guest runs here now, in the power state it had. */
  postLiveMigrationAtDestination(guest: GuestSpec, power: PowerState): Promise<void>;
  /** A live migration rolled back, on the destination: what preLiveMigration (or an interrupted
   * completion) left here is removed. */
  rollbackLiveMigrationAtDestination(uuid: string): Promise<void>;
  /** The guest's root disk as image data (a snapshot's upload); `signal` aborts it. */
  snapshot(uuid: string, signal?: AbortSignal): Promise<Buffer>;
  /** What the guest wrote to its console (Nova's get_console_output), whole: the compute manager
   * keeps the tail the caller asked for. */
  consoleOutput(uuid: string): Promise<string>;
  // What a driver may not know how to tell, as Nova's drivers raise NotImplementedError for it
  // (the API answers 501): a driver without the method does not tell it.
  /** Whatever the driver tells of a running guest, named its own way (get_diagnostics, the
   * answer before 2.48). */
  diagnostics?(guest: GuestSpec): Promise<Record<string, number>>;
  /** A running guest's diagnostics in the standard form (get_instance_diagnostics, from 2.48). */
  instanceDiagnostics?(guest: GuestSpec): Promise<InstanceDiagnostics>;
  /** What `uptime` prints on the host (get_host_uptime). */
  hostUptime?(): Promise<string>;
  /** NOSTATE for a guest the driver does not know. */
  powerState(uuid: string): Promise<PowerState>;
  /** The uuids of the guests on this host (for the periodic power-state sync). */
  guests(): Promise<string[]>;
}
