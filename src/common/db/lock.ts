// A lock between processes that share a database, for work that must not run twice at once when
// several processes start together (migrations, seed data, identity's bootstrap). It is held on a
// connection of its own, so the work itself uses the ordinary pool and its transactions, and it
// goes away with the process that held it (a crashed holder blocks nobody).
import { createHash } from 'node:crypto';
import SQLite from 'better-sqlite3';
import type pg from 'pg';
import { ensurePrivateFile } from '../private_files.js';

/** Runs `fn` while holding the lock named `name`; not reentrant (a holder asking again waits
 * for itself). */
export type Exclusive = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

/** PostgreSQL: a session-level advisory lock, on a key derived from the name, so that services
 * sharing one database lock independently. The server queues the waiters. */
export function advisoryLock(pool: pg.Pool): Exclusive {
  return async (name, fn) => {
    const key = createHash('sha256').update(`concord:${name}`).digest().readBigInt64BE(0).toString();
    const client = await pool.connect();
    let locked = false;
    try {
      await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
      locked = true;
      return await fn();
    } finally {
      // A failed unlock means a broken connection, whose end released the lock anyway.
      if (locked) await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
      client.release(!locked);
    }
  };
}

/** SQLite: an exclusive transaction on a companion file (`FILE.lock`), since a lock on the
 * database itself would shut out the work's own writes. The operating system drops it when the
 * holder exits. Waiting is a loop of non-blocking attempts: better-sqlite3's busy wait would
 * stall this process's event loop (and the other services starting in it). */
export function fileLock(databaseFile: string): Exclusive {
  return async (_name, fn) => {
    const file = `${databaseFile}.lock`;
    // Private like the database beside it.
    ensurePrivateFile(file, [`${file}-journal`]);
    const lock = new SQLite(file);
    try {
      lock.pragma('busy_timeout = 0');
      for (;;) {
        try {
          lock.exec('BEGIN EXCLUSIVE');
          break;
        } catch (e) {
          if (!String((e as { code?: unknown }).code).startsWith('SQLITE_BUSY')) throw e;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      return await fn();
    } finally {
      lock.close();
    }
  };
}
