// Evacuations across real processes on SQLite: `concord up` twice on one data dir (API,
// Placement, conductor) and two `concord agent compute` processes, the source's killed and its
// service forced down. (a) Both API processes asked at once to evacuate one server: one 200, one
// 409, one migration. (b) The destination's agent, whose fake spawns take 30 seconds, killed with
// SIGKILL mid-rebuild and started again without the delay: its evacuate_instance job, run again
// once its lease runs out, rebuilds the server there — ACTIVE, the migration done, nothing stuck,
// the instance holding both hosts. (c) The source's agent started again: the source's allocations
// taken out, the migration completed, and Placement holds the server's flavor on its new host and
// nothing else. Needs `npm run build`.
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
} from '../helpers/fleet.js';

const FLAVOR = { VCPU: 1, MEMORY_MB: 1024, DISK_GB: 1 };
const CLOUD_ENV = { ...CRASH_ENV, CONCORD_LOG_LEVEL: 'warn', CONCORD_COMPUTE__FAKE_HYPERVISORS: '0' };
const AGENT_ENV = { ...CRASH_ENV, CONCORD_DEFAULT__REPORT_INTERVAL: '1' };
const SLOW_SPAWNS = { ...AGENT_ENV, CONCORD_FAKE_DRIVER__SPAWN_DELAY: '30' };

describe('evacuations across processes (SQLite)', () => {
  let cloud: Cloud;
  let second: Cloud;
  const agents: Record<string, AgentProcess> = {};
  let admin: Client;
  let image: string;
  let id: string;

  beforeAll(async () => {
    cloud = await startCloud({ env: CLOUD_ENV });
    second = await startCloud({ dataDir: cloud.dataDir, home: cloud.home, env: CLOUD_ENV });
    agents.evc1 = startAgentProcess(cloud, 'evc1', 1, AGENT_ENV);
    agents.evc2 = startAgentProcess(cloud, 'evc2', 1, SLOW_SPAWNS);
    ({ admin, image } = await readyToBoot(cloud, 2));
  }, 90000);
  afterAll(async () => {
    for (const a of Object.values(agents)) await a.kill('SIGTERM');
    await second?.stop();
    await cloud?.stop();
    cloud?.cleanup();
  });

  const logs = () =>
    [`cloud:\n${cloud.log()}`, ...Object.entries(agents).map(([h, a]) => `${h}:\n${a.log()}`)].join('\n');
  const server = async () => (await admin.ok('GET', `/servers/${id}`)).server;
  const migrations = async () => (await admin.ok('GET', `/os-migrations?instance_uuid=${id}`)).migrations;
  const allocations = async () =>
    Object.keys((await admin.ok('GET', `/placement/allocations/${id}`)).allocations).length;
  const evacuate = (via: Client) => via.call('POST', `/servers/${id}/action`, { evacuate: {} });
  const forceDown = async (host: string, down: boolean) => {
    const [service] = (await admin.ok('GET', `/os-services?binary=nova-compute&host=${host}`)).services;
    await admin.ok('PUT', `/os-services/${service.id}`, { forced_down: down });
  };

  it('gives one of two racing requests the evacuation, through either API process', async () => {
    id = (
      await admin.ok('POST', '/servers', {
        server: {
          name: 'evc',
          imageRef: image,
          flavorRef: 'vm-tiny',
          networks: 'none',
          availability_zone: 'nova:evc1',
        },
      })
    ).server.id;
    await until('ACTIVE', async () => (await server()).status === 'ACTIVE', 30000);
    await agents.evc1!.kill('SIGKILL');
    await forceDown('evc1', true);
    const answers = await Promise.all([evacuate(admin), evacuate(admin.via(second.base))]);
    expect(answers.map((a) => a.status).sort(), logs()).toEqual([200, 409]);
    await until('pre-migrating', async () => (await migrations())[0]?.status === 'pre-migrating', 30000);
    expect((await migrations()).length).toBe(1);
  }, 60000);

  it("rebuilds the server once the destination's agent, killed mid-rebuild, is back", async () => {
    const action = (await admin.ok('GET', `/servers/${id}/os-instance-actions`)).instanceActions.find(
      (a: { action: string }) => a.action === 'evacuate',
    );
    const rebuilding = async () =>
      (await admin.ok('GET', `/servers/${id}/os-instance-actions/${action.request_id}`)).instanceAction.events.some(
        (e: { event: string; result: string | null }) => e.event === 'compute_rebuild_instance' && e.result === null,
      );
    await until('the destination rebuilding', rebuilding, 30000);
    await agents.evc2!.kill('SIGKILL');
    agents.evc2 = startAgentProcess(cloud, 'evc2', 1, AGENT_ENV);
    await until('settled', async () => (await server())['OS-EXT-STS:task_state'] === null, 60000);
    const after = await server();
    expect([after.status, after['OS-EXT-SRV-ATTR:host']], logs()).toEqual(['ACTIVE', 'evc2']);
    expect((await migrations())[0].status).toBe('done');
    expect(await allocations()).toBe(2);
  }, 90000);

  it("takes the source's allocations out once its agent starts again", async () => {
    agents.evc1 = startAgentProcess(cloud, 'evc1', 1, AGENT_ENV);
    await until('completed', async () => (await migrations())[0].status === 'completed', 30000);
    await forceDown('evc1', false);
    expect(await allocations()).toBe(1);
    await checkAllocations(admin, await allServers(admin), FLAVOR);
  }, 60000);
});
