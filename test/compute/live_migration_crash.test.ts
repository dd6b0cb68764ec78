// Live migrations across real processes on SQLite: `concord up` (API, Placement, conductor) and
// two `concord agent compute` processes whose fake live migrations take 30 seconds. (a) Two API
// processes asked at once to live-migrate one server: one 202, one 409, one migration. (b) The
// source's agent killed with SIGKILL while the guest moves and started again: its live_migration
// job, run again once its lease runs out, ends the migration in error and puts the server back on
// the source; Placement holds the server's allocation there and nothing else (the migration's
// consumer gone, no claim left on the destination). Needs `npm run build`.
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
const AGENT_ENV = {
  ...CRASH_ENV,
  CONCORD_FAKE_DRIVER__LIVE_MIGRATION_DELAY: '30',
  CONCORD_DEFAULT__REPORT_INTERVAL: '1',
};

describe('live migrations across processes (SQLite)', () => {
  let cloud: Cloud;
  let second: Cloud;
  const agents: Record<string, AgentProcess> = {};
  let admin: Client;
  let image: string;

  beforeAll(async () => {
    cloud = await startCloud({ env: CLOUD_ENV });
    second = await startCloud({ dataDir: cloud.dataDir, home: cloud.home, env: CLOUD_ENV });
    for (const host of ['lmc1', 'lmc2']) agents[host] = startAgentProcess(cloud, host, 1, AGENT_ENV);
    ({ admin, image } = await readyToBoot(cloud, 2));
  }, 90000);
  afterAll(async () => {
    for (const a of Object.values(agents)) await a.kill('SIGTERM');
    await second?.stop();
    await cloud?.stop();
    cloud?.cleanup();
  });

  const logs = () => `cloud:\n${cloud.log()}\nlmc1:\n${agents.lmc1!.log()}\nlmc2:\n${agents.lmc2!.log()}`;
  const server = async (id: string) => (await admin.ok('GET', `/servers/${id}`)).server;
  const migrations = async (id: string) => (await admin.ok('GET', `/os-migrations?instance_uuid=${id}`)).migrations;
  const live = (via: Client, id: string) =>
    via.call('POST', `/servers/${id}/action`, { 'os-migrateLive': { block_migration: 'auto', host: 'lmc2' } });

  it('gives one of two racing requests the migration, through either API process', async () => {
    const id = (
      await admin.ok('POST', '/servers', {
        server: {
          name: 'race',
          imageRef: image,
          flavorRef: 'vm-tiny',
          networks: 'none',
          availability_zone: 'nova:lmc1',
        },
      })
    ).server.id;
    await until('ACTIVE', async () => (await server(id)).status === 'ACTIVE', 30000);
    const answers = await Promise.all([live(admin, id), live(admin.via(second.base), id)]);
    expect(answers.map((a) => a.status).sort(), logs()).toEqual([202, 409]);
    await until('running', async () => (await migrations(id))[0]?.status === 'running', 30000);
    expect((await migrations(id)).length).toBe(1);
  }, 60000);

  it('puts the server back on the source when its agent dies mid-migration', async () => {
    const [s] = await allServers(admin);
    const id = s!.id;
    expect((await server(id))['OS-EXT-STS:task_state']).toBe('migrating');
    await agents.lmc1!.kill('SIGKILL');
    agents.lmc1 = startAgentProcess(cloud, 'lmc1', 1, AGENT_ENV);
    await until('settled', async () => (await server(id))['OS-EXT-STS:task_state'] === null, 60000);
    const after = await server(id);
    expect([after.status, after['OS-EXT-SRV-ATTR:host']], logs()).toEqual(['ACTIVE', 'lmc1']);
    expect((await migrations(id))[0].status).toBe('error');
    await checkAllocations(admin, await allServers(admin), FLAVOR);
  }, 90000);
});
