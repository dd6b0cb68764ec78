// What `concord up` and `concord serve` both start from: the data directory, the configuration
// file (explicit, or DATA_DIR/concord.conf when present) and the directory relative paths in it
// (policy_file) are resolved against.
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadConfig, type Config } from '../common/config.js';

export interface Runtime {
  dataDir: string;
  /** The concord.conf in force, if any. */
  configFile?: string;
  configDir: string;
  config: Config;
}

export function resolveRuntime(opts: { dataDir: string; config?: string }, overrides: Partial<Config> = {},
  env: NodeJS.ProcessEnv = process.env): Runtime {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const inDataDir = join(dataDir, 'concord.conf');
  const configFile = opts.config ? resolve(opts.config) : existsSync(inDataDir) ? inDataDir : undefined;
  if (configFile && !existsSync(configFile)) throw new Error(`configuration file not found: ${configFile}`);
  return {
    dataDir,
    ...(configFile ? { configFile } : {}),
    configDir: configFile ? dirname(configFile) : dataDir,
    config: loadConfig(configFile, env, overrides),
  };
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
