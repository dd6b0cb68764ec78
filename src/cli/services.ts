// The service registry. `concord up` mounts the services beside identity, at their DevStack paths;
// each entry is also a catalog entry and a service user (named like DevStack's) that the service
// validates tokens with. `concord serve TYPE` serves any entry, identity's too, alone at the root.
// Adding a service to concord is adding an entry here.
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../common/config.js';
import type { Authenticator } from '../common/http/auth.js';
import type { Session } from '../common/clients/index.js';
import { createPlacement } from '../placement/index.js';
import { placementPlugin } from '../placement/service.js';
import { placementEnforcer, placementPolicyMode } from '../placement/policies.js';
import { testTimeShift } from '../placement/provider_index/clock.js';
import { createImage, imageEnforcer, imagePlugin, registerTestImage } from '../image/index.js';
import { loadCredentials } from './credentials.js';
import { computeEnforcer, computePlugin, createCompute } from '../compute/index.js';
import { createFakeFleet } from '../compute/agent/index.js';

export interface ServiceEnv {
  config: Config;
  dataDir: string;
  /** Where a relative policy_file is looked for. */
  configDir: string;
  log: Logger;
  /** The service user's session for calls to the other services (Nova → Placement ...):
   * `concord up` gives each service its own, `concord serve` one when [keystone_authtoken]
   * names a service user. */
  session?: Session;
  /** Given by `concord serve` alone, which serves one service by itself. */
  alone?: ServedAlone;
}

/** What a service served by itself (`concord serve`) is told beyond `concord up`'s services. */
export interface ServedAlone {
  /** Where clients reach it (http://host:port). */
  publicUrl: string;
  /** The process's environment, for the variables upstream's test fixtures set (Placement's). */
  environment: NodeJS.ProcessEnv;
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
  /** Where the service is mounted, relative to the cloud's base URL; catalogued there too unless
   * `apiPath` says where under it its API is. */
  path: string;
  /** The API's path under the service root, catalogued (compute: /v2.1, the versions being at its
   * root, as DevStack catalogs nova). */
  apiPath?: string;
  /** The service's own database option ([placement_database] connection ...). */
  databaseOption: keyof Config;
  /** Identity validates the tokens presented to it itself: it has no --auth-strategy, and its
   * plugin is given `SELF_VALIDATING`. */
  validatesOwnTokens?: boolean;
  start(env: ServiceEnv): Promise<StartedService>;
}

/** The authenticator of a service that validates its own tokens: never called, and refusing if it were. */
export const SELF_VALIDATING: Authenticator = async () => {
  throw new Error('this service validates its own tokens');
};

/** PLACEMENT_POLICY_MODE (default, legacy, open or secure) sets the [oslo_policy] options;
 * PLACEMENT_CORS_ALLOWED_ORIGIN and PLACEMENT_CORS_ALLOW_HEADERS (comma lists) set [cors]: the
 * variables of upstream's functional-test fixtures, honoured so that the upstream suite (and its
 * harness) can drive Placement served alone unchanged. */
function placementFixtures(env: NodeJS.ProcessEnv): { config: Partial<Config>; open: boolean } {
  const mode = placementPolicyMode(env.PLACEMENT_POLICY_MODE);
  const list = (v: string | undefined) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return {
    config: {
      ...mode.config,
      ...(env.PLACEMENT_CORS_ALLOWED_ORIGIN ? { corsAllowedOrigin: list(env.PLACEMENT_CORS_ALLOWED_ORIGIN) } : {}),
      ...(env.PLACEMENT_CORS_ALLOW_HEADERS ? { corsAllowHeaders: list(env.PLACEMENT_CORS_ALLOW_HEADERS) } : {}),
    },
    open: mode.open,
  };
}

export const placementModule: ServiceModule = {
  name: 'placement',
  type: 'placement',
  path: '/placement',
  databaseOption: 'placementDatabaseConnection',
  async start(env) {
    const fixtures = env.alone ? placementFixtures(env.alone.environment) : { config: {}, open: false };
    const config = { ...env.config, ...fixtures.config };
    const policy = placementEnforcer({ config, configDir: env.configDir, open: fixtures.open, log: env.log });
    const placement = await createPlacement({
      ...env,
      config,
      policy,
      ...(env.alone ? { timeShift: testTimeShift(env.alone.environment) } : {}),
    });
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
      ready: async (b) => {
        await registerTestImage(image, { owner: b.adminProjectId });
      },
      close: () => image.close(),
    };
  },
};

export const computeModule: ServiceModule = {
  name: 'nova',
  type: 'compute',
  path: '/compute',
  apiPath: '/v2.1',
  databaseOption: 'computeDatabaseConnection',
  async start(env) {
    const policy = computeEnforcer({ config: env.config, configDir: env.configDir, log: env.log });
    const compute = await createCompute({ ...env, policy });
    const { clients } = compute;
    const hypervisors = env.config.fakeHypervisors;
    return {
      plugin: (auth) => computePlugin(compute, auth),
      // The conductor (scheduling builds) and [compute] fake_hypervisors simulated hosts, as one
      // agent beside the API (unless they run in processes of their own: cli/fleet.ts).
      workers: () => {
        const conductor = compute.workers();
        if (!clients || hypervisors <= 0 || env.config.fakeHypervisorProcesses > 0) return conductor;
        const fleet = createFakeFleet(
          { ...compute, clients, log: env.log.child({ service: 'nova-compute' }) },
          hypervisors,
        );
        return [
          ...conductor,
          {
            start: () => {
              fleet.start().catch((err: unknown) => env.log.error({ err }, 'the fake hypervisors did not start'));
            },
            stop: () => fleet.stop(),
          },
        ];
      },
      close: () => compute.close(),
    };
  },
};

/** Every service but identity, in catalog order. */
export const SERVICES: readonly ServiceModule[] = [placementModule, imageModule, computeModule];

/** Keystone. `concord up` builds it itself (cloud.ts: bootstrapped with the whole catalog, and the
 * services' token checks wired to it in-process); served alone, it is bootstrapped as `concord up`
 * bootstraps it (admin, demo, and a service user per concord service, passwords in
 * DATA_DIR/credentials.json) cataloguing only itself: the operator catalogs the other services
 * where they run (`openstack endpoint create`). */
export const identityModule: ServiceModule = {
  name: 'keystone',
  type: 'identity',
  path: '/identity',
  databaseOption: 'identityDatabaseConnection',
  validatesOwnTokens: true,
  async start(env) {
    // Loaded here rather than at the top, so that `serve placement` starts without identity's modules.
    const { bootstrapIdentity, createIdentity, identityEnforcer, identityPlugin } =
      await import('../identity/index.js');
    const credentials = env.alone && loadCredentials(env.dataDir, env.config.adminPassword);
    const identity = await createIdentity({ ...env, policy: identityEnforcer(env) });
    if (env.alone && credentials) {
      await bootstrapIdentity(identity, {
        adminPassword: credentials.adminPassword,
        demoPassword: credentials.demoPassword,
        servicePassword: credentials.servicePassword,
        publicUrl: env.alone.publicUrl,
        services: SERVICES.map(({ name, type }) => ({ name, type })),
      });
      env.log.info(
        `identity is bootstrapped; the admin, demo and service users' passwords are in ${env.dataDir}/credentials.json`,
      );
    }
    return { plugin: () => identityPlugin(identity), close: () => identity.close() };
  },
};

/** What `concord serve` serves, by catalog type: every service, identity first. */
export const SERVABLE: readonly ServiceModule[] = [identityModule, ...SERVICES];
