// `concord serve SERVICE`: one service at the root path, in the foreground.
import { createLogger } from '../common/log.js';
import { createServer } from '../common/http/app.js';
import { createPlacement } from '../placement/index.js';
import { placementPlugin } from '../placement/service.js';
import { placementEnforcer, placementPolicyMode } from '../placement/policies.js';
import { chooseAuthStrategy, serviceAuthenticator } from './auth.js';
import { parsePort, resolveRuntime } from './runtime.js';
import { stopOnSignals } from './shutdown.js';

export interface ServeOptions {
  port: string;
  host: string;
  dataDir: string;
  config?: string;
  databaseUrl?: string;
  authStrategy?: string;
}

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

export async function servePlacement(opts: ServeOptions): Promise<void> {
  const port = parsePort(opts.port);
  const policyMode = placementPolicyMode(process.env.PLACEMENT_POLICY_MODE);
  const { config, dataDir, configDir } = resolveRuntime(opts, {
    ...(opts.databaseUrl ? { placementDatabaseConnection: opts.databaseUrl } : {}),
    ...(opts.authStrategy ? { authStrategy: opts.authStrategy } : {}),
    ...policyMode.config,
    ...corsFromEnv(process.env),
  });
  const log = createLogger({ debug: config.debug, name: 'placement' });
  const authenticate = serviceAuthenticator(config, chooseAuthStrategy(config, log));
  const policy = placementEnforcer({ config, configDir, open: policyMode.open, log });
  const placement = await createPlacement({ config, dataDir, log, policy });
  const app = createServer({ logger: log, bodyLimit: config.maxRequestBodySize });
  await app.register(placementPlugin(placement, authenticate));
  stopOnSignals(log, async () => {
    await app.close();
    await placement.close();
  });
  await app.listen({ port, host: opts.host });
}
