// `concord agent compute`: a nova-compute service of its own process, on this machine or another.
// It works in the compute database directly (its services and compute_nodes rows, the jobs aimed
// at its host) and calls Placement and the image service as the service user of
// [keystone_authtoken], finding them in that user's catalog ([placement], [glance] options).
import { hostname } from 'node:os';
import { serviceClients } from '../common/clients/index.js';
import { migrate, openDatabase, type Database } from '../common/db/index.js';
import { JobQueue, jobsConfig } from '../common/jobs/index.js';
import { createLogger } from '../common/log.js';
import { createAgent, createFakeFleet, DRIVERS, type DriverName } from '../compute/agent/index.js';
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
  fleet?: string;
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

/** --fleet FIRST-LAST: the numbers of the first and last simulated host. */
function parseFleet(raw: string): { first: number; count: number } {
  const m = /^(\d{1,6})-(\d{1,6})$/.exec(raw);
  const first = Number(m?.[1]);
  const last = Number(m?.[2]);
  if (!m || first < 1 || last < first || last - first >= 10000)
    throw new Error(`--fleet: not a range of at most 10000 hosts, such as 1-500: ${raw}`);
  return { first, count: last - first + 1 };
}

export async function computeAgent(opts: AgentOptions): Promise<void> {
  if (!(DRIVERS as readonly string[]).includes(opts.driver)) {
    throw new Error(`--driver: unknown virt driver ${opts.driver} (available: ${DRIVERS.join(', ')})`);
  }
  const nodes = parseNodes(opts.nodes);
  const fleet = opts.fleet === undefined ? undefined : parseFleet(opts.fleet);
  if (fleet && (opts.host || nodes !== 1)) throw new Error('--fleet runs hosts of its own: without --host or --nodes');
  const runtime = resolveRuntime(opts, opts.databaseUrl ? { computeDatabaseConnection: opts.databaseUrl } : {});
  const { config } = runtime;
  const host = fleet
    ? `compute${fleet.first}-${fleet.first + fleet.count - 1}`
    : opts.host || config.host || hostname();
  const log = createLogger({ debug: config.debug, name: 'nova-compute' }).child(fleet ? { fleet: host } : { host });
  reportPrivacy(runtime, log);
  const session = novaSession(config, runtime.dataDir, log);
  if (!session) {
    throw new Error(
      'the compute agent calls Placement as a service user: set [keystone_authtoken] auth_url, ' +
        "username and password (nova's, from credentials.json of the cloud's data dir), or point --data-dir " +
        'at the data directory of a `concord up`',
    );
  }
  // Its jobs are enqueued by the API's process: on SQLite it watches for their commits.
  const database = openDatabase<ComputeDB>(computeDatabaseUrl(config, runtime.dataDir), { watchOtherProcesses: true });
  try {
    await migrate(database, computeMigrations(database.engine), 'compute');
  } catch (e) {
    await database.close();
    throw e;
  }
  const jobs = new JobQueue(database as unknown as Database<unknown>, 'compute', jobsConfig(config));
  const env = { database, jobs, config, log, clients: serviceClients(session, config) };
  const agent = fleet
    ? createFakeFleet(env, fleet.count, fleet.first)
    : createAgent(env, { host, driver: opts.driver as DriverName, nodes });
  stopOnSignals(log, async () => {
    await agent.stop();
    await database.close();
  });
  await agent.start();
}
