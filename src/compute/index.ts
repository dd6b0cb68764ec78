// Builds a compute service instance: its database opened and migrated, its job queue, and the
// clients it calls Glance and Placement with. The service's public face for the rest of concord is
// re-exported here.
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import { serviceClients, type Session } from '../common/clients/index.js';
import { migrate, openDatabase, type Database } from '../common/db/index.js';
import { JobQueue, jobsConfig, Worker } from '../common/jobs/index.js';
import type { Enforcer } from '../common/policy/index.js';
import type { Compute } from './context.js';
import type { ComputeDB } from './db/schema.js';
import { computeMigrations } from './db/migrations.js';
import { conductorHandlers } from './conductor/index.js';
import { evacuateHandlers } from './conductor/evacuate.js';
import { liveMigrateHandlers } from './conductor/live_migrate.js';
import { migrateHandlers } from './conductor/migrate.js';
import { rebuildHandlers } from './conductor/rebuild.js';
import { unshelveHandlers } from './conductor/unshelve.js';
import { confirmOverdueResizes } from './objects/instance_resize.js';
import { registerServices, reportState } from './objects/service.js';
import { HostStateCache } from './scheduler/host_state_cache.js';

const CONDUCTOR_SERVICES = [
  ['nova-conductor', 'conductor'],
  ['nova-scheduler', 'scheduler'],
] as const;

export interface ComputeInstance extends Compute {
  database: Database<ComputeDB>;
  /** The conductor's worker (scheduling), when this process can reach Placement. */
  workers(): Worker[];
  close(): Promise<void>;
}

/** The database URL: [api_database] connection, else [database] connection, else a SQLite file in
 * the data directory (the precedence of every concord service). */
export function computeDatabaseUrl(config: Config, dataDir: string): string {
  return config.computeDatabaseConnection || config.databaseConnection || join(dataDir, 'compute.sqlite');
}

export async function createCompute(opts: {
  config: Config;
  dataDir: string;
  log: Logger;
  policy: Enforcer;
  session?: Session;
}): Promise<ComputeInstance> {
  const database = openDatabase<ComputeDB>(computeDatabaseUrl(opts.config, opts.dataDir));
  const { db, engine, close } = database;
  try {
    await migrate(database, computeMigrations(engine), 'compute');
  } catch (e) {
    await close();
    throw e;
  }
  // The queue's statements name its own tables, which the compute schema's types do not list.
  const jobs = new JobQueue(database as unknown as Database<unknown>, 'compute', jobsConfig(opts.config));
  const clients = opts.session ? serviceClients(opts.session, opts.config) : undefined;
  const compute: Compute = {
    db,
    engine,
    database,
    config: opts.config,
    policy: opts.policy,
    log: opts.log,
    jobs,
    hostStateCache: new HostStateCache(opts.config.schedulerCandidatesReuseSeconds * 1000),
    ...(clients ? { clients: { placement: clients.placement, identity: clients.identity, image: clients.image } } : {}),
  };
  return {
    ...compute,
    workers: () => {
      if (!compute.clients) return [];
      const env = { ...compute, clients: compute.clients };
      const conductor = new Worker(jobs, {
        handlers: {
          ...conductorHandlers(env),
          ...migrateHandlers(env),
          ...rebuildHandlers(env),
          ...unshelveHandlers(env),
          ...liveMigrateHandlers(env),
          ...evacuateHandlers(env),
        },
        log: opts.log.child({ worker: 'conductor' }),
      });
      // This process is a nova-conductor and a nova-scheduler (it schedules in-process): both
      // services rows, with their heartbeats, so that `openstack compute service list` shows them.
      const host = opts.config.host || hostname();
      conductor.periodic(`report_state:conductor:${host}`, Math.max(1, opts.config.reportInterval), async () => {
        for (const [binary, topic] of CONDUCTOR_SERVICES) {
          await registerServices(db, [host], binary, topic);
          await reportState(db, [host], binary);
        }
      });
      // Nova's destination hosts poll for their unconfirmed resizes; here one process of the
      // cloud does it for every host (the periodic task's lease).
      const window = opts.config.resizeConfirmWindow;
      if (window > 0) {
        conductor.periodic('poll_unconfirmed_resizes', Math.min(60, window), () =>
          confirmOverdueResizes(db, jobs, window),
        );
      }
      return [conductor];
    },
    close,
  };
}

export type { Compute, ComputeClients } from './context.js';
export { computePlugin } from './service.js';
export { formatNovaError } from './errors.js';
export { COMPUTE_RULES, computeEnforcer } from './policies.js';
