// Builds interrupted by kill -9, as real processes on SQLite: `concord up` (its API, Placement and
// the conductor) and a `concord agent compute` process whose fake spawns take two seconds. 30 boots
// for 20 vCPUs. (a) While some builds are still being scheduled and others spawn, the API process
// is killed with SIGKILL and started again; (b) while builds spawn, the agent is; (c) the agent is
// killed and never comes back: its builds wait in BUILD, and deleting them works at once (Nova's
// local delete of a server whose host is down), their claims released. The jobs the dead process held come back
// once their lease runs out and are run again: every server ends ACTIVE or in ERROR (NoValidHost),
// none stays in BUILD, exactly the capacity is ACTIVE (a claim left by the dead run is neither
// kept twice nor leaked), and Placement holds exactly the ACTIVE servers' allocations.
// Needs `npm run build`.
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startCloud, type Cloud } from '../helpers/cloud.js';
import { CRASH_ENV, until } from '../helpers/jobs.js';
import {
  allServers,
  bootMany,
  checkAllocations,
  Client,
  settle,
  startAgentProcess,
  type AgentProcess,
  type Server,
} from '../helpers/fleet.js';

const BOOTS = 30;
const NODES = 2;
const VCPUS_PER_NODE = 10;
const CAPACITY = NODES * VCPUS_PER_NODE;
const FLAVOR = { VCPU: 1, MEMORY_MB: 1024, DISK_GB: 1 };
const CLOUD_ENV = {
  ...CRASH_ENV,
  CONCORD_LOG_LEVEL: 'warn',
  CONCORD_COMPUTE__FAKE_HYPERVISORS: '0',
  CONCORD_QUOTA__INSTANCES: '-1',
  CONCORD_QUOTA__CORES: '-1',
  CONCORD_QUOTA__RAM: '-1',
  // Few builds at once: when the kill comes, some are still queued for the conductor.
  CONCORD_JOBS__CONCURRENCY: '3',
};
const AGENT_ENV = {
  ...CRASH_ENV,
  CONCORD_FAKE_DRIVER__VCPUS: String(VCPUS_PER_NODE),
  CONCORD_FAKE_DRIVER__SPAWN_DELAY: '2',
  CONCORD_DEFAULT__CPU_ALLOCATION_RATIO: '1.0',
  CONCORD_DEFAULT__REPORT_INTERVAL: '1',
};

describe('builds interrupted by kill -9 (SQLite)', () => {
  let cloud: Cloud;
  let agent: AgentProcess;
  const stale: Cloud[] = [];
  let admin: Client;
  let image: string;

  /** The cloud and its agent, with `env` added to the cloud's. */
  async function start(env: Record<string, string> = {}): Promise<void> {
    cloud = await startCloud({ env: { ...CLOUD_ENV, ...env } });
    agent = startAgentProcess(cloud, 'crash1', NODES, AGENT_ENV);
    admin = await Client.login(cloud.base, 'admin', cloud.credentials.admin_password, 'admin');
    await admin.ok('POST', '/flavors', { flavor: { name: 'vm-tiny', id: 'vm-tiny', ram: 1024, vcpus: 1, disk: 1 } });
    image = (await admin.ok('GET', '/image/v2/images?name=cirros-0.6.2-x86_64-disk')).images[0].id;
    await until(
      "the agent's hypervisors in Placement",
      async () =>
        (await admin.ok('GET', '/placement/resource_providers?resources=VCPU:1')).resource_providers.length === NODES,
      30000,
    );
  }

  afterEach(async () => {
    await agent?.kill('SIGTERM');
    for (const c of [...stale, cloud]) await c?.stop();
    cloud?.cleanup();
  });

  /** Boots `count` servers at once and waits until some spawn on the agent. */
  async function bootUntilSpawning(count: number): Promise<string[]> {
    const ids = await bootMany([admin], count, count, 'vm-tiny', image);
    await until(
      'servers spawning',
      async () =>
        ((await admin.ok('GET', '/servers/detail?all_tenants=1&status=BUILD')).servers as Server[]).some(
          (s) => s['OS-EXT-STS:task_state'] === 'spawning',
        ),
      30000,
    );
    return ids;
  }

  /** The task states of the building instances, as the compute database has them. */
  function buildStates(): Record<string, number> {
    const db = new SQLite(join(cloud.dataDir, 'compute.sqlite'), { readonly: true });
    try {
      const rows = db
        .prepare("SELECT task_state, count(*) AS n FROM instances WHERE vm_state = 'building' GROUP BY task_state")
        .all() as { task_state: string | null; n: number }[];
      return Object.fromEntries(rows.map((r) => [r.task_state ?? 'handed over', r.n]));
    } finally {
      db.close();
    }
  }

  /** Every server ACTIVE or NoValidHost, exactly the capacity ACTIVE, allocations those of the
   * ACTIVE servers. */
  async function expectSettled(ids: string[], logs: () => string): Promise<Server[]> {
    const servers = await settle(admin, ids, 60000);
    const active = servers.filter((s) => s.status === 'ACTIVE');
    expect(active.length, logs()).toBe(CAPACITY);
    for (const s of servers.filter((x) => x.status !== 'ACTIVE')) {
      expect(s.status).toBe('ERROR');
      expect(s.fault?.message).toBe('No valid host was found. There are not enough hosts available.');
    }
    await checkAllocations(admin, servers, FLAVOR);
    return servers;
  }

  it('(a) the API process and its conductor killed mid-build and started again', async () => {
    await start();
    const ids = await bootUntilSpawning(BOOTS / 2);
    // A second wave, and the kill as soon as it is accepted: its builds are still being scheduled.
    ids.push(...(await bootMany([admin], BOOTS / 2, BOOTS / 2, 'vm-tiny', image)));
    process.kill(cloud.pid, 'SIGKILL');
    await cloud.exited;
    const states = buildStates();
    expect(states.spawning, JSON.stringify(states)).toBeGreaterThan(0);
    expect(states.scheduling, JSON.stringify(states)).toBeGreaterThan(0);
    stale.push(cloud);
    const port = Number(new URL(cloud.base).port);
    cloud = await startCloud({ dataDir: cloud.dataDir, home: cloud.home, env: CLOUD_ENV, port });
    admin = await Client.login(cloud.base, 'admin', cloud.credentials.admin_password, 'admin');
    await expectSettled(ids, () => `cloud:\n${cloud.log()}\nagent:\n${agent.log()}`);
  }, 150000);

  it('(b) the agent killed mid-spawn and started again', async () => {
    await start();
    const ids = await bootUntilSpawning(BOOTS);
    await agent.kill('SIGKILL');
    expect(buildStates().spawning).toBeGreaterThan(0);
    agent = startAgentProcess(cloud, 'crash1', NODES, AGENT_ENV);
    await expectSettled(ids, () => `cloud:\n${cloud.log()}\nagent:\n${agent.log()}`);
  }, 150000);

  it('(c) the agent killed mid-spawn for good: its builds wait in BUILD; deleted, they go at once', async () => {
    await start({ CONCORD_DEFAULT__SERVICE_DOWN_TIME: '3' });
    await bootUntilSpawning(BOOTS);
    await agent.kill('SIGKILL');
    await until(
      "the agent's service down",
      async () => (await admin.ok('GET', '/os-services?binary=nova-compute')).services[0].state === 'down',
      20000,
    );
    // Nothing but an agent of host crash1 runs its jobs: its builds wait for it, their claims held.
    const servers = await allServers(admin);
    const building = servers.filter((s) => s.status === 'BUILD');
    expect(building.length).toBeGreaterThan(0);
    expect(servers.filter((s) => s.status === 'ACTIVE').length + building.length).toBe(CAPACITY);
    await checkAllocations(
      admin,
      servers.map((s) => ({ ...s, status: s.status === 'BUILD' ? 'ACTIVE' : s.status })),
      FLAVOR,
    );
    // Its servers are deleted at once (Nova's local delete), their claims released.
    for (const s of servers) expect((await admin.call('DELETE', `/servers/${s.id}`)).status).toBe(204);
    await until('every server gone', async () => (await allServers(admin)).length === 0, 20000);
    await checkAllocations(admin, [], FLAVOR);
  }, 150000);
});
