// What `concord up` and `concord serve` both start from: the data directory (private), the configuration
// file (explicit, or DATA_DIR/concord.conf when present) and the directory relative paths in it
// (policy_file) are resolved against.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../common/config.js';
import { ensurePrivateDir } from '../common/private_files.js';

export interface Runtime {
  dataDir: string;
  /** The concord.conf in force, if any. */
  configFile?: string;
  configDir: string;
  config: Config;
  /** True when the data directory was open to other users and this start closed it. */
  madePrivate: boolean;
}

export function resolveRuntime(
  opts: { dataDir: string; config?: string },
  overrides: Partial<Config> = {},
  env: NodeJS.ProcessEnv = process.env,
): Runtime {
  const dataDir = resolve(opts.dataDir);
  const madePrivate = ensurePrivateDir(dataDir);
  const inDataDir = join(dataDir, 'concord.conf');
  const configFile = opts.config ? resolve(opts.config) : existsSync(inDataDir) ? inDataDir : undefined;
  if (configFile && !existsSync(configFile)) throw new Error(`configuration file not found: ${configFile}`);
  return {
    dataDir,
    ...(configFile ? { configFile } : {}),
    configDir: configFile ? dirname(configFile) : dataDir,
    config: loadConfig(configFile, env, overrides),
    madePrivate,
  };
}

/** Says so when this start closed a data directory that other users could read. */
export function reportPrivacy(runtime: Runtime, log: Logger): void {
  if (runtime.madePrivate) {
    log.warn(
      { dataDir: runtime.dataDir },
      'the data directory was readable by other users: it and everything in it ' +
        'is now private to its owner (directories 0700, files 0600)',
    );
  }
}

export function parsePort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port: not a TCP port: ${raw}`);
  return port;
}

/** The base URL the catalog advertises: [DEFAULT] public_endpoint, else where we listen (this
 * machine's name when listening on every address, which no client can connect to as such). */
export function publicBase(configured: string, host: string, port: number): string {
  if (configured) return configured.replace(/\/+$/, '');
  const name = host === '0.0.0.0' || host === '::' ? hostname() : host;
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}`;
}
