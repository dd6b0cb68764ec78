// `concord agent compute`: a nova-compute service of its own process, on this machine or another.
// It works in the compute database directly (its services and compute_nodes rows, the jobs aimed
// at its host) and calls Placement and the image service as the service user of
// [keystone_authtoken], finding them in that user's catalog ([placement], [glance] options).
import { hostname } from 'node:os';
import { serviceClients } from '../common/clients/index.js';
import { migrate, openDatabase, type Database } from '../common/db/index.js';
import { JobQueue, jobsConfig } from '../common/jobs/index.js';
import { createLogger } from '../common/log.js';
import { createAgent, DRIVERS, type DriverName } from '../compute/agent/index.js';
import { computeDatabaseUrl } from '../compute/index.js';
import { computeMigrations } from '../compute/db/migrations.js';
import type { ComputeDB } from '../compute/db/schema.js';
import { novaSession } from './auth.js';
import { reportPrivacy, resolveRuntime } from './runtime.js';
import { stopOnSignals } from './shutdown.js';

export interface AgentOptions {
  host?: string;
  driver: string;
  nodes: string;
  dataDir: string;
  config?: string;
  databaseUrl?: string;
}

function parseNodes(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 10000)
    throw new Error(`--nodes: not a number of nodes (1 to 10000): ${raw}`);
  return n;
}

export async function computeAgent(opts: AgentOptions): Promise<void> {
  if (!(DRIVERS as readonly string[]).includes(opts.driver)) {
    throw new Error(`--driver: unknown virt driver ${opts.driver} (available: ${DRIVERS.join(', ')})`);
  }
  const nodes = parseNodes(opts.nodes);
  const runtime = resolveRuntime(opts, opts.databaseUrl ? { computeDatabaseConnection: opts.databaseUrl } : {});
  const { config } = runtime;
  const host = opts.host || config.host || hostname();
  const log = createLogger({ debug: config.debug, name: 'nova-compute' }).child({ host });
  reportPrivacy(runtime, log);
  const session = novaSession(config, runtime.dataDir, log);
  if (!session) {
    throw new Error(
      'the compute agent calls Placement as a service user: set [keystone_authtoken] auth_url, ' +
        "username and password (nova's, from credentials.json of the cloud's data dir), or point --data-dir " +
        'at the data directory of a `concord up`',
    );
  }
  const database = openDatabase<ComputeDB>(computeDatabaseUrl(config, runtime.dataDir));
  try {
    await migrate(database, computeMigrations(database.engine), 'compute');
  } catch (e) {
    await database.close();
    throw e;
  }
  const jobs = new JobQueue(database as unknown as Database<unknown>, 'compute', jobsConfig(config));
  const agent = createAgent(
    { database, jobs, config, log, clients: serviceClients(session, config) },
    { host, driver: opts.driver as DriverName, nodes },
  );
  stopOnSignals(log, async () => {
    await agent.stop();
    await database.close();
  });
  await agent.start();
}
