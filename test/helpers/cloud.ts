// Starts `concord up` as a real process on a free port with a fresh data dir (and a private HOME,
// so the real ~/.config/openstack is never touched), and runs the real `openstack` CLI against the
// clouds.yaml it writes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/concord.js');

export function toolUnavailable(tool: string, pkg: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
  if (found) return null;
  if (process.env.CI) throw new Error(`${tool} missing in CI: install ${pkg}`);
  return `${tool} not installed (apt-get install ${pkg})`;
}

/** A Python that can import `module` (Debian's, when a pyenv or venv python3 comes first on PATH);
 * null (or, in CI, an error) when there is none. */
export function pythonWith(module: string, pkg: string): { python: string } | { skip: string } {
  for (const python of ['python3', '/usr/bin/python3']) {
    if (spawnSync(python, ['-c', `import ${module}`]).status === 0) return { python };
  }
  if (process.env.CI) throw new Error(`python module ${module} missing in CI: install ${pkg}`);
  return { skip: `python module ${module} not installed (apt-get install ${pkg})` };
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
  json: any;
}

export interface Cloud {
  pid: number;
  /** The exit code, once the process ends. */
  exited: Promise<number | null>;
  dataDir: string;
  home: string;
  base: string;
  /** Everything the server wrote to stdout and stderr so far. */
  log: () => string;
  /** The passwords of DATA_DIR/credentials.json. */
  credentials: { admin_password: string; demo_password: string; service_password: string };
  /** Runs `openstack --os-cloud CLOUD ARGS` and parses JSON output. */
  osc(args: string[], cloud?: string): RunResult;
  /** Runs a command with the cloud's clouds.yaml and HOME in its environment. */
  run(cmd: string, args: string[], env?: Record<string, string>): RunResult;
  /** SIGTERM, then the exit code; the data dir stays until `cleanup`. */
  stop(): Promise<number | null>;
  cleanup(): void;
}

export interface StartOptions {
  /** Reuse a data dir (a second start); default: a fresh one. */
  dataDir?: string;
  home?: string;
  env?: Record<string, string>;
  /** More `concord up` arguments (--config ...). */
  extraArgs?: string[];
  /** Listen there (a restart where its clients expect it); default: a free port. */
  port?: number;
}

export async function startCloud(opts: StartOptions = {}): Promise<Cloud> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'concord-e2e-'));
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'concord-home-'));
  const port = opts.port ?? (await freePort());
  // No simulated hypervisors unless a test asks for them: the other services' tests see an empty Placement.
  const env = { ...process.env, HOME: home, CONCORD_COMPUTE__FAKE_HYPERVISORS: '0', ...opts.env };
  let out = '';
  const proc: ChildProcess = spawn(
    process.execPath,
    [
      '--no-deprecation',
      BIN,
      'up',
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      ...(opts.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const deadline = Date.now() + 30000;
  // The banner is printed once clouds.yaml is written and the server listens.
  while (!out.includes('concord is up')) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`concord up failed:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const cloudsFile = join(dataDir, 'clouds.yaml');
  const run = (cmd: string, args: string[], extra: Record<string, string> = {}): RunResult => {
    const r = spawnSync(cmd, args, {
      env: { ...process.env, HOME: home, OS_CLIENT_CONFIG_FILE: cloudsFile, ...extra },
      encoding: 'utf8',
    });
    let json: unknown = null;
    try {
      json = r.stdout.trim() ? JSON.parse(r.stdout) : null;
    } catch {
      /* not JSON output */
    }
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
  };
  return {
    pid: proc.pid!,
    exited,
    dataDir,
    home,
    base: `http://127.0.0.1:${port}`,
    log: () => out,
    credentials: JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')),
    osc: (args, cloud = 'concord') => run('openstack', ['--os-cloud', cloud, ...args]),
    run,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
    cleanup() {
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      if (!opts.home && existsSync(home)) rmSync(home, { recursive: true, force: true });
    },
  };
}
