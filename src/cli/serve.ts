// `concord serve SERVICE`: one service at the root path, in the foreground.
import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { loadConfig } from '../common/config.js';
import { createLogger } from '../common/log.js';
import { createServer } from '../common/http/app.js';
import { noauth2 } from '../common/http/auth.js';
import { AdminOnlyEnforcer } from '../common/policy/engine.js';
import { createPlacement } from '../placement/index.js';
import { placementPlugin } from '../placement/service.js';

export interface ServeOptions {
  port: string;
  host: string;
  dataDir: string;
  config?: string;
  databaseUrl?: string;
  authStrategy?: string;
}

export async function servePlacement(opts: ServeOptions): Promise<void> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const config = loadConfig(opts.config, process.env, {
    ...(opts.databaseUrl ? { placementDatabaseConnection: opts.databaseUrl } : {}),
    ...(opts.authStrategy ? { authStrategy: opts.authStrategy } : {}),
  });
  const log = createLogger({ debug: config.debug, name: 'placement' });
  const placement = await createPlacement({ config, dataDir, log, policy: new AdminOnlyEnforcer() });
  const app = createServer({ logger: log, bodyLimit: config.maxRequestBodySize });
  await app.register(placementPlugin(placement, noauth2));
  const stop = async () => {
    await app.close();
    await placement.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await app.listen({ port: Number(opts.port), host: opts.host });
}
