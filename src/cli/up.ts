// `concord up`: every service that exists, in one process, on one port, at DevStack-style paths.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig } from '../common/config.js';
import { createLogger } from '../common/log.js';
import { createServer } from '../common/http/app.js';
import { noauth2 } from '../common/http/auth.js';
import { createPlacement } from '../placement/index.js';
import { placementPlugin } from '../placement/service.js';
import { placementEnforcer } from '../placement/policies.js';

export interface UpOptions {
  port: string;
  host: string;
  dataDir: string;
  config?: string;
}

/** clouds.yaml for the openstack CLI / openstacksdk. Until the identity service exists the
 * token is noauth2's ("admin", or "demo:demo"), presented by keystoneauth's admin_token plugin. */
export function cloudsYaml(base: string): string {
  const cloud = (token: string) => [
    '    auth_type: admin_token',
    '    auth:',
    `      token: "${token}"`,
    `      endpoint: ${base}/placement`,
    '    region_name: RegionOne',
  ].join('\n');
  return `clouds:\n  concord:\n${cloud('admin')}\n  concord-demo:\n${cloud('demo:demo')}\n`;
}

export async function up(opts: UpOptions): Promise<void> {
  const started = Date.now();
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const confFile = opts.config ?? (existsSync(join(dataDir, 'concord.conf')) ? join(dataDir, 'concord.conf') : undefined);
  const config = loadConfig(confFile);
  const log = createLogger({ debug: config.debug });
  const policy = placementEnforcer({ config, configDir: confFile ? dirname(resolve(confFile)) : dataDir, log });
  const placement = await createPlacement({ config, dataDir, log, policy });
  const app = createServer({ logger: log, bodyLimit: config.maxRequestBodySize });
  await app.register(placementPlugin(placement, noauth2), { prefix: '/placement' });
  app.get('/', async () => ({ services: { placement: '/placement' } }));
  const stop = async () => {
    log.info('stopping');
    await app.close();
    await placement.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await app.listen({ port: Number(opts.port), host: opts.host });
  const base = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`;
  writeFileSync(join(dataDir, 'clouds.yaml'), cloudsYaml(base), { mode: 0o600 });
  process.stdout.write(`concord is up in ${Date.now() - started} ms\n` +
    `  placement: ${base}/placement\n  data:      ${dataDir}\n` +
    `  clouds.yaml: ${join(dataDir, 'clouds.yaml')} (clouds: concord, concord-demo)\n` +
    `  try: OS_CLIENT_CONFIG_FILE=${join(dataDir, 'clouds.yaml')} openstack --os-cloud concord resource provider list\n`);
}
