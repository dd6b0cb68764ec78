// Shelving with real processes on SQLite: `concord up` (API, Placement, Glance, the conductor) and
// a `concord agent compute` process whose fake spawns take two seconds, with [DEFAULT]
// shelved_offload_time = 1 and shelved_poll_interval = 1. Of two shelves of one server at once one
// wins, the other gets a 409 and leaves no image. Shelved servers are offloaded by the
// agent's periodic task (their allocations gone); their unshelves are interrupted by kill -9 of the
// agent mid-spawn, and once it is started again every server ends ACTIVE, with exactly its
// allocations, no task left under way, and its shelved image deleted. Needs `npm run build`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, type Cloud } from '../helpers/cloud.js';
import { CRASH_ENV, until } from '../helpers/jobs.js';
import {
  allServers,
  checkAllocations,
  readyToBoot,
  startAgentProcess,
  type AgentProcess,
  type Client,
  type Server,
} from '../helpers/fleet.js';

const SERVERS = 6;
const FLAVOR = { VCPU: 1, MEMORY_MB: 1024, DISK_GB: 1 };
const AGENT_ENV = {
  ...CRASH_ENV,
  CONCORD_FAKE_DRIVER__SPAWN_DELAY: '2',
  CONCORD_DEFAULT__REPORT_INTERVAL: '1',
  CONCORD_DEFAULT__SHELVED_OFFLOAD_TIME: '1',
  CONCORD_DEFAULT__SHELVED_POLL_INTERVAL: '1',
};

describe('shelving with real processes (SQLite)', () => {
  let cloud: Cloud;
  let agent: AgentProcess;
  let admin: Client;
  let image: string;
  const logs = () => `cloud:\n${cloud.log()}\nagent:\n${agent.log()}`;

  beforeAll(async () => {
    cloud = await startCloud({
      env: { ...CRASH_ENV, CONCORD_LOG_LEVEL: 'warn', CONCORD_COMPUTE__FAKE_HYPERVISORS: '0' },
    });
    agent = startAgentProcess(cloud, 'shv1', 2, AGENT_ENV);
    ({ admin, image } = await readyToBoot(cloud, 2));
  }, 60000);
  afterAll(async () => {
    await agent?.kill('SIGTERM');
    await cloud?.stop();
    cloud?.cleanup();
  });

  /** Waits until every server of `ids` is in `status` with no task under way; the servers. */
  async function settled(ids: string[], status: string, ms = 30000): Promise<Server[]> {
    let servers: Server[] = [];
    await until(
      `${ids.length} servers ${status} (now: ${servers.map((s) => `${s.status}/${s['OS-EXT-STS:task_state']}`).join(' ')})`,
      async () => {
        servers = (await allServers(admin)).filter((s) => ids.includes(s.id));
        return servers.every((s) => s.status === status && s['OS-EXT-STS:task_state'] === null);
      },
      ms,
    );
    return servers;
  }

  it('offloads shelved servers periodically; unshelves survive kill -9 of the agent', async () => {
    const ids: string[] = [];
    for (let i = 0; i < SERVERS; i++) {
      const body = await admin.ok('POST', '/servers', {
        server: { name: `shelf-${i}`, imageRef: image, flavorRef: 'vm-tiny', networks: 'none' },
      });
      ids.push(body.server.id as string);
    }
    await settled(ids, 'ACTIVE');
    // Two shelves of one server at once: one wins, the other is refused and leaves no image behind.
    const racing = await Promise.all(
      [0, 1].map(() => admin.call('POST', `/servers/${ids[0]}/action`, { shelve: null })),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([202, 409]);
    for (const id of ids.slice(1)) await admin.ok('POST', `/servers/${id}/action`, { shelve: null });
    // Shelved first, then offloaded by the agent's periodic task a second or so later.
    const offloaded = await settled(ids, 'SHELVED_OFFLOADED');
    await checkAllocations(admin, offloaded, FLAVOR);
    const images = (await admin.ok('GET', '/image/v2/images')).images.filter((i: any) => i.name.endsWith('-shelved'));
    expect(images).toHaveLength(SERVERS);
    for (const id of ids) {
      const [action] = (await admin.ok('GET', `/servers/${id}/os-instance-actions`)).instanceActions;
      const events = (await admin.ok('GET', `/servers/${id}/os-instance-actions/${action.request_id}`)).instanceAction
        .events;
      expect([action.action, events.map((e: any) => e.event).sort()]).toEqual([
        'shelve',
        ['compute_shelve_instance', 'compute_shelve_offload_instance'],
      ]);
    }

    for (const id of ids) await admin.ok('POST', `/servers/${id}/action`, { unshelve: null });
    await until(
      'unshelves spawning',
      async () => (await allServers(admin)).some((s) => s['OS-EXT-STS:task_state'] === 'spawning'),
      30000,
    );
    await agent.kill('SIGKILL');
    agent = startAgentProcess(cloud, 'shv1', 2, AGENT_ENV);
    const active = await settled(ids, 'ACTIVE', 60000).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${logs()}`);
    });
    await checkAllocations(admin, active, FLAVOR);
    const left = (await admin.ok('GET', '/image/v2/images')).images.filter((i: any) => i.name.endsWith('-shelved'));
    expect(left).toEqual([]);
  }, 150000);
});
