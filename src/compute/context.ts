// What every compute handler and domain module is given.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import type { Engine } from '../common/db/index.js';
import type { Enforcer } from '../common/policy/index.js';
import type { IdentityClient, PlacementClient } from '../common/clients/index.js';
import type { ComputeDB } from './db/schema.js';

/** The services compute calls, as its service user. */
export interface ComputeClients {
  placement: PlacementClient;
  identity: IdentityClient;
}

export interface Compute {
  db: Kysely<ComputeDB>;
  engine: Engine;
  config: Config;
  policy: Enforcer;
  log: Logger;
  /** Absent when the process has no service user (`concord serve compute` with noauth2): then
   * aggregates are not mirrored to Placement and project ids are not checked with identity, as
   * Nova goes on when it cannot reach Keystone. */
  clients?: ComputeClients;
}
