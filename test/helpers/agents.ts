// Compute agents against the in-process cloud of `concord up` (a real Placement, real identity):
// the agent shares the cloud's compute database and calls Placement as the nova service user
// through the cloud's own transport.
import { join } from 'node:path';
import type { Config } from '../../src/common/config.js';
import { loadConfig } from '../../src/common/config.js';
import { openDatabase, type Database } from '../../src/common/db/index.js';
import { JobQueue, jobsConfig } from '../../src/common/jobs/index.js';
import { createLogger } from '../../src/common/log.js';
import { serviceClients, Session, type ServiceClients } from '../../src/common/clients/index.js';
import { ComputeAgent } from '../../src/compute/agent/index.js';
import type { ComputeDB } from '../../src/compute/db/schema.js';
import { FakeDriver, fakeDriverOptions } from '../../src/compute/virt/fake.js';
import { startLocalCloud, type LocalCloud } from './allinone.js';
import { FAST } from './jobs.js';

export interface AgentCloud extends LocalCloud {
  config: Config;
  database: Database<ComputeDB>;
  jobs: JobQueue;
  clients: ServiceClients;
  adminToken: string;
  /** An agent of `hosts` ({host: nodes}) on the fake driver; stopped by close(). */
  agent(hosts: Record<string, number>, config?: Partial<Config>): ComputeAgent;
  /** GET (or another method) on Placement as the admin, at 1.39. */
  placement(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

export async function startAgentCloud(config: Partial<Config> = {}): Promise<AgentCloud> {
  const settings = { fakeHypervisors: 0, ...FAST, ...config };
  const local = await startLocalCloud(settings);
  const full = loadConfig(undefined, {}, settings);
  const log = createLogger({ name: 'test' });
  log.level = process.env.CONCORD_TEST_LOG ?? 'silent';
  const database = openDatabase<ComputeDB>(join(local.dataDir, 'compute.sqlite'));
  const jobs = new JobQueue(database as unknown as Database<unknown>, 'compute', jobsConfig(full));
  const session = new Session({
    transport: local.cloud.transport,
    authUrl: local.cloud.authUrl,
    log,
    credentials: {
      username: 'nova',
      password: local.cloud.credentials.servicePassword,
      projectName: 'service',
      userDomainName: 'Default',
      projectDomainName: 'Default',
    },
  });
  const clients = serviceClients(session, full);
  const adminToken = await local.login('admin', local.cloud.credentials.adminPassword, 'admin');
  const agents: ComputeAgent[] = [];
  return {
    ...local,
    config: full,
    database,
    jobs,
    clients,
    adminToken,
    agent(hosts, extra = {}) {
      const c = { ...full, ...extra };
      const agent = new ComputeAgent({
        database,
        jobs,
        config: c,
        log,
        clients,
        hosts: Object.entries(hosts).map(([host, nodes]) => ({
          host,
          driver: new FakeDriver(fakeDriverOptions(c, host, nodes)),
        })),
      });
      agents.push(agent);
      return agent;
    },
    placement: (method, path, body) =>
      local.call(method, `/placement${path}`, adminToken, body, { 'openstack-api-version': 'placement 1.39' }),
    async close() {
      for (const a of agents) await a.stop();
      await database.close();
      await local.close();
    },
  };
}
