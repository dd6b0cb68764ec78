// Several `concord serve` processes starting at once on one fresh database (SQLite in a shared
// data directory, or one PostgreSQL database): all come up and answer. Migrations, seed data and
// identity's bootstrap run under a lock between processes; the later ones wait, then find nothing
// to do. Process start-up times vary enough to hide the race, so the database is held busy while
// the processes start: they all reach their first schema change together.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { serveIn, type Served } from '../helpers/serve.js';

const PROCESSES = 3;
const ROUNDS = 3;
/** Long enough for the processes to start, shorter than SQLite's busy timeout (5 s). */
const HOLD_MS = 2500;

/** SQLite: the database file's write lock (the file made, in WAL mode as the services use it). */
function holdSqlite(file: string): () => Promise<void> {
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.exec('BEGIN IMMEDIATE');
  return async () => {
    db.exec('COMMIT');
    db.close();
  };
}

/** PostgreSQL: the catalog of tables, which every CREATE TABLE writes to (reads go on). */
async function holdPostgres(url: string): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE pg_catalog.pg_class IN EXCLUSIVE MODE');
  return async () => {
    await client.query('COMMIT');
    await client.end();
  };
}

interface Group {
  service: string;
  dataDir: string;
  args: string[];
}

/** Starts PROCESSES servers of each group at once while the database is held; every one must
 * come up. Returns them per group (the caller stops them). */
async function startTogether(groups: Group[], hold: () => Promise<() => Promise<void>>): Promise<Served[][]> {
  const release = await hold();
  const starting = groups.flatMap((g) =>
    Array.from({ length: PROCESSES }, () => serveIn(g.service, g.dataDir, g.args)),
  );
  await new Promise((r) => setTimeout(r, HOLD_MS));
  await release();
  const started = await Promise.allSettled(starting);
  const up = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
  if (failed.length) {
    await Promise.all(up.map((s) => s.stop()));
    expect.fail(`${failed.length} of ${starting.length} processes did not come up:\n${failed.join('\n')}`);
  }
  return groups.map((_, i) => up.slice(i * PROCESSES, (i + 1) * PROCESSES));
}

/** startTogether for one group; stops the servers once `check` is done with them. */
async function together(
  group: Group,
  hold: () => Promise<() => Promise<void>>,
  check: (servers: Served[]) => Promise<void>,
): Promise<void> {
  const [servers] = await startTogether([group], hold);
  try {
    await check(servers!);
  } finally {
    await Promise.all(servers!.map((s) => s.stop()));
  }
}

async function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  return (await fetch(url, { headers })).status;
}

/** Admin signs in through each process with the password in credentials.json, and each token is
 * accepted by every other process: they agree on the passwords and the signing key. */
async function identityAgrees(dataDir: string, servers: Served[]): Promise<void> {
  const { admin_password: password } = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as {
    admin_password: string;
  };
  const body = JSON.stringify({
    auth: {
      identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password } } },
      scope: { project: { name: 'admin', domain: { id: 'default' } } },
    },
  });
  for (const s of servers) {
    const res = await fetch(`${s.base}/v3/auth/tokens`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(201);
    const token = res.headers.get('x-subject-token')!;
    for (const other of servers) {
      expect(await status(`${other.base}/v3/auth/tokens`, { 'x-auth-token': token, 'x-subject-token': token })).toBe(
        200,
      );
    }
  }
}

async function placementAnswers(servers: Served[]): Promise<void> {
  for (const s of servers) {
    const res = await fetch(`${s.base}/resource_classes/VCPU`, {
      headers: { 'x-auth-token': 'admin', 'openstack-api-version': 'placement 1.2' },
    });
    expect(res.status).toBe(200);
  }
}

async function imageAnswers(servers: Served[]): Promise<void> {
  for (const s of servers) expect(await status(`${s.base}/v2/images`, { 'x-auth-token': 'admin:admin' })).toBe(200);
}

const NOAUTH = ['--auth-strategy', 'noauth2'];

describe('processes starting together on one SQLite data directory', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const d = mkdtempSync(join(tmpdir(), 'concord-start-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const holdIn = (dir: string, file: string) => async () => holdSqlite(join(dir, file));

  it.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))(
    'placement, round %i',
    async () => {
      const dir = fresh();
      await together(
        { service: 'placement', dataDir: dir, args: NOAUTH },
        holdIn(dir, 'placement.sqlite'),
        placementAnswers,
      );
    },
    60000,
  );

  it('identity: one bootstrap, one set of passwords, one signing key', async () => {
    const dir = fresh();
    await together({ service: 'identity', dataDir: dir, args: [] }, holdIn(dir, 'identity.sqlite'), (servers) =>
      identityAgrees(dir, servers),
    );
  }, 60000);

  it('image', async () => {
    const dir = fresh();
    await together({ service: 'image', dataDir: dir, args: NOAUTH }, holdIn(dir, 'image.sqlite'), imageAnswers);
  }, 60000);
});

const skipPg = postgresUnavailable();

describe.skipIf(skipPg)(
  `processes starting together on one PostgreSQL database${skipPg ? ` (skipped: ${skipPg})` : ''}`,
  () => {
    let cluster: PgCluster;
    let n = 0;
    const dirs: string[] = [];
    const fresh = () => {
      const d = mkdtempSync(join(tmpdir(), 'concord-start-'));
      dirs.push(d);
      return d;
    };
    beforeAll(async () => {
      cluster = await startPostgres();
    });
    afterAll(() => {
      cluster?.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });
    const database = () => cluster.createDatabase(`start_${++n}`);

    it.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))(
      'placement, round %i',
      async () => {
        const url = await database();
        await together(
          { service: 'placement', dataDir: fresh(), args: ['--database-url', url, ...NOAUTH] },
          () => holdPostgres(url),
          placementAnswers,
        );
      },
      60000,
    );

    it('identity, sharing a data directory (passwords, keys) as scale-out does', async () => {
      const url = await database();
      const dir = fresh();
      await together(
        { service: 'identity', dataDir: dir, args: ['--database-url', url] },
        () => holdPostgres(url),
        (servers) => identityAgrees(dir, servers),
      );
    }, 60000);

    it('image and placement sharing one database', async () => {
      const url = await database();
      const args = ['--database-url', url, ...NOAUTH];
      const [images, placements] = await startTogether(
        [
          { service: 'image', dataDir: fresh(), args },
          { service: 'placement', dataDir: fresh(), args },
        ],
        () => holdPostgres(url),
      );
      try {
        await imageAnswers(images!);
        await placementAnswers(placements!);
      } finally {
        await Promise.all([...images!, ...placements!].map((s) => s.stop()));
      }
    }, 60000);
  },
);
