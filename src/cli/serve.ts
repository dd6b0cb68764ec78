// `concord serve SERVICE`: one service of the registry (services.ts) at the root path, in the
// foreground — the conformance suites and benchmarks (placement with noauth2), and scale-out:
// identity in one process, the other services in others (or on other hosts) validating tokens
// with it over HTTP.
import { createLogger } from '../common/log.js';
import { createServer } from '../common/http/app.js';
import { chooseAuthStrategy, serviceAuthenticator, serviceSession } from './auth.js';
import { parsePort, publicBase, reportPrivacy, resolveRuntime } from './runtime.js';
import { SELF_VALIDATING, SERVABLE, type ServiceModule } from './services.js';
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

/** The registry's entry for `service` (a catalog type: identity, placement, image ...). */
export function servable(service: string): ServiceModule | undefined {
  return SERVABLE.find((m) => m.type === service);
}

/** Starts the service with --database-url (for its own database option) and --auth-strategy
 * applied, mounts it at the root and listens; SIGINT/SIGTERM close the server, then the service. */
export async function serve(module: ServiceModule, opts: ServeOptions): Promise<void> {
  if (module.validatesOwnTokens && (opts.authStrategy || opts.insecureNoauthAnyHost)) {
    throw new Error(`${module.type} validates its own tokens: --auth-strategy does not apply`);
  }
  const runtime = resolveRuntime(opts, {
    ...(opts.databaseUrl ? { [module.databaseOption]: opts.databaseUrl } : {}),
    ...(opts.authStrategy ? { authStrategy: opts.authStrategy } : {}),
  });
  const { config, dataDir, configDir } = runtime;
  const log = createLogger({ debug: config.debug, name: module.name });
  reportPrivacy(runtime, log);
  const port = parsePort(opts.port);
  // The service user's session with identity, which validates tokens and calls the other services.
  const session = module.validatesOwnTokens ? undefined : serviceSession(config, log);
  const authenticate = module.validatesOwnTokens
    ? SELF_VALIDATING
    : serviceAuthenticator(
        config,
        chooseAuthStrategy(config, { host: opts.host, anyHost: opts.insecureNoauthAnyHost === true, log }),
        module.type,
        log,
        session,
      );
  const started = await module.start({
    config,
    dataDir,
    configDir,
    log,
    ...(session ? { session } : {}),
    alone: { publicUrl: publicBase(config.publicEndpoint, opts.host, port), environment: process.env },
  });
  const app = createServer({
    logger: log,
    bodyLimit: config.maxRequestBodySize,
    limits: config,
    logRequests: config.logRequests,
  });
  await app.register(started.plugin(authenticate));
  stopOnSignals(log, async () => {
    await app.close();
    await started.close();
  });
  await app.listen({ port, host: opts.host });
}
