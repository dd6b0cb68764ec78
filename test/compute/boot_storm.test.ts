// 500 boots for 300 vCPUs, as real processes: `concord up` (on SQLite one, on PostgreSQL two
// sharing the database: two APIs, two conductors) and two `concord agent compute` processes with
// three fake hypervisors of 50 vCPUs each at allocation ratio 1.0. The boots come as concurrent
// HTTP requests (50 in flight) from two projects through every API. Exactly 300 servers end
// ACTIVE and 200 in ERROR with NoValidHost, none in BUILD, and Placement holds exactly the ACTIVE
// servers' allocations (per provider and per project). Needs `npm run build`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, type Cloud } from '../helpers/cloud.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { until } from '../helpers/jobs.js';
import {
  bootMany,
  checkAllocations,
  Client,
  cpuSeconds,
  settle,
  startAgentProcess,
  type AgentProcess,
} from '../helpers/fleet.js';

const skipPg = postgresUnavailable();
const BOOTS = 500;
const IN_FLIGHT = 50;
const HOSTS = { storm1: 3, storm2: 3 };
const VCPUS_PER_NODE = 50;
const CAPACITY = Object.values(HOSTS).reduce((a, n) => a + n * VCPUS_PER_NODE, 0);
const FLAVOR = { VCPU: 1, MEMORY_MB: 1024, DISK_GB: 1 };

const CLOUD_ENV = {
  CONCORD_LOG_LEVEL: 'warn',
  CONCORD_COMPUTE__FAKE_HYPERVISORS: '0',
  CONCORD_QUOTA__INSTANCES: '-1',
  CONCORD_QUOTA__CORES: '-1',
  CONCORD_QUOTA__RAM: '-1',
  CONCORD_JOBS__POLL_INTERVAL: '0.2',
};
const AGENT_ENV = {
  CONCORD_FAKE_DRIVER__VCPUS: String(VCPUS_PER_NODE),
  CONCORD_DEFAULT__CPU_ALLOCATION_RATIO: '1.0',
  CONCORD_JOBS__POLL_INTERVAL: '0.2',
};

let pg: PgCluster | undefined;
afterAll(() => pg?.stop());

const ENGINES = [
  { name: 'SQLite, one API process', apis: 1, skip: null as string | null, url: async () => undefined },
  {
    name: 'PostgreSQL, two API processes',
    apis: 2,
    skip: skipPg,
    url: async () => (pg ??= await startPostgres()).createDatabase('storm'),
  },
];

describe.each(ENGINES)('$name: 500 boots on 300 vCPUs', ({ apis, skip, url }) => {
  const clouds: Cloud[] = [];
  const agents: AgentProcess[] = [];
  beforeAll(async () => {
    if (skip) return;
    const databaseUrl = await url();
    const dbArgs = databaseUrl ? ['--database-url', databaseUrl] : [];
    clouds.push(await startCloud({ env: CLOUD_ENV, extraArgs: dbArgs }));
    for (let i = 1; i < apis; i++) {
      clouds.push(await startCloud({ dataDir: clouds[0]!.dataDir, env: CLOUD_ENV, extraArgs: dbArgs }));
    }
    for (const [host, nodes] of Object.entries(HOSTS)) {
      agents.push(startAgentProcess(clouds[0]!, host, nodes, AGENT_ENV, dbArgs));
    }
  }, 90000);
  afterAll(async () => {
    for (const a of agents) await a.kill('SIGTERM');
    for (const c of clouds) await c.stop();
    clouds[0]?.cleanup();
  });

  it.skipIf(skip)(
    `gives exactly ${CAPACITY} boots a host${skip ? ` (skipped: ${skip})` : ''}`,
    async () => {
      const [first] = clouds as [Cloud];
      const admin = await Client.login(first.base, 'admin', first.credentials.admin_password, 'admin');
      const demo = await Client.login(first.base, 'demo', first.credentials.demo_password, 'demo');
      await admin.ok('POST', '/flavors', { flavor: { name: 'vm-tiny', id: 'vm-tiny', ram: 1024, vcpus: 1, disk: 1 } });
      const image = (await admin.ok('GET', '/image/v2/images?name=cirros-0.6.2-x86_64-disk')).images[0].id;
      await until(
        'every hypervisor in Placement',
        async () => {
          const { resource_providers: rps } = await admin.ok('GET', '/placement/resource_providers?resources=VCPU:1');
          return rps.length === 6;
        },
        30000,
      );

      const started = Date.now();
      const through = clouds.flatMap((c) => [admin.via(c.base), demo.via(c.base)]);
      const ids = await bootMany(through, BOOTS, IN_FLIGHT, 'vm-tiny', image);
      const accepted = Date.now();
      const servers = await settle(admin, ids, 180000);
      const settled = Date.now();
      // The CPU each process used (started, booted, scheduled, spawned): what a loaded machine
      // stretches the wall times by is not concord's.
      const cpu = [...clouds.map((c) => cpuSeconds(c.pid)), ...agents.map((a) => cpuSeconds(a.pid))];
      console.log(
        `${apis} API process(es): ${BOOTS} boots accepted in ${accepted - started} ms, settled ` +
          `${settled - accepted} ms later; CPU seconds of the APIs then agents: ${cpu.join(', ')}`,
      );

      const agentLogs = () => agents.map((a) => `${a.host}:\n${a.log()}`).join('\n');
      const active = servers.filter((s) => s.status === 'ACTIVE');
      const errors = servers.filter((s) => s.status === 'ERROR');
      expect(servers).toHaveLength(BOOTS);
      expect(active.length, agentLogs()).toBe(CAPACITY);
      expect(errors).toHaveLength(BOOTS - CAPACITY);
      for (const s of errors) {
        expect(s.fault?.message).toBe('No valid host was found. There are not enough hosts available.');
      }
      const perProvider = await checkAllocations(admin, servers, FLAVOR);
      expect(Object.values(perProvider)).toEqual(Array(6).fill(VCPUS_PER_NODE));
      // Both projects got some.
      expect(new Set(active.map((s) => s.tenant_id))).toEqual(new Set([admin.project, demo.project]));
    },
    300000,
  );
});
