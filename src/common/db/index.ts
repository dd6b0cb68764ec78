// Database access for every service: SQLite (embedded default) or PostgreSQL (by URL), one Kysely
// instance per database, migrations run at startup, transactions retried on serialization failures.
import { mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { profiled, sqlProfiling } from './sql_profile.js';
import { withFastRows } from './sqlite_rows.js';
import pg from 'pg';
import { ensurePrivateFile } from '../private_files.js';
import type { Writable } from 'node:stream';
import {
  Kysely,
  PostgresAdapter,
  CompiledQuery,
  type Compilable,
  type QueryResult,
  PostgresDialect,
  PostgresDriver,
  Migrator,
  type DatabaseConnection,
  type Driver,
  type PostgresDialectConfig,
  type TransactionSettings,
  sql,
  type Migration,
  type RawBuilder,
  type SqlBool,
  type Transaction,
} from 'kysely';
import { advisoryLock, fileLock, type Exclusive } from './lock.js';
import { GroupCommit, GroupCommitDialect } from './group_commit.js';
import { checkpointInBackground } from './checkpointer.js';
import { analyzeNewTablesInBackground } from './statistics.js';
import { pgListen, sqliteCommitWatch, type Listen } from './listen.js';

export type { Exclusive } from './lock.js';
export type { Listen } from './listen.js';
export type Engine = 'sqlite' | 'postgres';

export interface Database<DB> {
  db: Kysely<DB>;
  engine: Engine;
  /** A lock shared with every other process on this database (see lock.ts). */
  exclusive: Exclusive;
  /** PostgreSQL's LISTEN; on SQLite, when opened with `watchOtherProcesses`, a commit watch (see
   * listen.ts). */
  listen?: Listen;
  close: () => Promise<void>;
}

// PostgreSQL returns BIGINT (count(*), sum()) as strings by default; our counts fit in a double.
pg.types.setTypeParser(20, (v: string) => Number.parseInt(v, 10));
pg.types.setTypeParser(1700, (v: string) => Number.parseFloat(v));

export interface OpenOptions {
  /** SQLite: let listeners hear of commits by other processes (sqliteCommitWatch), for a process
   * whose work is mostly enqueued by another (an agent beside `concord up`). PostgreSQL always
   * notifies. */
  watchOtherProcesses?: boolean;
}

/** How often a SQLite commit watch looks: a job enqueued by another process waits this long at
 * most, rather than a worker's idle poll (up to [jobs] poll_interval). */
const COMMIT_WATCH_MS = 10;

/** Opens `url` (postgresql://..., sqlite:///abs/path, or a plain file path for SQLite). */
export function openDatabase<DB>(url: string, options: OpenOptions = {}): Database<DB> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    // Pipeline mode: a query is sent at once, not after the answer to the one before; Kysely still
    // runs one statement at a time on a connection, except for executeTogether's batches.
    const pool = new pg.Pool({ connectionString: url, max: 10, pipeline: true });
    pool.on('connect', (client) => {
      preparedStatements(client);
      writesPerTick(client);
    });
    // An idle connection the server closed (a restart, a terminated backend) is dropped by the
    // pool, and the next query opens another; unhandled, the event would end the process.
    pool.on('error', () => undefined);
    const db = new Kysely<DB>({ dialect: new PipelinedPostgresDialect({ pool }) });
    const stopAnalyzing = analyzeNewTablesInBackground(pool);
    return {
      db,
      engine: 'postgres',
      exclusive: advisoryLock(pool),
      listen: pgListen(url),
      close: () => {
        stopAnalyzing();
        return db.destroy();
      },
    };
  }
  const file = url.replace(/^sqlite:\/\//, '');
  // One connection per file and process, whoever opens it (`--database-url` gives every service
  // one file; tests open the cloud's): a batch of group commit holds the write lock until the end
  // of its turn, and a second connection of the same thread waiting for it would block that very
  // thread. One connection also runs the transactions of all its users one after the other.
  const key = file === ':memory:' ? undefined : resolve(file);
  const open = (key && sharedSqlite.get(key)) || openSqlite(file, key);
  open.users++;
  let closed = false;
  return {
    db: open.db as Kysely<DB>,
    engine: 'sqlite',
    exclusive: open.exclusive,
    ...(options.watchOtherProcesses ? { listen: sqliteCommitWatch(open.sqlite, COMMIT_WATCH_MS) } : {}),
    close: async () => {
      if (closed) return;
      closed = true;
      if (--open.users > 0) return;
      if (key) sharedSqlite.delete(key);
      open.stopCheckpoints();
      await open.db.destroy();
    },
  };
}

interface OpenSqlite {
  sqlite: SQLite.Database;
  db: Kysely<unknown>;
  exclusive: Exclusive;
  stopCheckpoints: () => void;
  users: number;
}

/** The SQLite files this process has open, by absolute path. */
const sharedSqlite = new Map<string, OpenSqlite>();

function openSqlite(file: string, key: string | undefined): OpenSqlite {
  if (key) {
    // A directory made for the database is private; an existing one is left as it is: a database
    // named by URL may live in a directory shared with others (the data directory is made private
    // as a whole by the CLI).
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // Private before SQLite opens it: its -wal and -shm files take the database file's mode.
    ensurePrivateFile(file, [`${file}-wal`, `${file}-shm`]);
  }
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // better-sqlite3 defaults to a 16 MB page cache per connection; the services' hot data lives
  // in their own memory (Placement's provider index), so a smaller cache costs little.
  sqlite.pragma('cache_size = -4000');
  sqlite.function('regexp', { deterministic: true }, regexpSearch);
  const connection = withStatementCache(sqlite);
  const group = new GroupCommit(connection);
  const db = new Kysely<unknown>({ dialect: new GroupCommitDialect({ database: connection }, group) });
  groupCommits.set(db, group);
  const open: OpenSqlite = {
    sqlite,
    db,
    // An in-memory database has no other process to keep out, and no log to checkpoint.
    exclusive: key ? fileLock(file) : (_name, fn) => fn(),
    stopCheckpoints: key ? checkpointInBackground(file, sqlite) : () => undefined,
    users: 0,
  };
  if (key) sharedSqlite.set(key, open);
  return open;
}

let lastPattern: { source: string; re: RegExp } | undefined;

/** SQLite's `value REGEXP pattern` (which it leaves to the application): whether JavaScript's
 * RegExp finds `pattern` in `value`, as Python's re.search does for Nova on SQLite. The caller
 * checks that the pattern compiles; a query runs one pattern over many rows, hence the cache. */
function regexpSearch(pattern: unknown, value: unknown): number {
  if (typeof pattern !== 'string' || typeof value !== 'string') return 0;
  if (lastPattern?.source !== pattern) lastPattern = { source: pattern, re: new RegExp(pattern) };
  return lastPattern.re.test(value) ? 1 : 0;
}

/** Statements longer than this (long IN lists, whose text changes with their length) are not
 * kept prepared. Set well above the longest fixed statement (Placement's one-statement inventory
 * write is ~1,800 characters), which must stay prepared: the caches are bounded anyway. */
const MAX_CACHED_SQL = 8000;
const STATEMENT = /^\s*(select|insert|update|delete|with)\b/i;
const statementNames = new Map<string, string>();

/** Has a new PostgreSQL connection send data statements as named prepared statements: the
 * server then parses and plans each distinct SQL text once per connection instead of on every
 * execution (Kysely sends unnamed ones). Names are digests of the text, so they never clash. */
function preparedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: unknown }).query = (text: unknown, values?: unknown) => {
    if (typeof text !== 'string' || text.length > MAX_CACHED_SQL || !STATEMENT.test(text)) return query(text, values);
    let name = statementNames.get(text);
    if (!name) {
      name = `k${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      if (statementNames.size > 5000) statementNames.clear();
      statementNames.set(text, name);
    }
    return query({ name, text, values });
  };
}

/** Has a connection send what its queries write in one tick as one write: pipelined statements
 * (executeTogether) reach the server in one packet, which it answers in one. */
function writesPerTick(client: pg.PoolClient): void {
  const stream = (client as unknown as { connection: { stream: Writable } }).connection.stream;
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  let corked = false;
  (client as unknown as { query: unknown }).query = (text: unknown, values?: unknown) => {
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(() => {
        corked = false;
        stream.uncork();
      });
    }
    return query(text, values);
  };
}

/** A transaction's BEGIN is not waited for: it leaves with the transaction's first statement, in
 * one write (see writesPerTick), one round trip fewer for every transaction. BEGIN only fails
 * with its connection, and then so does the statement behind it. */
class PipelinedPostgresDriver extends PostgresDriver {
  override beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.isolationLevel || settings.accessMode) return super.beginTransaction(connection, settings);
    connection.executeQuery(CompiledQuery.raw('BEGIN')).catch(() => undefined);
    return Promise.resolve();
  }
}

class PipelinedPostgresDialect extends PostgresDialect {
  constructor(private readonly config: PostgresDialectConfig) {
    super(config);
  }

  override createDriver(): Driver {
    return new PipelinedPostgresDriver(this.config);
  }
}

/** Runs statements of which none needs another's answer (a later one may rely on an earlier one's
 * effects: they run in order) as one batch. On PostgreSQL they are sent together and answered
 * together, one round trip for all; on SQLite, which has no round trips, one after the other. In
 * a transaction they are part of it; otherwise each commits on its own. Resolves with their
 * results in order; rejects with the first failure, once every one has been answered (in a
 * transaction, the ones after a failure fail too, and the transaction rolls back). */
export async function executeTogether<DB, const Q extends readonly Compilable<unknown>[]>(
  db: Kysely<DB> | Transaction<DB>,
  queries: Q,
): Promise<Results<Q>> {
  const compiled = queries.map((q) => q.compile());
  if (engineOf(db) === 'sqlite') {
    const results: QueryResult<unknown>[] = [];
    for (const c of compiled) results.push(await db.executeQuery(c));
    return results as Results<Q>;
  }
  return (await pipelined(db, compiled)) as Results<Q>;
}

/** executeTogether for statements in groups (any of them empty, a statement a write may not
 * need): the answers come back in the same groups, so that no caller counts positions. */
export async function executeGroups<DB, const G extends readonly (readonly Compilable<unknown>[])[]>(
  db: Kysely<DB> | Transaction<DB>,
  groups: G,
): Promise<{ -readonly [K in keyof G]: QueryResult<unknown>[] }> {
  const results = await executeTogether(db, groups.flat());
  let at = 0;
  return groups.map((g) => results.slice(at, (at += g.length))) as { -readonly [K in keyof G]: QueryResult<unknown>[] };
}

/** Runs `queries` as one transaction. On PostgreSQL its BEGIN, the statements and its COMMIT go
 * in one round trip, so no statement can be made to wait on another's answer: what must hold for
 * a write is said in its WHERE. On SQLite, in a withTransaction. Inside a transaction, they are
 * part of it (executeTogether). Resolves with the statements' results in order; a failure rolls
 * all of it back, and a transient conflict runs it again (as withTransaction does). */
export async function executeAtomically<DB, const Q extends readonly Compilable<unknown>[]>(
  db: Kysely<DB> | Transaction<DB>,
  queries: Q,
): Promise<Results<Q>> {
  if (db.isTransaction) return executeTogether(db, queries);
  if (engineOf(db) === 'sqlite') return withTransaction(db, (trx) => executeTogether(trx, queries));
  const compiled = [CompiledQuery.raw('BEGIN'), ...queries.map((q) => q.compile()), CompiledQuery.raw('COMMIT')];
  return retryTransient(async () => (await pipelined(db, compiled)).slice(1, -1) as Results<Q>);
}

type Results<Q extends readonly Compilable<unknown>[]> = {
  -readonly [K in keyof Q]: Q[K] extends Compilable<infer O> ? QueryResult<O> : never;
};

/** Sends `compiled` on one PostgreSQL connection without waiting between them (pipeline mode);
 * rejects with the first failure once every one has been answered. */
async function pipelined<DB>(db: Kysely<DB>, compiled: CompiledQuery[]): Promise<QueryResult<unknown>[]> {
  const settled = await db
    .getExecutor()
    .provideConnection((connection) => Promise.allSettled(compiled.map((c) => connection.executeQuery(c))));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<QueryResult<unknown>>).value);
}

/** Kysely prepares every statement anew, and preparing costs better-sqlite3 more than running a
 * small query does; the same SQL text gets the same prepared statement (statements are reusable
 * and the connection is used by one query at a time). Bounded, since IN lists vary the text. */
function withStatementCache(sqlite: SQLite.Database, max = 1000): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const bare = sqlite.prepare.bind(sqlite);
  const prepare = sqlProfiling()
    ? (sql: string) => withFastRows(profiled(bare(sql), sql))
    : (sql: string) => withFastRows(bare(sql));
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') {
        const value: unknown = Reflect.get(target, prop, receiver);
        // Native methods must be called on the real object, not on the proxy.
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      }
      return (sql: string) => {
        // Long texts are IN lists of one-off lengths: not worth a cache slot.
        if (sql.length > MAX_CACHED_SQL) return prepare(sql);
        let stmt = cache.get(sql);
        if (!stmt) {
          stmt = prepare(sql);
          if (cache.size >= max) cache.delete(cache.keys().next().value!);
          cache.set(sql, stmt);
        }
        return stmt;
      };
    },
  });
}

/** Applies a service's migrations (named, ordered) with Kysely's migrator, then `seed` (data the
 * service needs in every database, written idempotently), holding the database's lock: processes
 * starting together on a fresh database take turns, and the later ones find nothing to do. */
export async function migrate<DB>(
  database: Pick<Database<DB>, 'db' | 'exclusive'>,
  migrations: Record<string, Migration>,
  table: string,
  seed?: () => Promise<void>,
): Promise<void> {
  await database.exclusive(`${table}_migrations`, async () => {
    const migrator = new Migrator({
      db: database.db,
      provider: { getMigrations: async () => migrations },
      migrationTableName: `${table}_migrations`,
      migrationLockTableName: `${table}_migrations_lock`,
    });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(`${table} migrations failed`, { cause: error });
    await seed?.();
  });
}

/** Whether `e` is the engine saying "another transaction got in the way; the same work may
 * succeed if run again": a serialization failure or deadlock (PostgreSQL; the deadlock's loser
 * is rolled back), a busy or locked database (SQLite, once its busy timeout has run out or when a
 * read transaction's snapshot went stale before it could write). */
export function isTransientConflict(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  return code === '40001' || code === '40P01' || code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/** Runs `fn` (a whole transaction, or one autocommitted statement) again, a bounded number of
 * times, while it fails with a transient conflict; the last failure is thrown. `fn` must do
 * the same from the start each time (whatever it learnt in a failed attempt was rolled back). */
export async function retryTransient<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !isTransientConflict(e)) throw e;
      // Randomised so that the transactions that collided do not collide again in step.
      await new Promise((r) => setTimeout(r, 5 * i + Math.random() * 10 * i));
    }
  }
}

/** The group commit of each SQLite database (see group_commit.ts). */
const groupCommits = new WeakMap<object, GroupCommit>();

/** The group commit of a SQLite database (undefined on PostgreSQL). */
export function groupCommitOf<DB>(db: Kysely<DB>): GroupCommit | undefined {
  return groupCommits.get(db);
}

/** Resolves once what `db` committed so far is on disk (at once but on SQLite, whose commits are
 * grouped). */
export function durable<DB>(db: Kysely<DB>): Promise<void> {
  return groupCommits.get(db)?.durable() ?? Promise.resolve();
}

/** What to do once each open withTransaction transaction has committed. */
const commitHooks = new WeakMap<object, (() => void)[]>();

/** Runs `fn` in a transaction, retried while it fails with a transient conflict (see
 * retryTransient). What `afterCommit` registered in the attempt that commits runs then. Ten
 * attempts (about half a second of backoff in all): on SQLite a transaction that read first
 * fails at its first write whenever another process committed since (SQLITE_BUSY_SNAPSHOT), and a
 * storm of boots beside busy agent processes saw five attempts in a row fail so. */
export async function withTransaction<DB, T>(
  db: Kysely<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
  attempts = 10,
): Promise<T> {
  return retryTransient(async () => {
    const hooks: (() => void)[] = [];
    const result = await db.transaction().execute((trx) => {
      commitHooks.set(trx, hooks);
      return fn(trx);
    });
    await durable(db);
    for (const hook of hooks) hook();
    return result;
  }, attempts);
}

/** Runs `hook` once what `db` wrote is visible to others: after the commit of a withTransaction
 * transaction (never, if it rolls back), at once for a plain Kysely instance (its statements
 * commit as they run). Of another transaction the end is unknown: then also at once, for hooks
 * that are hints (such as waking a worker, which looks again later anyway). */
export function afterCommit<DB>(db: Kysely<DB>, hook: () => void): void {
  const hooks = commitHooks.get(db);
  if (hooks) hooks.push(hook);
  else hook();
}

/** Runs `fn` in a read-only transaction whose every statement sees one snapshot of the
 * database: REPEATABLE READ on PostgreSQL; on SQLite any transaction (in WAL mode its snapshot
 * is taken by its first read, and writers committing meanwhile do not disturb it). */
export function withReadSnapshot<DB, T>(
  db: Kysely<DB>,
  engine: Engine,
  fn: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  const trx = db.transaction();
  return (engine === 'postgres' ? trx.setIsolationLevel('repeatable read').setAccessMode('read only') : trx).execute(
    fn,
  );
}

/** The engine behind `db` (a Kysely instance or a transaction of one), for the few statements
 * written differently for each (PostgreSQL's data-modifying WITH, say). */
export function engineOf<DB>(db: Kysely<DB>): Engine {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** The column type of an auto-increment primary key on this engine. */
export function serialType(engine: Engine): 'integer' | 'serial' {
  return engine === 'postgres' ? 'serial' : 'integer';
}

/** The columns of a unique-constraint violation (either engine), or null for any other error.
 * SQLite names them in the message ("UNIQUE constraint failed: t.a, t.b"); PostgreSQL in the
 * detail ("Key (a, b)=(...) already exists."). */
export function uniqueViolation(e: unknown): string[] | null {
  const err = e as { code?: string; message?: string; detail?: string };
  if (err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const cols = /constraint failed: (.*)$/.exec(err.message ?? '')?.[1] ?? '';
    return cols
      .split(',')
      .map((c) => c.trim().split('.').pop()!)
      .filter(Boolean);
  }
  if (err?.code === '23505') {
    const cols = /Key \(([^)]*)\)/.exec(err.detail ?? '')?.[1] ?? '';
    return cols
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
  }
  return null;
}

/** Whether `e` is a foreign-key violation (either engine): a row referred to went away, or a
 * row still referred to was deleted, between a check and a write. */
export function foreignKeyViolation(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/** Whether `e` is a write that lost to a concurrent one, as the database caught it: a transient
 * conflict still there after the retries, or a constraint that a check made just before the
 * write no longer held for (a duplicate created, a referenced row deleted, meanwhile). The
 * client may try again: a 409, not a 500. */
export function isWriteConflict(e: unknown): boolean {
  return isTransientConflict(e) || uniqueViolation(e) !== null || foreignKeyViolation(e);
}

/** `column IN (ids)` with the ids as ONE bound parameter (a JSON array on SQLite, an array on
 * PostgreSQL), so the SQL text is the same whatever the number of ids: statements stay cached
 * (one prepared statement per query, not one per list length) and no engine limit on bound
 * parameters applies. One id is `column = id`: PostgreSQL plans a prepared statement with an
 * array of unknown length afresh at every run (its generic plan looks costlier), and the usual
 * list (a boot's provider, a report's host) is one long. */
export function inIds(engine: Engine, column: string, ids: number[]): RawBuilder<SqlBool> {
  if (ids.length === 1) return sql<SqlBool>`${sql.ref(column)} = ${ids[0]}`;
  return engine === 'postgres'
    ? sql<SqlBool>`${sql.ref(column)} = ANY(${ids}::integer[])`
    : sql<SqlBool>`${sql.ref(column)} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;
}

/** `column IN (texts)` with the texts as ONE bound parameter, as inIds does for ids: the
 * scheduler's lists of a thousand hosts or providers stay one cached statement. */
export function inTexts(engine: Engine, column: string, texts: string[]): RawBuilder<SqlBool> {
  if (texts.length === 1) return sql<SqlBool>`${sql.ref(column)} = ${texts[0]}`;
  return engine === 'postgres'
    ? sql<SqlBool>`${sql.ref(column)} = ANY(${texts}::text[])`
    : sql<SqlBool>`${sql.ref(column)} IN (SELECT value FROM json_each(${JSON.stringify(texts)}))`;
}

/** Runs `items` through `fn` in chunks, for IN lists that must stay under the engines'
 * bound-parameter limits. */
export async function inChunks<T, R>(items: T[], size: number, fn: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await fn(items.slice(i, i + size))));
  return out;
}
