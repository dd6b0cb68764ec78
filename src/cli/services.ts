// The services `concord up` mounts beside identity, at their DevStack paths. Each entry is also a
// catalog entry and a service user (named like DevStack's) that the service validates tokens
// with. Adding a service to the all-in-one cloud is adding an entry here.
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import type { Authenticator } from '../common/http/auth.js';
import { createPlacement } from '../placement/index.js';
import { placementPlugin } from '../placement/service.js';
import { placementEnforcer } from '../placement/policies.js';
import { createImage, imageEnforcer, imagePlugin, registerTestImage } from '../image/index.js';

export interface ServiceEnv {
  config: Config;
  dataDir: string;
  /** Where a relative policy_file is looked for. */
  configDir: string;
  log: Logger;
}

/** What identity's bootstrap made, for services that seed data owned by it. */
export interface Bootstrapped {
  adminProjectId: string;
}

export interface StartedService {
  /** The service's Fastify plugin, authenticating with `authenticate`. */
  plugin(authenticate: Authenticator): FastifyPluginAsync;
  /** Runs once the cloud answers requests and identity is bootstrapped (seed data ...). */
  ready?(bootstrapped: Bootstrapped): Promise<void>;
  /** The service's job workers (common/jobs), for processes that run them beside the API:
   * `concord up` starts them once the cloud is ready, and stops them after the server and
   * before `close`, so that a stopping worker can still give its jobs back. */
  workers?(): BackgroundWorker[];
  close(): Promise<void>;
}

/** What `concord up` needs of a worker (common/jobs' Worker is one). */
export interface BackgroundWorker {
  start(): void;
  stop(): Promise<void>;
}

export interface ServiceModule {
  /** The service user and catalog name (nova, glance, placement ...). */
  name: string;
  /** The catalog type (compute, image, placement ...). */
  type: string;
  /** Where the service is mounted and catalogued, relative to the cloud's base URL. */
  path: string;
  /** The service's own database option ([placement_database] connection ...). */
  databaseOption: keyof Config;
  start(env: ServiceEnv): Promise<StartedService>;
}

export const placementModule: ServiceModule = {
  name: 'placement',
  type: 'placement',
  path: '/placement',
  databaseOption: 'placementDatabaseConnection',
  async start(env) {
    const policy = placementEnforcer({ config: env.config, configDir: env.configDir, log: env.log });
    const placement = await createPlacement({ ...env, policy });
    return { plugin: (auth) => placementPlugin(placement, auth), close: () => placement.close() };
  },
};

export const imageModule: ServiceModule = {
  name: 'glance',
  type: 'image',
  path: '/image',
  databaseOption: 'imageDatabaseConnection',
  async start(env) {
    const policy = imageEnforcer({ config: env.config, configDir: env.configDir, log: env.log });
    const image = await createImage({ ...env, policy });
    return {
      plugin: (auth) => imagePlugin(image, auth),
      // DevStack's CirrOS image, public and owned by the admin project, so a new cloud has one.
      ready: async (b) => { await registerTestImage(image, { owner: b.adminProjectId }); },
      close: () => image.close(),
    };
  },
};

/** Every service but identity, in catalog order. */
export const SERVICES: readonly ServiceModule[] = [placementModule, imageModule];
