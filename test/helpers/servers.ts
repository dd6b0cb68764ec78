// The all-in-one cloud for server tests: identity, Placement, Glance and Nova in one process
// (driven with inject()), the conductor running as `concord up` runs it, plus what the agents
// would bring — compute nodes and their services written to the compute database, their
// providers and inventories in Placement — and compute managers on an in-test virt driver.
import type { Kysely } from 'kysely';
import { loadConfig, type Config } from '../../src/common/config.js';
import { openDatabase, type Database } from '../../src/common/db/index.js';
import { JobQueue, jobsConfig, Worker } from '../../src/common/jobs/index.js';
import { serviceClients, Session } from '../../src/common/clients/index.js';
import { createLogger } from '../../src/common/log.js';
import type { ComputeDB } from '../../src/compute/db/schema.js';
import { computeDatabaseUrl } from '../../src/compute/index.js';
import { managerHandlers, type ManagerEnv } from '../../src/compute/manager/index.js';
import {
  PowerState,
  type GuestSpec,
  type NodeResources,
  type RescueImage,
  type VirtDriver,
} from '../../src/compute/virt/driver.js';
import { startLocalCloud, type LocalCloud, type Reply } from './allinone.js';
import { until } from './jobs.js';

/** Quick polls: the test's managers and the cloud's conductor wake each other only by polling. */
/** One small fake node (4 vCPU, 4 GB, 40 GB) for a TestDriver. */
export const testNode = (name: string): NodeResources => ({
  hypervisorHostname: name,
  hypervisorType: 'fake',
  hypervisorVersion: 1000,
  vcpus: 4,
  memoryMb: 4096,
  localGb: 40,
  cpuInfo: '{}',
  traits: [],
});

/** Quick jobs; and each scheduling asks Placement afresh, since these tests add hypervisors straight
 * into the databases and expect the next boot to see them (the shared answers of [scheduler]
 * candidates_reuse_seconds have their own tests, in scheduling.test.ts). */
export const SERVER_TEST_CONFIG: Partial<Config> = {
  jobPollInterval: 0.1,
  jobRetryBackoff: 0.1,
  jobLeaseSeconds: 5,
  schedulerCandidatesReuseSeconds: 0,
};

/** A virt driver in memory: guests and their power states; `failSpawn` nodes fail every build,
 * and every build waits for `spawnGate`;
 * with `refusePasswords` every setAdminPassword fails, with `failRescues` every rescue and
 * unrescue. A live migration runs `liveMigrationMs` (until forced to complete or aborted);
 * `failPreLiveMigration` nodes refuse to be prepared, a preparation waits for
 * `preLiveMigrationGate`, `failLiveMigration` fails the move itself. */
export class TestDriver implements VirtDriver {
  readonly type = 'fake';
  readonly guests_ = new Map<string, { spec: GuestSpec; power: PowerState }>();
  readonly calls: string[] = [];
  failSpawn = new Set<string>();
  spawnGate: Promise<void> | null = null;
  /** The last password each guest was given. */
  readonly passwords = new Map<string, string>();
  refusePasswords = false;
  liveMigrationMs = 0;
  failPreLiveMigration = new Set<string>();
  preLiveMigrationGate: Promise<void> | null = null;
  failLiveMigration = false;
  private readonly migrating = new Map<string, (outcome: 'completed' | 'cancelled') => void>();
  failRescues = false;
  /** The image each guest in rescue was rescued from. */
  readonly rescues = new Map<string, RescueImage>();

  constructor(private readonly resources: NodeResources[] = []) {}

  async nodes() {
    return this.resources;
  }
  async spawn(g: GuestSpec) {
    this.calls.push(`spawn ${g.uuid} ${g.node}`);
    await this.spawnGate;
    if (this.failSpawn.has(g.node)) throw new Error(`no room for ${g.uuid} on ${g.node}\nsecond line`);
    this.guests_.set(g.uuid, { spec: g, power: PowerState.RUNNING });
  }
  async destroy(uuid: string) {
    this.calls.push(`destroy ${uuid}`);
    this.guests_.delete(uuid);
  }
  private set(uuid: string, call: string, power: PowerState) {
    this.calls.push(`${call} ${uuid}`);
    const g = this.guests_.get(uuid);
    if (!g) throw new Error(`guest ${uuid} not found`);
    g.power = power;
  }
  async reboot(uuid: string, type: 'SOFT' | 'HARD') {
    this.set(uuid, `reboot-${type}`, PowerState.RUNNING);
  }
  async powerOff(uuid: string) {
    this.set(uuid, 'power-off', PowerState.SHUTDOWN);
  }
  async powerOn(uuid: string) {
    this.set(uuid, 'power-on', PowerState.RUNNING);
  }
  async pause(uuid: string) {
    this.set(uuid, 'pause', PowerState.PAUSED);
  }
  async unpause(uuid: string) {
    this.set(uuid, 'unpause', PowerState.RUNNING);
  }
  async suspend(uuid: string) {
    this.set(uuid, 'suspend', PowerState.SUSPENDED);
  }
  async resume(uuid: string) {
    this.set(uuid, 'resume', PowerState.RUNNING);
  }
  /** The password is kept apart from `calls`, which tests print. */
  async setAdminPassword(uuid: string, password: string) {
    this.calls.push(`set-admin-password ${uuid}`);
    if (!this.guests_.has(uuid)) throw new Error(`guest ${uuid} not found`);
    if (this.refusePasswords) throw new Error('the guest agent refused the password');
    this.passwords.set(uuid, password);
  }
  async rescue(g: GuestSpec, image: RescueImage, password: string) {
    this.set(g.uuid, 'rescue', PowerState.RUNNING);
    if (this.failRescues) throw new Error('the rescue image does not boot\nsecond line');
    this.rescues.set(g.uuid, image);
    this.passwords.set(g.uuid, password);
  }
  async unrescue(uuid: string) {
    this.set(uuid, 'unrescue', PowerState.RUNNING);
    if (this.failRescues) throw new Error('the guest disk does not boot');
    this.rescues.delete(uuid);
  }
  async migrateDiskAndPowerOff(uuid: string) {
    this.set(uuid, 'migrate-disk', PowerState.SHUTDOWN);
  }
  async finishMigration(g: GuestSpec, powerOn: boolean) {
    this.calls.push(`finish-migration ${g.uuid} ${g.node}`);
    if (this.failSpawn.has(g.node)) throw new Error(`no room for ${g.uuid} on ${g.node}`);
    this.guests_.set(g.uuid, { spec: g, power: powerOn ? PowerState.RUNNING : PowerState.SHUTDOWN });
  }
  async confirmMigration(uuid: string, sameHost: boolean) {
    this.calls.push(`confirm-migration ${uuid}`);
    if (!sameHost) this.guests_.delete(uuid);
  }
  async finishRevertMigration(g: GuestSpec, powerOn: boolean) {
    this.calls.push(`finish-revert ${g.uuid} ${g.node}`);
    this.guests_.set(g.uuid, { spec: g, power: powerOn ? PowerState.RUNNING : PowerState.SHUTDOWN });
  }
  async preLiveMigration(g: GuestSpec) {
    this.calls.push(`pre-live-migration ${g.uuid} ${g.node}`);
    await this.preLiveMigrationGate;
    if (this.failPreLiveMigration.has(g.node)) throw new Error(`cannot prepare ${g.uuid} on ${g.node}`);
  }
  async liveMigration(uuid: string, dest: string, blockMigration: boolean | null, signal?: AbortSignal) {
    this.calls.push(`live-migration ${uuid} ${dest} ${blockMigration}`);
    if (!this.guests_.has(uuid)) throw new Error(`guest ${uuid} not found`);
    if (this.failLiveMigration) throw new Error(`migration of ${uuid} to ${dest} broke off`);
    return new Promise<'completed' | 'cancelled'>((resolve, reject) => {
      const finish = (outcome: 'completed' | 'cancelled') => {
        clearTimeout(timer);
        this.migrating.delete(uuid);
        resolve(outcome);
      };
      const timer = setTimeout(() => finish('completed'), this.liveMigrationMs);
      this.migrating.set(uuid, finish);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        this.migrating.delete(uuid);
        reject(signal.reason as Error);
      });
    });
  }
  /** Whether a live migration of `uuid` runs now. */
  liveMigrating(uuid: string) {
    return this.migrating.has(uuid);
  }
  async forceCompleteLiveMigration(uuid: string) {
    this.calls.push(`force-complete ${uuid}`);
    const finish = this.migrating.get(uuid);
    finish?.('completed');
    return finish !== undefined;
  }
  async abortLiveMigration(uuid: string) {
    this.calls.push(`abort ${uuid}`);
    const finish = this.migrating.get(uuid);
    finish?.('cancelled');
    return finish !== undefined;
  }
  async postLiveMigration(uuid: string) {
    this.calls.push(`post-live-migration ${uuid}`);
    this.guests_.delete(uuid);
  }
  async postLiveMigrationAtDestination(g: GuestSpec, power: PowerState) {
    this.calls.push(`post-live-migration-at-destination ${g.uuid} ${g.node}`);
    this.guests_.set(g.uuid, { spec: g, power });
  }
  async rollbackLiveMigrationAtDestination(uuid: string) {
    this.calls.push(`rollback-live-migration-at-destination ${uuid}`);
    this.guests_.delete(uuid);
  }
  async snapshot(uuid: string) {
    this.calls.push(`snapshot ${uuid}`);
    if (!this.guests_.has(uuid)) throw new Error(`guest ${uuid} not found`);
    return Buffer.from(`disk of ${uuid}`);
  }
  /** Five lines, with what a console may hold that the API does not pass on: a control character
   * and a character beyond ASCII. */
  async consoleOutput(uuid: string) {
    this.calls.push(`console-output ${uuid}`);
    if (!this.guests_.has(uuid)) throw new Error(`guest ${uuid} not found`);
    return `boot ${uuid}\nbell\x07 rang\ncafé\nlogin:\nlast line`;
  }
  async powerState(uuid: string) {
    return this.guests_.get(uuid)?.power ?? PowerState.NOSTATE;
  }
  async guests() {
    return [...this.guests_.keys()];
  }
}

export interface Hypervisor {
  host: string;
  node?: string;
  vcpus?: number;
  memoryMb?: number;
  diskGb?: number;
  /** Inventory beyond the standard classes (a bare-metal node's CUSTOM_GOLD: 1). */
  inventories?: Record<string, { total: number; allocation_ratio?: number; reserved?: number }>;
  supported?: [string, string, string][];
  /** Seconds since the service's last heartbeat (default: now). */
  lastSeenAgo?: number;
  disabled?: boolean;
  traits?: string[];
}

export interface ServersCloud {
  local: LocalCloud;
  config: Config;
  admin: string;
  demo: string;
  demoProject: string;
  adminProject: string;
  imageId: string;
  /** A second connection to the compute database. */
  database: Database<ComputeDB>;
  db: Kysely<ComputeDB>;
  /** /compute/v2.1 + `path`, as `token` (admin by default), at the latest microversion unless told. */
  nova(method: string, path: string, body?: unknown, o?: { token?: string; version?: string }): Promise<Reply>;
  placement(method: string, path: string, body?: unknown): Promise<Reply>;
  flavor(id: string, ram: number, vcpus: number, disk: number, extraSpecs?: Record<string, string>): Promise<void>;
  /** A public raw image with `fields` (name, properties ...) and 64 bytes of data; its id. */
  image(fields: Record<string, unknown>): Promise<string>;
  /** A compute node with its service, and its provider in Placement; returns the node's uuid. */
  hypervisor(h: Hypervisor): Promise<string>;
  /** What a compute manager for `host` on `driver` is given. */
  managerEnv(host: string, driver: VirtDriver): ManagerEnv;
  /** A compute manager for `host` on `driver`, running. */
  manager(host: string, driver: VirtDriver): Worker;
  /** Boots and returns the server's id (202 expected). */
  boot(server: Record<string, unknown>, o?: { token?: string; hints?: Record<string, unknown> }): Promise<string>;
  /** Deletes the server and waits until it is gone (its host's terminate job done). */
  remove(id: string): Promise<void>;
  /** Waits until the server's status is one of `statuses`; returns its body. */
  waitFor(id: string, statuses: string[], ms?: number): Promise<any>;
  close(): Promise<void>;
}

export async function startServersCloud(extra: Partial<Config> = {}): Promise<ServersCloud> {
  const local = await startLocalCloud({ ...SERVER_TEST_CONFIG, ...extra });
  const { cloud } = local;
  const config = loadConfig(undefined, {}, { ...SERVER_TEST_CONFIG, ...extra });
  const admin = await local.login('admin', cloud.credentials.adminPassword, 'admin');
  const demo = await local.login('demo', cloud.credentials.demoPassword, 'demo');
  const projectOf = async (token: string) =>
    (await local.call('GET', '/identity/v3/auth/tokens', token, undefined, { 'x-subject-token': token })).body.token
      .project.id as string;
  const database = openDatabase<ComputeDB>(computeDatabaseUrl(config, local.dataDir));
  const log = createLogger({ name: 'test' });
  log.level = process.env.CONCORD_TEST_LOG ?? 'silent';
  const session = new Session({
    transport: cloud.transport,
    authUrl: cloud.authUrl,
    log,
    credentials: {
      username: 'nova',
      password: cloud.credentials.servicePassword,
      projectName: 'service',
      userDomainName: 'Default',
      projectDomainName: 'Default',
    },
  });
  const clients = serviceClients(session, config);
  const jobs = new JobQueue(database as unknown as Database<unknown>, 'compute', jobsConfig(config));
  const workers: Worker[] = [];
  const images = await local.call('GET', '/image/v2/images', admin);
  const imageId = images.body.images[0].id as string;

  const nova: ServersCloud['nova'] = (method, path, body, o = {}) =>
    local.call(method, `/compute/v2.1${path}`, o.token ?? admin, body, {
      'openstack-api-version': `compute ${o.version ?? 'latest'}`,
    });
  const placement: ServersCloud['placement'] = (method, path, body) =>
    local.call(method, `/placement${path}`, admin, body, { 'openstack-api-version': 'placement 1.39' });
  const t: ServersCloud = {
    local,
    config,
    admin,
    demo,
    demoProject: await projectOf(demo),
    adminProject: await projectOf(admin),
    imageId,
    database,
    db: database.db,
    nova,
    placement,
    async image(fields) {
      const r = await local.call('POST', '/image/v2/images', admin, {
        disk_format: 'raw',
        container_format: 'bare',
        visibility: 'public',
        ...fields,
      });
      await local.call('PUT', `/image/v2/images/${r.body.id}/file`, admin, 'x'.repeat(64), {
        'content-type': 'application/octet-stream',
      });
      return r.body.id as string;
    },
    async flavor(id, ram, vcpus, disk, extraSpecs) {
      const r = await nova('POST', '/flavors', { flavor: { name: id, id, ram, vcpus, disk } });
      if (r.status !== 200) throw new Error(`flavor ${id}: ${r.status} ${JSON.stringify(r.body)}`);
      if (extraSpecs) {
        const s = await nova('POST', `/flavors/${id}/os-extra_specs`, { extra_specs: extraSpecs });
        if (s.status !== 200) throw new Error(`extra specs of ${id}: ${s.status} ${JSON.stringify(s.body)}`);
      }
    },
    async hypervisor(h) {
      const node = h.node ?? h.host;
      const uuid = crypto.randomUUID();
      const ts = new Date().toISOString();
      const seen = new Date(Date.now() - (h.lastSeenAgo ?? 0) * 1000).toISOString();
      let service = await t.db.selectFrom('services').select('id').where('host', '=', h.host).executeTakeFirst();
      if (!service) {
        service = await t.db
          .insertInto('services')
          .values({
            uuid: crypto.randomUUID(),
            host: h.host,
            binary: 'nova-compute',
            topic: 'compute',
            report_count: 1,
            disabled: h.disabled ? 1 : 0,
            disabled_reason: h.disabled ? 'maintenance' : null,
            last_seen_up: seen,
            forced_down: 0,
            version: 61,
            created_at: ts,
            updated_at: ts,
            deleted_at: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
      }
      const vcpus = h.vcpus ?? 4;
      const memoryMb = h.memoryMb ?? 4096;
      const diskGb = h.diskGb ?? 40;
      await t.db
        .insertInto('compute_nodes')
        .values({
          uuid,
          service_id: service.id,
          host: h.host,
          hypervisor_hostname: node,
          hypervisor_type: 'fake',
          hypervisor_version: 1000,
          vcpus,
          memory_mb: memoryMb,
          local_gb: diskGb,
          vcpus_used: 0,
          memory_mb_used: 0,
          local_gb_used: 0,
          free_ram_mb: memoryMb,
          free_disk_gb: diskGb,
          current_workload: 0,
          running_vms: 0,
          disk_available_least: diskGb,
          host_ip: '127.0.0.1',
          cpu_info: '{}',
          supported_instances: JSON.stringify(h.supported ?? [['x86_64', 'fake', 'hvm']]),
          stats: '{}',
          cpu_allocation_ratio: 1,
          ram_allocation_ratio: 1,
          disk_allocation_ratio: 1,
          created_at: ts,
          updated_at: ts,
          deleted_at: null,
        })
        .execute();
      const rp = await placement('POST', '/resource_providers', { name: node, uuid });
      if (rp.status !== 200) throw new Error(`provider ${node}: ${rp.status} ${JSON.stringify(rp.body)}`);
      const inventories = h.inventories ?? {
        ...(vcpus ? { VCPU: { total: vcpus } } : {}),
        ...(memoryMb ? { MEMORY_MB: { total: memoryMb } } : {}),
        ...(diskGb ? { DISK_GB: { total: diskGb } } : {}),
      };
      for (const rc of Object.keys(inventories)) {
        if (rc.startsWith('CUSTOM_')) await placement('PUT', `/resource_classes/${rc}`);
      }
      const inv = await placement('PUT', `/resource_providers/${uuid}/inventories`, {
        resource_provider_generation: 0,
        inventories,
      });
      if (inv.status !== 200) throw new Error(`inventory of ${node}: ${inv.status} ${JSON.stringify(inv.body)}`);
      if (h.traits?.length) {
        for (const tr of h.traits) if (tr.startsWith('CUSTOM_')) await placement('PUT', `/traits/${tr}`);
        await placement('PUT', `/resource_providers/${uuid}/traits`, {
          resource_provider_generation: 1,
          traits: h.traits,
        });
      }
      return uuid;
    },
    managerEnv: (host, driver) => ({
      database,
      jobs,
      host,
      driver,
      clients,
      config,
      log,
      reportResources: async () => {},
    }),
    manager(host, driver) {
      const w = new Worker(jobs, { handlers: managerHandlers(t.managerEnv(host, driver)), targets: [host], log });
      workers.push(w);
      w.start();
      return w;
    },
    async boot(server, o = {}) {
      const body = {
        server: { name: 'vm', imageRef: imageId, flavorRef: 'vm-tiny', networks: 'none', ...server },
        ...(o.hints ? { 'os:scheduler_hints': o.hints } : {}),
      };
      const r = await nova('POST', '/servers', body, o.token ? { token: o.token } : {});
      if (r.status !== 202) throw new Error(`boot: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.server.id as string;
    },
    async remove(id) {
      const r = await nova('DELETE', `/servers/${id}`);
      if (r.status !== 204) throw new Error(`delete ${id}: ${r.status} ${JSON.stringify(r.body)}`);
      await until(`server ${id} deleted`, async () => (await nova('GET', `/servers/${id}`)).status === 404);
    },
    async waitFor(id, statuses, ms = 20000) {
      let last: any;
      await until(
        `server ${id} in ${statuses.join('|')} (last: ${JSON.stringify(last?.status)})`,
        async () => {
          last = (await nova('GET', `/servers/${id}`)).body.server;
          return statuses.includes(last?.status);
        },
        ms,
      );
      return last;
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await database.close();
      await local.close();
    },
  };
  return t;
}
