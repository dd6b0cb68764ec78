// What every image handler and domain module is given.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import type { Engine } from '../common/db/index.js';
import type { Enforcer } from '../common/policy/index.js';
import type { ImageDB } from './db/schema.js';
import type { FilesystemStore } from './store/filesystem.js';
import type { ImportFilters } from './import/uri_filter.js';

export interface Image {
  db: Kysely<ImageDB>;
  engine: Engine;
  config: Config;
  policy: Enforcer;
  log: Logger;
  store: FilesystemStore;
  /** The store's id ([glance_store] default_backend). */
  storeId: string;
  /** Data staged for an import (PUT /v2/images/{id}/stage). */
  staging: FilesystemStore;
  /** [import_filtering_opts], read once. */
  importFilters: ImportFilters;
  /** [DEFAULT] user_storage_quota in bytes; 0: unlimited. */
  userStorageQuota: number;
}
