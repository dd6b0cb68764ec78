// What every Placement handler and domain module is given: the database, configuration, policy.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import type { Engine } from '../common/db/index.js';
import type { Enforcer } from '../common/policy/index.js';
import type { PlacementDB } from './db/schema.js';

export interface Placement {
  db: Kysely<PlacementDB>;
  engine: Engine;
  config: Config;
  policy: Enforcer;
  log: Logger;
}
