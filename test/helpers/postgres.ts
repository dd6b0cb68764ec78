// A private PostgreSQL cluster for tests: initdb in a temp dir, started on a free port, one fresh
// database per call. Needs the Debian postgresql package; CI installs it (scripts/test.sh).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function pgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'pg_ctl'))) return join(root, v, 'bin');
  return null;
}

/** Why PostgreSQL tests cannot run here, or null when they can. In CI absence is an error. */
export function postgresUnavailable(): string | null {
  const why = pgBin() ? null : 'PostgreSQL server binaries not installed (apt-get install postgresql)';
  if (why && process.env.CI) throw new Error(`${why}; CI must install them`);
  return why;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PgCluster {
  url(db: string): string;
  createDatabase(name: string): Promise<string>;
  stop(): void;
}

const asRoot = process.getuid?.() === 0;

function run(bin: string, args: string[]): void {
  const cmd = asRoot ? 'runuser' : bin;
  const argv = asRoot ? ['-u', 'postgres', '--', bin, ...args] : args;
  execFileSync(cmd, argv, { stdio: 'pipe' });
}

export async function startPostgres(): Promise<PgCluster> {
  const bin = pgBin();
  if (!bin) throw new Error('PostgreSQL not installed');
  const dir = mkdtempSync(join(tmpdir(), 'concord-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  run(join(bin, 'initdb'), ['-A', 'trust', '-U', 'postgres', '-D', data, '--no-sync']);
  run(join(bin, 'pg_ctl'), [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-w',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    'start',
  ]);
  const url = (db: string) => `postgresql://postgres@127.0.0.1:${port}/${db}`;
  return {
    url,
    async createDatabase(name) {
      const res = spawnSync(
        join(bin, 'psql'),
        ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-c', `CREATE DATABASE ${name}`],
        { stdio: 'pipe', encoding: 'utf8' },
      );
      if (res.status !== 0) throw new Error(`createdb failed: ${res.stderr}`);
      return url(name);
    },
    stop() {
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
      } catch {
        /* already down */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
