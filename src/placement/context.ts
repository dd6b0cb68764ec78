// What every Placement handler and domain module is given: the database, the provider index,
// configuration, policy.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import type { Engine } from '../common/db/index.js';
import type { Enforcer } from '../common/policy/index.js';
import type { PlacementDB } from './db/schema.js';
import type { ProviderIndex } from './provider_index/provider_index.js';
import type { ExternalIds } from './objects/consumer.js';

export interface Placement {
  db: Kysely<PlacementDB>;
  engine: Engine;
  /** Providers in memory; `await index.sync()` before reading it. */
  index: ProviderIndex;
  /** Project, user and consumer type ids already seen. */
  ids: ExternalIds;
  config: Config;
  policy: Enforcer;
  log: Logger;
}
