// Compute agents: how `concord agent compute` and `concord up` make them.
import type { Logger } from 'pino';
import type { Config } from '../../common/config.js';
import type { Database } from '../../common/db/index.js';
import type { JobQueue } from '../../common/jobs/index.js';
import type { ServiceClients } from '../../common/clients/index.js';
import type { ComputeDB } from '../db/schema.js';
import { FakeDriver, fakeDriverOptions } from '../virt/fake.js';
import { ComputeAgent } from './agent.js';

export const DRIVERS = ['fake'] as const;
export type DriverName = (typeof DRIVERS)[number];

export interface AgentEnv {
  database: Database<ComputeDB>;
  jobs: JobQueue;
  config: Config;
  log: Logger;
  clients: Pick<ServiceClients, 'placement' | 'image'>;
}

/** One host with `nodes` hypervisors of `driver`. */
export function createAgent(env: AgentEnv, o: { host: string; driver: DriverName; nodes?: number }): ComputeAgent {
  const driver = new FakeDriver(fakeDriverOptions(env.config, o.host, o.nodes ?? 1));
  return new ComputeAgent({ ...env, hosts: [{ host: o.host, driver }] });
}

/** The simulated hosts of `concord up` ([compute] fake_hypervisors): compute1 ... computeN, one
 * fake hypervisor each, all in one agent; or the hosts `first` to `last` of them (a share of the
 * fleet, in a process of its own). */
export function createFakeFleet(env: AgentEnv, count: number, first = 1): ComputeAgent {
  const hosts = Array.from({ length: count }, (_, i) => {
    const host = `compute${first + i}`;
    return { host, driver: new FakeDriver(fakeDriverOptions(env.config, host)) };
  });
  return new ComputeAgent({ ...env, hosts });
}

export { ComputeAgent, type HostEnv } from './agent.js';
export { ResourceTracker, COMPUTE_STATUS_DISABLED, type TrackedHost } from './resource_tracker.js';
