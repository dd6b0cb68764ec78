// `concord serve placement` as a real process (noauth2, a free port, its own data dir) on a
// database the caller names, driven over HTTP as an admin: several of them on one database are
// the scale-out deployment whose provider indexes must agree.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, freePort } from './cloud.js';

export interface PlacementProcess {
  name: string;
  base: string;
  /** A JSON request as admin at `version` (default 1.39), parsed. */
  call(method: string, path: string, body?: unknown, version?: string): Promise<{ status: number; body: any }>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

export async function startPlacementProcess(opts: {
  name: string;
  databaseUrl: string;
  env?: Record<string, string>;
}): Promise<PlacementProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'concord-placement-'));
  const port = await freePort();
  let out = '';
  const proc = spawn(
    process.execPath,
    [
      '--no-deprecation',
      BIN,
      'serve',
      'placement',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--data-dir',
      dataDir,
      '--database-url',
      opts.databaseUrl,
      '--auth-strategy',
      'noauth2',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CONCORD_LOG_LEVEL: 'warn', ...opts.env } },
  );
  proc.stdout.on('data', (d) => {
    out += d;
  });
  proc.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`placement ${opts.name} exited:\n${out}`);
    if (Date.now() > deadline) {
      proc.kill();
      throw new Error(`placement ${opts.name} did not start:\n${out}`);
    }
    try {
      if ((await fetch(`${base}/`)).ok) break;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name: opts.name,
    base,
    async call(method, path, body, version = '1.39') {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          'x-auth-token': 'admin',
          'openstack-api-version': `placement ${version}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON */
      }
      if (res.status >= 500) throw new Error(`${opts.name}: ${method} ${path} → ${res.status} ${text}\n${out}`);
      return { status: res.status, body: parsed };
    },
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface PlacementCluster {
  /** The running processes, in start order. */
  processes: PlacementProcess[];
  /** Starts `count` more processes (the first of a new database alone: it creates the schema). */
  start(count: number): Promise<PlacementProcess[]>;
  /** Stops one process and forgets it. */
  stop(p: PlacementProcess): Promise<void>;
  /** Moves every process's clock (running or yet to start) to `ms` after the real time. */
  shiftClock: (ms: number) => void;
  stopAll: () => Promise<void>;
}

/** Placement processes on one database sharing one test clock (src/placement/provider_index/clock.ts). */
export function placementCluster(databaseUrl: string): PlacementCluster {
  const clockDir = mkdtempSync(join(tmpdir(), 'concord-clock-'));
  const clockFile = join(clockDir, 'shift-ms');
  let started = 0;
  const launch = () =>
    startPlacementProcess({
      name: `p${started++}`,
      databaseUrl,
      env: { CONCORD_TEST_CLOCK_SHIFT_FILE: clockFile },
    });
  const cluster: PlacementCluster = {
    processes: [],
    async start(count) {
      const out: PlacementProcess[] = [];
      if (started === 0 && count > 0) {
        out.push(await launch());
        count--;
      }
      const results = await Promise.allSettled(Array.from({ length: count }, launch));
      out.push(...results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])));
      cluster.processes.push(...out);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      return out;
    },
    async stop(p) {
      cluster.processes = cluster.processes.filter((q) => q !== p);
      await p.stop();
    },
    shiftClock(ms) {
      writeFileSync(clockFile, String(ms));
    },
    async stopAll() {
      await Promise.all(cluster.processes.map((p) => p.stop()));
      cluster.processes = [];
      rmSync(clockDir, { recursive: true, force: true });
    },
  };
  return cluster;
}
