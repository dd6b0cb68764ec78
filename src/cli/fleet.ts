// `concord up`'s simulated hypervisors in processes of their own ([compute]
// fake_hypervisor_processes): each process is a `concord agent compute --fleet FIRST-LAST` with
// its share of compute1 ... computeN. They start once the cloud answers (they call its Placement
// as nova's service user, found through DATA_DIR's clouds.yaml), start again when one dies, and
// stop before the cloud closes, giving back the jobs they had not finished.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

const BIN = fileURLToPath(new URL('../../bin/concord.js', import.meta.url));
/** A process that died is started again after this long, doubled while it keeps dying young. */
const RESTART_MS = 1000;
const MAX_RESTART_MS = 30_000;
/** A process that lived this long had been working: its next death restarts it soon again. */
const SETTLED_MS = 60_000;

export interface FleetOptions {
  hypervisors: number;
  processes: number;
  dataDir: string;
  configFile?: string;
  /** The compute database, as the cloud resolved it (given to each process in its environment,
   * where a password in the URL does not show in the process list). */
  computeDatabaseUrl: string;
  /** How long a stopping process may take ([jobs] graceful_shutdown_timeout and some). */
  stopMs: number;
  log: Logger;
}

/** [compute] fake_hypervisor_processes, checked before the cloud starts. */
export function checkFleetProcesses(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 64)
    throw new Error(`[compute] fake_hypervisor_processes: not a number of processes (0 to 64): ${n}`);
}

/** Splits hosts 1 ... `hypervisors` into at most `processes` consecutive shares, as even as can be. */
export function fleetShares(hypervisors: number, processes: number): { first: number; last: number }[] {
  const n = Math.min(processes, hypervisors);
  const shares: { first: number; last: number }[] = [];
  let first = 1;
  for (let i = 0; i < n; i++) {
    const size = Math.floor(hypervisors / n) + (i < hypervisors % n ? 1 : 0);
    shares.push({ first, last: first + size - 1 });
    first += size;
  }
  return shares;
}

/** Starts the fleet's processes; the returned function stops them all. */
export function startFleetProcesses(o: FleetOptions): () => Promise<void> {
  let stopping = false;
  const running = new Set<ChildProcess>();
  const timers = new Set<NodeJS.Timeout>();

  const start = (range: string, delayMs: number) => {
    const startedAt = Date.now();
    const args = ['--no-deprecation', BIN, 'agent', 'compute', '--fleet', range, '--data-dir', o.dataDir];
    if (o.configFile) args.push('--config', o.configFile);
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CONCORD_API_DATABASE__CONNECTION: o.computeDatabaseUrl },
    });
    running.add(child);
    o.log.info({ fleet: range, pid: child.pid }, 'fake hypervisors started in a process of their own');
    child.once('error', (err) => o.log.error({ err, fleet: range }, 'could not start the fake hypervisors'));
    child.once('exit', (code, signal) => {
      running.delete(child);
      if (stopping) return;
      const next = Date.now() - startedAt > SETTLED_MS ? RESTART_MS : Math.min(delayMs * 2, MAX_RESTART_MS);
      o.log.error({ fleet: range, code, signal, restartInMs: next }, 'the fake hypervisors process ended');
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopping) start(range, next);
      }, next);
      timers.add(timer);
    });
  };

  for (const { first, last } of fleetShares(o.hypervisors, o.processes)) start(`${first}-${last}`, RESTART_MS / 2);

  return async () => {
    stopping = true;
    for (const t of timers) clearTimeout(t);
    await Promise.all(
      [...running].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const kill = setTimeout(() => child.kill('SIGKILL'), o.stopMs);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  };
}
