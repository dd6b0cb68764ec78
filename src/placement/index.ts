// Builds a Placement service instance: database opened and migrated, standard data synced.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import { openDatabase, migrate } from '../common/db/index.js';
import type { Enforcer } from '../common/policy/index.js';
import type { PlacementDB } from './db/schema.js';
import { placementMigrations } from './db/migrations.js';
import { syncStandardClasses } from './objects/resource_class.js';
import { syncStandardTraits } from './objects/trait.js';
import type { Placement } from './context.js';
import { ProviderIndex } from './provider_index/provider_index.js';
import type { TimeShift } from './provider_index/clock.js';
import { ExternalIds } from './objects/consumer.js';

export interface PlacementInstance extends Placement {
  close(): Promise<void>;
}

export async function createPlacement(opts: {
  config: Config;
  dataDir: string;
  log: Logger;
  policy: Enforcer;
  /** The provider index's clock (tests only; real time by default). */
  timeShift?: TimeShift;
}): Promise<PlacementInstance> {
  const url =
    opts.config.placementDatabaseConnection || opts.config.databaseConnection || join(opts.dataDir, 'placement.sqlite');
  const database = openDatabase<PlacementDB>(url);
  const { db, engine, close } = database;
  await migrate(database, placementMigrations(engine), 'placement', async () => {
    await syncStandardClasses(db);
    await syncStandardTraits(db);
  });
  const index = new ProviderIndex(db, engine, { log: opts.log, timeShift: opts.timeShift });
  await index.reload();
  return { db, engine, index, ids: new ExternalIds(), config: opts.config, policy: opts.policy, log: opts.log, close };
}
