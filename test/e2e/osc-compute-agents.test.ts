// `concord up` with its in-process fake hypervisors and a `concord agent compute` process beside it,
// sharing the compute database (the data dir's SQLite file, or PostgreSQL), driven with the real
// `openstack` CLI: the agent's hypervisors reach Placement and os-hypervisors (list, show with the
// uptime the agent's process tells), `compute service set --disable` puts COMPUTE_STATUS_DISABLED
// on its providers, and once the agent is killed (-9) its service is reported down after
// service_down_time.
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startCloud, toolUnavailable, type Cloud } from '../helpers/cloud.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { until } from '../helpers/jobs.js';

const skip = toolUnavailable('openstack', 'python3-openstackclient python3-osc-placement');
const skipPg = postgresUnavailable();
const DOWN_TIME = 4;
/** Fast heartbeats and a short service_down_time, for the cloud and the agent alike. */
const ENV = {
  CONCORD_COMPUTE__FAKE_HYPERVISORS: '1',
  CONCORD_DEFAULT__REPORT_INTERVAL: '1',
  CONCORD_DEFAULT__SERVICE_DOWN_TIME: String(DOWN_TIME),
  CONCORD_JOBS__POLL_INTERVAL: '0.2',
};

let pg: PgCluster | undefined;
afterAll(() => pg?.stop());

const ENGINES = [
  { name: 'SQLite', skip: null as string | null, url: async () => undefined },
  { name: 'PostgreSQL', skip: skipPg, url: async () => (pg ??= await startPostgres()).createDatabase('agents') },
];

describe.each(ENGINES)('openstack CLI: compute agents ($name)', ({ skip: engineSkip, url }) => {
  const why = skip ?? engineSkip;
  let c: Cloud;
  let agent: ChildProcess;
  let agentLog = '';
  beforeAll(async () => {
    if (why) return;
    const databaseUrl = await url();
    const dbArgs = databaseUrl ? ['--database-url', databaseUrl] : [];
    c = await startCloud({ env: ENV, extraArgs: dbArgs });
    agent = spawn(
      process.execPath,
      [
        '--no-deprecation',
        BIN,
        'agent',
        'compute',
        '--host',
        'agent1',
        '--nodes',
        '2',
        '--data-dir',
        c.dataDir,
        ...dbArgs,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          ...ENV,
          HOME: c.home,
          CONCORD_KEYSTONE_AUTHTOKEN__AUTH_URL: `${c.base}/identity`,
          CONCORD_KEYSTONE_AUTHTOKEN__USERNAME: 'nova',
          CONCORD_KEYSTONE_AUTHTOKEN__PASSWORD: c.credentials.service_password,
        },
      },
    );
    agent.stdout!.on('data', (d) => {
      agentLog += d;
    });
    agent.stderr!.on('data', (d) => {
      agentLog += d;
    });
  }, 60000);
  afterAll(async () => {
    if (agent && agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
    await c?.stop();
    c?.cleanup();
  });

  const ok = (args: string[]) => {
    const r = c.osc(args);
    expect(r.status, `${args.join(' ')}\n${r.stderr}\nagent:\n${agentLog}`).toBe(0);
    return r.json;
  };
  const providers = () => ok(['resource', 'provider', 'list', '-f', 'json']) as { name: string; uuid: string }[];
  // Waiting is done over HTTP with one token: each `openstack` run costs seconds.
  let token = '';
  const get = async (path: string, version: string): Promise<any> => {
    token ||= ok(['token', 'issue', '-f', 'json']).id;
    const r = await fetch(`${c.base}${path}`, { headers: { 'x-auth-token': token, 'openstack-api-version': version } });
    return r.json();
  };
  const names = async () =>
    (await get('/placement/resource_providers', 'placement 1.39')).resource_providers
      .map((p: { name: string }) => p.name)
      .sort();
  const traitsOf = async (uuid: string): Promise<string[]> =>
    (await get(`/placement/resource_providers/${uuid}/traits`, 'placement 1.39')).traits;
  const stateOf = async (host: string) =>
    (await get(`/compute/v2.1/os-services?host=${host}`, 'compute 2.53')).services[0].state;

  it.skipIf(why)(
    `reports the agent's hypervisors to Placement and os-hypervisors${why ? ` (skipped: ${why})` : ''}`,
    async () => {
      await until("the agent's providers", async () => (await names()).length === 3, 30000);
      expect(
        providers()
          .map((p) => p.name)
          .sort(),
      ).toEqual(['agent1-node1', 'agent1-node2', 'compute1']);
      const node = providers().find((p) => p.name === 'agent1-node1')!;
      const inv = ok([
        '--os-placement-api-version',
        '1.39',
        'resource',
        'provider',
        'inventory',
        'list',
        node.uuid,
        '-f',
        'json',
      ]);
      expect(inv.find((i: { resource_class: string }) => i.resource_class === 'VCPU')).toMatchObject({
        allocation_ratio: 4,
      });
      expect(inv.find((i: { resource_class: string }) => i.resource_class === 'MEMORY_MB')).toMatchObject({
        reserved: 512,
      });

      const hypervisors = ok(['hypervisor', 'list', '-f', 'json']) as Record<string, string>[];
      expect(hypervisors.map((h) => h['Hypervisor Hostname']).sort()).toEqual([
        'agent1-node1',
        'agent1-node2',
        'compute1',
      ]);
      expect(hypervisors.every((h) => h.State === 'up' && h['Hypervisor Type'] === 'fake')).toBe(true);
      const v253 = ok(['--os-compute-api-version', '2.53', 'hypervisor', 'list', '-f', 'json']) as Record<
        string,
        string
      >[];
      expect(v253.find((h) => h['Hypervisor Hostname'] === 'agent1-node1')!.ID).toBe(node.uuid);

      const shown = ok(['hypervisor', 'show', 'agent1-node1', '-f', 'json']);
      expect(shown).toMatchObject({
        hypervisor_hostname: 'agent1-node1',
        service_host: 'agent1',
        state: 'up',
        status: 'enabled',
        vcpus: 1000,
        memory_mb_used: 512,
        aggregates: [],
        // The CLI asks the uptime route, which the agent's process answers; it splits the line.
        uptime: expect.stringMatching(/^\d+ min$/),
        users: '0',
        load_average: '0.00, 0.00, 0.00',
      });

      const services = ok(['compute', 'service', 'list', '-f', 'json']) as Record<string, string>[];
      // The cloud's conductor process is a nova-conductor and a nova-scheduler too.
      expect(services.map((s) => [s.Host, s.Binary, s.Status, s.State]).sort()).toEqual(
        [
          ['agent1', 'nova-compute', 'enabled', 'up'],
          ['compute1', 'nova-compute', 'enabled', 'up'],
          [hostname(), 'nova-conductor', 'enabled', 'up'],
          [hostname(), 'nova-scheduler', 'enabled', 'up'],
        ].sort(),
      );
    },
    120000,
  );

  it.skipIf(why)(
    "disables the agent's service: COMPUTE_STATUS_DISABLED on its providers, and back",
    async () => {
      ok(['compute', 'service', 'set', '--disable', '--disable-reason', 'maintenance', 'agent1', 'nova-compute']);
      const listed = (ok(['compute', 'service', 'list', '--long', '-f', 'json']) as Record<string, string>[]).find(
        (s) => s.Host === 'agent1',
      )!;
      expect(listed).toMatchObject({ Status: 'disabled', 'Disabled Reason': 'maintenance' });
      const uuids = providers()
        .filter((p) => p.name.startsWith('agent1-'))
        .map((p) => p.uuid);
      const disabled = async (u: string) => (await traitsOf(u)).includes('COMPUTE_STATUS_DISABLED');
      await until(
        'COMPUTE_STATUS_DISABLED',
        async () => (await Promise.all(uuids.map(disabled))).every(Boolean),
        20000,
      );
      const traits = (ok(['resource', 'provider', 'trait', 'list', uuids[0]!, '-f', 'json']) as { name: string }[]).map(
        (t) => t.name,
      );
      expect(traits).toEqual(expect.arrayContaining(['COMPUTE_STATUS_DISABLED', 'COMPUTE_NODE']));
      const compute1 = providers().find((p) => p.name === 'compute1')!.uuid;
      expect(await disabled(compute1)).toBe(false);

      ok(['--os-compute-api-version', '2.53', 'compute', 'service', 'set', '--enable', 'agent1', 'nova-compute']);
      await until(
        'COMPUTE_STATUS_DISABLED gone',
        async () => !(await Promise.all(uuids.map(disabled))).some(Boolean),
        20000,
      );
    },
    120000,
  );

  it.skipIf(why)(
    'reports the agent down once it is killed, after service_down_time',
    async () => {
      expect(await stateOf('agent1')).toBe('up');
      agent.kill('SIGKILL');
      const killed = Date.now();
      await until('agent1 down', async () => (await stateOf('agent1')) === 'down', 30000);
      expect(Date.now() - killed).toBeGreaterThanOrEqual((DOWN_TIME - 1) * 1000);
      const services = ok(['compute', 'service', 'list', '-f', 'json']) as Record<string, string>[];
      expect(services.find((s) => s.Host === 'agent1')!.State).toBe('down');
      // The in-process hypervisors beat on.
      expect(services.find((s) => s.Host === 'compute1')!.State).toBe('up');
      expect(
        (ok(['hypervisor', 'list', '-f', 'json']) as Record<string, string>[])
          .filter((h) => h['Hypervisor Hostname']!.startsWith('agent1-'))
          .every((h) => h.State === 'down'),
      ).toBe(true);
    },
    120000,
  );
});
