// `concord serve SERVICE`: one service at the root path, in the foreground — the conformance
// suites and benchmarks (placement with noauth2), and scale-out: identity in one process, the
// other services in others (or on other hosts) validating tokens with it over HTTP.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createLogger } from '../common/log.js';
import { createServer } from '../common/http/app.js';
import type { Config } from '../common/config.js';
import { createPlacement } from '../placement/index.js';
import { placementPlugin } from '../placement/service.js';
import { placementEnforcer, placementPolicyMode } from '../placement/policies.js';
import { testTimeShift } from '../placement/provider_index/clock.js';
import { chooseAuthStrategy, serviceAuthenticator } from './auth.js';
import { loadCredentials } from './credentials.js';
import { parsePort, publicBase, reportPrivacy, resolveRuntime, type Runtime } from './runtime.js';
import { imageModule, placementModule, SERVICES } from './services.js';
import { stopOnSignals } from './shutdown.js';

export interface ServeOptions {
  port: string;
  host: string;
  dataDir: string;
  config?: string;
  databaseUrl?: string;
  authStrategy?: string;
  insecureNoauthAnyHost?: boolean;
}

export const SERVABLE = ['placement', 'identity', 'image'] as const;

/** The environment variables upstream's functional-test fixtures use to configure Placement,
 * honoured so that the upstream suite (and its harness) can drive concord unchanged:
 * PLACEMENT_POLICY_MODE (default, legacy, open or secure) sets the [oslo_policy] options;
 * PLACEMENT_CORS_ALLOWED_ORIGIN and PLACEMENT_CORS_ALLOW_HEADERS (comma lists) set [cors]. */
function corsFromEnv(env: NodeJS.ProcessEnv) {
  const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    ...(env.PLACEMENT_CORS_ALLOWED_ORIGIN ? { corsAllowedOrigin: list(env.PLACEMENT_CORS_ALLOWED_ORIGIN) } : {}),
    ...(env.PLACEMENT_CORS_ALLOW_HEADERS ? { corsAllowHeaders: list(env.PLACEMENT_CORS_ALLOW_HEADERS) } : {}),
  };
}

/** A started service: how to mount it at the root, and how to close it once the server is. */
interface Served {
  mount(app: FastifyInstance): Promise<void>;
  close(): Promise<void>;
}

/** Mounts the service at the root and listens; SIGINT/SIGTERM close the server, then the service. */
async function run(opts: ServeOptions, log: Logger, config: Config, served: Served): Promise<void> {
  const app = createServer({ logger: log, bodyLimit: config.maxRequestBodySize, limits: config, logRequests: config.logRequests });
  await served.mount(app);
  stopOnSignals(log, async () => {
    await app.close();
    await served.close();
  });
  await app.listen({ port: parsePort(opts.port), host: opts.host });
}

/** The runtime with --database-url (for `databaseKey`) and --auth-strategy applied, and the
 * service's logger. */
function prepare(opts: ServeOptions, name: string, databaseKey: keyof Config, extra: Partial<Config> = {}):
  Runtime & { log: Logger } {
  const runtime = resolveRuntime(opts, {
    ...(opts.databaseUrl ? { [databaseKey]: opts.databaseUrl } : {}),
    ...(opts.authStrategy ? { authStrategy: opts.authStrategy } : {}),
    ...extra,
  });
  const log = createLogger({ debug: runtime.config.debug, name });
  reportPrivacy(runtime, log);
  return { ...runtime, log };
}

/** How a service other than identity (of catalog type `serviceType`) authenticates requests, per
 * --auth-strategy and --host. */
function authenticatorOf(opts: ServeOptions, config: Config, log: Logger, serviceType: string) {
  const strategy = chooseAuthStrategy(config, { host: opts.host, anyHost: opts.insecureNoauthAnyHost === true, log });
  return serviceAuthenticator(config, strategy, serviceType, log);
}

async function servePlacement(opts: ServeOptions): Promise<void> {
  const policyMode = placementPolicyMode(process.env.PLACEMENT_POLICY_MODE);
  const { config, dataDir, configDir, log } = prepare(opts, 'placement', 'placementDatabaseConnection',
    { ...policyMode.config, ...corsFromEnv(process.env) });
  const authenticate = authenticatorOf(opts, config, log, placementModule.type);
  const policy = placementEnforcer({ config, configDir, open: policyMode.open, log });
  const placement = await createPlacement({ config, dataDir, log, policy, timeShift: testTimeShift(process.env) });
  await run(opts, log, config, {
    mount: async (app) => { await app.register(placementPlugin(placement, authenticate)); },
    close: () => placement.close(),
  });
}

/** Glance alone; tokens are validated by the identity service at [keystone_authtoken] auth_url. */
async function serveImage(opts: ServeOptions): Promise<void> {
  const { config, dataDir, configDir, log } = prepare(opts, 'glance', 'imageDatabaseConnection');
  const authenticate = authenticatorOf(opts, config, log, imageModule.type);
  const image = await imageModule.start({ config, dataDir, configDir, log });
  await run(opts, log, config, {
    mount: async (app) => { await app.register(image.plugin(authenticate)); },
    close: () => image.close(),
  });
}

/** Keystone alone, bootstrapped as `concord up` bootstraps it (admin, demo, and a service user
 * per concord service, passwords in DATA_DIR/credentials.json), cataloguing only itself: the
 * operator catalogs the other services where they run (`openstack endpoint create`). */
async function serveIdentity(opts: ServeOptions): Promise<void> {
  if (opts.authStrategy || opts.insecureNoauthAnyHost) {
    throw new Error('identity validates its own tokens: --auth-strategy does not apply');
  }
  const { config, dataDir, configDir, log } = prepare(opts, 'keystone', 'identityDatabaseConnection');
  // Loaded here rather than at the top, so that `serve placement` starts without identity's modules.
  const { bootstrapIdentity, createIdentity, identityEnforcer, identityPlugin } = await import('../identity/index.js');
  const credentials = loadCredentials(dataDir, config.adminPassword);
  const identity = await createIdentity({ config, dataDir, log, policy: identityEnforcer({ config, configDir, log }) });
  await bootstrapIdentity(identity, {
    adminPassword: credentials.adminPassword,
    demoPassword: credentials.demoPassword,
    servicePassword: credentials.servicePassword,
    publicUrl: publicBase(config.publicEndpoint, opts.host, parsePort(opts.port)),
    services: SERVICES.map(({ name, type }) => ({ name, type })),
  });
  await run(opts, log, config, {
    mount: async (app) => { await app.register(identityPlugin(identity)); },
    close: () => identity.close(),
  });
  log.info(`identity is up; the admin, demo and service users' passwords are in ${dataDir}/credentials.json`);
}

export async function serve(service: string, opts: ServeOptions): Promise<void> {
  if (service === 'identity') return serveIdentity(opts);
  if (service === 'image') return serveImage(opts);
  return servePlacement(opts);
}
