// What every compute handler and domain module is given.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import type { Engine } from '../common/db/index.js';
import type { Enforcer } from '../common/policy/index.js';
import type { ComputeDB } from './db/schema.js';

export interface Compute {
  db: Kysely<ComputeDB>;
  engine: Engine;
  config: Config;
  policy: Enforcer;
  log: Logger;
}
