// `concord serve SERVICE` as real processes (the scale-out deployment: several API processes on
// one database), for races that only separate processes can show. Needs `npm run build`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, freePort } from './cloud.js';

export interface Served {
  base: string;
  /** What the process wrote so far. */
  log(): string;
  /** SIGTERM, and the data dir removed once it has exited (unless it was the caller's). */
  stop(): Promise<void>;
}

/** Starts `concord serve SERVICE --database-url URL ...args` and waits until it answers. */
export async function serve(service: string, databaseUrl: string, args: string[] = []): Promise<Served> {
  return serveIn(
    service,
    mkdtempSync(join(tmpdir(), 'concord-serve-')),
    ['--database-url', databaseUrl, ...args],
    true,
  );
}

/** Starts `concord serve SERVICE --data-dir DATA_DIR ...args` and waits until it answers; the data
 * dir, which several processes may share, is left to the caller. */
export async function serveIn(
  service: string,
  dataDir: string,
  args: string[] = [],
  ownDataDir = false,
): Promise<Served> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [
      '--no-deprecation',
      BIN,
      'serve',
      service,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--data-dir',
      dataDir,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CONCORD_LOG_LEVEL: 'warn' } },
  );
  let out = '';
  proc.stdout.on('data', (d) => {
    out += d;
  });
  proc.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`concord serve ${service} exited:\n${out}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`concord serve ${service} did not answer within 30 s:\n${out}`);
    }
    try {
      if ((await fetch(`${base}/`)).status < 500) break;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, log: () => out, stop };
}
