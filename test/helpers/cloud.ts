// Starts `concord up` as a real process on a free port with a fresh data dir, and runs the real
// `openstack` CLI against the clouds.yaml it writes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../bin/concord.js');

export function toolUnavailable(tool: string, pkg: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
  if (found) return null;
  if (process.env.CI) throw new Error(`${tool} missing in CI: install ${pkg}`);
  return `${tool} not installed (apt-get install ${pkg})`;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); });
  });
}

export interface Cloud {
  dataDir: string;
  base: string;
  log: () => string;
  /** Runs `openstack --os-cloud CLOUD ARGS -f json` and parses the output. */
  osc(args: string[], cloud?: string): { status: number; stdout: string; stderr: string; json: any };
  stop(): Promise<void>;
}

export async function startCloud(): Promise<Cloud> {
  const dataDir = mkdtempSync(join(tmpdir(), 'concord-e2e-'));
  const port = await freePort();
  let out = '';
  const proc: ChildProcess = spawn(process.execPath, ['--no-deprecation', BIN, 'up', '--data-dir', dataDir,
    '--port', String(port), '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const deadline = Date.now() + 30000;
  while (!existsSync(join(dataDir, 'clouds.yaml'))) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`concord up failed:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const base = `http://127.0.0.1:${port}`;
  return {
    dataDir,
    base,
    log: () => out,
    osc(args, cloud = 'concord') {
      const r = spawnSync('openstack', ['--os-cloud', cloud, ...args], {
        env: { ...process.env, OS_CLIENT_CONFIG_FILE: join(dataDir, 'clouds.yaml') }, encoding: 'utf8',
      });
      let json: unknown = null;
      try { json = r.stdout.trim() ? JSON.parse(r.stdout) : null; } catch { /* not JSON output */ }
      return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
    },
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
