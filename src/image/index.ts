// Builds an image service instance: database opened and migrated, data store ready. The service's
// public face for the rest of concord is re-exported here.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import { openDatabase, migrate } from '../common/db/index.js';
import type { Enforcer } from '../common/policy/index.js';
import type { ImageDB } from './db/schema.js';
import { imageMigrations } from './db/migrations.js';
import { FilesystemStore } from './store/filesystem.js';
import { parseStorageQuota } from './objects/quota.js';
import { importFilters } from './import/uri_filter.js';
import { startRecovery } from './recovery.js';
import type { Image } from './context.js';

export interface ImageInstance extends Image {
  close(): Promise<void>;
}

export async function createImage(opts: {
  config: Config;
  dataDir: string;
  log: Logger;
  policy: Enforcer;
}): Promise<ImageInstance> {
  const { config, dataDir } = opts;
  const userStorageQuota = parseStorageQuota(config.userStorageQuota);
  const filters = importFilters(config);
  if (!/^[A-Za-z0-9_.-]+$/.test(config.imageStoreId) || config.imageStoreId.startsWith('os_glance_')) {
    throw new Error(`[glance_store] default_backend: not a store id: ${config.imageStoreId}`);
  }
  const url = config.imageDatabaseConnection || config.databaseConnection || join(dataDir, 'image.sqlite');
  const database = openDatabase<ImageDB>(url);
  const { db, engine, close } = database;
  await migrate(database, imageMigrations(engine), 'image');
  const store = new FilesystemStore(config.filesystemStoreDatadir || join(dataDir, 'images'));
  const staging = new FilesystemStore(
    config.nodeStagingUri.replace(/^file:\/\//, '') || join(dataDir, 'image-staging'),
  );
  const image: Image = {
    db,
    engine,
    config,
    policy: opts.policy,
    log: opts.log,
    store,
    storeId: config.imageStoreId,
    staging,
    importFilters: filters,
    userStorageQuota,
  };
  // Writes a crash interrupted (here or in another process sharing the database) are undone first.
  const stopRecovery = await startRecovery(image);
  return {
    ...image,
    close: async () => {
      stopRecovery();
      await close();
    },
  };
}

export type { Image } from './context.js';
export { imagePlugin } from './service.js';
export { formatGlanceError } from './errors.js';
export { IMAGE_RULES, imageEnforcer } from './policies.js';
export { registerTestImage, TEST_IMAGE_NAME } from './test_image.js';
