// Group commit for SQLite. A commit in WAL mode writes every page the transaction touched to the
// log and updates the log's index: 0.2–0.4 ms here, more than the small statements of a typical
// transaction cost together (a server boot committed about ten times, a third of its SQLite time).
// Transactions of one process run one after the other on its one connection anyway; so each runs
// as a savepoint inside a longer physical transaction, which commits once the process has no
// transaction running, at the end of the event loop's turn (or after MAX_BATCH of them).
//
// What a transaction committed is visible to this process at once, to other processes once the
// batch commits. withTransaction waits for that physical commit before it returns (and before
// its after-commit hooks run), so an answer never tells of a write a crash could still lose.
// Statements outside transactions that arrive while a batch is open join it.
//
// Only writes are grouped: a batch that has not written when its transaction ends is ended at
// once. A batch that wrote holds the database's write lock, so no other process commits while
// it is open and what it reads is current; a batch that only read would keep an old snapshot for
// the transactions after it, which must see what other processes committed before they began.
// A transaction that rolls back ends the batch too: it may have failed because another process
// committed after the batch's snapshot was taken (SQLITE_BUSY_SNAPSHOT), and its retry must start
// from a fresh one.
import type SQLite from 'better-sqlite3';
import { SqliteDialect, SqliteDriver, type DatabaseConnection, type SqliteDialectConfig } from 'kysely';

/** Statements that only read: a WITH that ends in a write is a write. */
const READ = /^\s*(select|pragma|explain|with\b(?![\s\S]*\b(insert|update|delete|replace)\b))/i;

/** Transactions one batch holds at most. */
const MAX_BATCH = 200;
const SAVEPOINT = 'concord_tx';

type Waiter = { resolve: () => void; reject: (e: unknown) => void };

export class GroupCommit {
  /** A physical transaction is open. */
  private open = false;
  /** A transaction (savepoint) of the batch is running. */
  private inTransaction = false;
  /** The batch has written (and so holds the write lock). */
  private wrote = false;
  private size = 0;
  private scheduled = false;
  private waiters: Waiter[] = [];
  /** Physical commits so far (each ends a batch of one or more transactions). */
  commits = 0;

  /** `sqlite`: the connection (statement-caching) Kysely uses. */
  constructor(private readonly sqlite: SQLite.Database) {}

  private run(sql: string): void {
    this.sqlite.prepare(sql).run();
  }

  begin(): void {
    // A full batch commits before the next transaction starts (not in the commit that filled it,
    // whose caller would not hear if that failed).
    if (this.size >= MAX_BATCH) this.flush();
    if (!this.open) {
      this.run('BEGIN');
      this.open = true;
      this.wrote = false;
    }
    this.run(`SAVEPOINT ${SAVEPOINT}`);
    this.inTransaction = true;
  }

  commit(): void {
    this.run(`RELEASE ${SAVEPOINT}`);
    this.inTransaction = false;
    this.size++;
    if (this.wrote) this.schedule();
    else this.flush();
  }

  /** `sql` is about to run: a write in an open batch makes it a writing one. Looked at only while
   * a batch is open (every statement passes here). */
  noteStatement(sql: string): void {
    if (this.open && !this.wrote && !READ.test(sql)) this.wrote = true;
  }

  rollback(): void {
    this.inTransaction = false;
    // Some errors (a full disk, I/O) make SQLite roll the whole transaction back by itself:
    // then there is no savepoint to go back to, and the flush tells the batch's waiters.
    if (this.sqlite.inTransaction) {
      this.run(`ROLLBACK TO ${SAVEPOINT}`);
      this.run(`RELEASE ${SAVEPOINT}`);
    }
    this.flush();
  }

  /** Resolves once what this process has committed so far is committed physically. */
  durable(): Promise<void> {
    if (!this.open) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Commits the batch, unless a transaction of it is still running (its commit schedules
   * another flush). */
  flush(): void {
    if (!this.open || this.inTransaction) return;
    const waiters = this.waiters;
    this.waiters = [];
    this.open = false;
    this.size = 0;
    try {
      if (!this.sqlite.inTransaction) throw new Error('SQLite rolled back a batch of transactions after an error');
      this.run('COMMIT');
      this.commits++;
    } catch (err) {
      // The batch is lost (a full disk, an I/O error): the transactions waiting in
      // withTransaction hear of it and retry, or fail.
      if (this.sqlite.inTransaction) {
        try {
          this.run('ROLLBACK');
        } catch {
          /* the connection rolled back by itself */
        }
      }
      for (const w of waiters) w.reject(err);
      return;
    }
    for (const w of waiters) w.resolve();
  }
}

/** Kysely's SQLite dialect with group commit: its transactions are a GroupCommit's. */
export class GroupCommitDialect extends SqliteDialect {
  constructor(
    private readonly driverConfig: SqliteDialectConfig,
    private readonly group: GroupCommit,
  ) {
    super(driverConfig);
  }

  override createDriver(): SqliteDriver {
    return new GroupCommitDriver(this.driverConfig, this.group);
  }
}

class GroupCommitDriver extends SqliteDriver {
  constructor(
    config: SqliteDialectConfig,
    private readonly group: GroupCommit,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    const group = this.group;
    return {
      executeQuery(query) {
        group.noteStatement(query.sql);
        return connection.executeQuery(query);
      },
      streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
    };
  }

  override async beginTransaction(): Promise<void> {
    this.group.begin();
  }

  override async commitTransaction(): Promise<void> {
    this.group.commit();
  }

  override async rollbackTransaction(): Promise<void> {
    this.group.rollback();
  }

  override async destroy(): Promise<void> {
    this.group.flush();
    await super.destroy();
  }
}
