// What every compute handler and domain module is given.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import type { Database, Engine } from '../common/db/index.js';
import type { JobQueue } from '../common/jobs/index.js';
import type { Enforcer } from '../common/policy/index.js';
import type { IdentityClient, ImageClient, PlacementClient } from '../common/clients/index.js';
import type { ComputeDB } from './db/schema.js';
import type { HostStateCache } from './scheduler/host_state_cache.js';

/** The services compute calls, as its service user: Placement (aggregates, scheduling), identity
 * (project ids), Glance (the images servers boot from). */
export interface ComputeClients {
  placement: PlacementClient;
  identity: IdentityClient;
  image: ImageClient;
}

export interface Compute {
  db: Kysely<ComputeDB>;
  /** The opened database (its lock, PostgreSQL's LISTEN), for the job queue and the agents. */
  database: Database<ComputeDB>;
  /** The compute service's one job queue (compute_jobs): builds, actions, the agents' work. */
  jobs: JobQueue;
  engine: Engine;
  config: Config;
  policy: Enforcer;
  log: Logger;
  /** Absent when the process has no service user (`concord serve compute` with noauth2): then
   * aggregates are not mirrored to Placement and project ids are not checked with identity, as
   * Nova goes on when it cannot reach Keystone; servers cannot be created. */
  clients?: ComputeClients;
  /** The Placement answers this process's schedulings share; the API forgets them when it
   * changes a service or an aggregate. */
  hostStateCache?: HostStateCache;
}
