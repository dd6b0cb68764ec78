// `concord up`: the whole cloud in one process, on one port, at DevStack-style paths.
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../common/config.js';
import { createLogger } from '../common/log.js';
import { buildCloud, type AllInOne } from './cloud.js';
import { concordClouds, writeCloudsYaml, type WrittenClouds } from './clouds.js';
import { CREDENTIALS_FILE } from './credentials.js';
import { parsePort, publicBase, reportPrivacy, resolveRuntime } from './runtime.js';
import { SERVICES } from './services.js';
import { checkFleetProcesses, startFleetProcesses } from './fleet.js';
import { computeDatabaseUrl } from '../compute/index.js';
import { stopOnSignals } from './shutdown.js';

export interface UpOptions {
  port: string;
  host: string;
  dataDir: string;
  config?: string;
  databaseUrl?: string;
}

/** --database-url: one database for identity and every other service, each in its own tables;
 * it overrides [database] connection and the services' own database options. */
function databaseOverrides(url: string | undefined): Partial<Config> {
  if (!url) return {};
  const options: (keyof Config)[] = [
    'databaseConnection',
    'identityDatabaseConnection',
    ...SERVICES.map((m) => m.databaseOption),
  ];
  return Object.fromEntries(options.map((o) => [o, url]));
}

/** What the user is told once the cloud is up. The generated admin password is shown only on the
 * start that generated it, and only to a terminal: output captured into a log file never holds it. */
export function upBanner(
  cloud: Pick<AllInOne, 'catalog' | 'credentials'>,
  o: {
    ms: number;
    dataDir: string;
    clouds: WrittenClouds;
    tty: boolean;
  },
): string {
  const width = Math.max(...cloud.catalog.map((c) => c.type.length)) + 2;
  const lines = [`concord is up in ${o.ms} ms`];
  for (const c of cloud.catalog) lines.push(`  ${c.type.padEnd(width)}${c.url}`);
  lines.push(
    `  data dir${' '.repeat(Math.max(1, width - 8))}${o.dataDir}`,
    '',
    `clouds.yaml: ${o.clouds.dataFile} (clouds: concord = admin, concord-demo = demo member)`,
  );
  lines.push(
    o.clouds.userWritten
      ? `         and ${o.clouds.userFile}`
      : `         ${o.clouds.userFile} was left alone: ${o.clouds.reason} ` +
          `(export OS_CLIENT_CONFIG_FILE=${o.clouds.dataFile})`,
  );
  const secrets = join(o.dataDir, CREDENTIALS_FILE);
  if (cloud.credentials.adminPasswordGenerated && o.tty) {
    lines.push(`admin password: ${cloud.credentials.adminPassword} (shown once; kept in ${secrets})`);
  } else {
    lines.push(`passwords: in ${secrets} and clouds.yaml`);
  }
  lines.push('', 'try: openstack --os-cloud concord token issue', '     openstack --os-cloud concord catalog list', '');
  return lines.join('\n');
}

export async function up(opts: UpOptions): Promise<void> {
  const port = parsePort(opts.port);
  const runtime = resolveRuntime(opts, databaseOverrides(opts.databaseUrl));
  checkFleetProcesses(runtime.config.fakeHypervisorProcesses);
  const log = createLogger({ debug: runtime.config.debug });
  reportPrivacy(runtime, log);
  const cloud = await buildCloud({
    runtime,
    log,
    publicBase: publicBase(runtime.config.publicEndpoint, opts.host, port),
  });
  // The fleet's processes (if any) stop first: they give their jobs back through the database.
  let stopFleet = async () => {};
  stopOnSignals(log, async () => {
    await stopFleet();
    await cloud.close();
  });
  try {
    await cloud.app.listen({ port, host: opts.host });
  } catch (err) {
    await cloud.close();
    throw err;
  }
  const demo = { username: 'demo', password: cloud.credentials.demoPassword, project: 'demo' };
  const admin = { username: 'admin', password: cloud.credentials.adminPassword, project: 'admin' };
  const clouds = writeCloudsYaml(
    runtime.dataDir,
    homedir(),
    concordClouds(cloud.authUrl, runtime.dataDir, { admin, demo }),
  );
  const { config } = runtime;
  if (config.fakeHypervisorProcesses > 0 && config.fakeHypervisors > 0) {
    stopFleet = startFleetProcesses({
      hypervisors: config.fakeHypervisors,
      processes: config.fakeHypervisorProcesses,
      dataDir: runtime.dataDir,
      ...(runtime.configFile ? { configFile: runtime.configFile } : {}),
      computeDatabaseUrl: computeDatabaseUrl(config, runtime.dataDir),
      stopMs: config.jobGracefulShutdownTimeout * 1000 + 5000,
      log,
    });
  }
  process.stdout.write(
    upBanner(cloud, {
      // Since the process started, module loading included: what the user waited for.
      ms: Math.round(performance.now()),
      dataDir: runtime.dataDir,
      clouds,
      tty: process.stdout.isTTY === true,
    }),
  );
}
