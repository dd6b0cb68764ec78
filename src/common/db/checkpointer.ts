// WAL checkpoints on a thread of their own. SQLite copies its write-ahead log back into the
// database file (and syncs both) every 1,000 pages, inside whichever commit crossed the mark:
// that commit, and the event loop with it, waits for the copy and two fsyncs. Here each process's
// SQLite connections are told not to (wal_autocheckpoint = 0), and one worker thread with
// connections of its own checkpoints their files instead, PASSIVE (never waiting for readers or
// writers), whenever a log has grown past the same mark. The commits of the event loop then only
// append to the log; the copy and the syncs use the machine's other cores.
//
// If the thread fails, the connections checkpoint for themselves again.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

/** Checkpoints once a log has grown past this (SQLite's own default mark: 1,000 pages of 4 KiB). */
const WAL_BYTES = 4_096_000;
/** How often the thread looks at the logs. */
const INTERVAL_MS = 50;

// The thread's code, evaluated (not a file of its own: the same code runs from dist/ and from
// the TypeScript sources under test).
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.betterSqlite3);
const open = new Map();
parentPort.on('message', (m) => {
  if (m.add) {
    const c = new Database(m.add);
    c.pragma('busy_timeout = 0');
    open.set(m.add, c);
  } else if (m.remove) {
    open.get(m.remove)?.close();
    open.delete(m.remove);
  }
});
setInterval(() => {
  for (const [file, c] of open) {
    let size = 0;
    try { size = statSync(file + '-wal').size; } catch { continue; }
    if (size < workerData.walBytes) continue;
    try { c.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or closing: next time */ }
  }
}, workerData.intervalMs);
`;

let worker: Worker | undefined;
const connections = new Map<string, Set<SQLite.Database>>();

/** The connections' own checkpoints again, when the thread is gone. */
function fallBack(): void {
  worker = undefined;
  for (const set of connections.values()) {
    for (const c of set) {
      try {
        c.pragma('wal_autocheckpoint = 1000');
      } catch {
        /* closed meanwhile */
      }
    }
  }
  connections.clear();
}

function thread(): Worker {
  if (worker) return worker;
  const w = new Worker(THREAD, {
    eval: true,
    workerData: {
      betterSqlite3: createRequire(import.meta.url).resolve('better-sqlite3'),
      walBytes: WAL_BYTES,
      intervalMs: INTERVAL_MS,
    },
  });
  // The process ends when its work does, whatever this thread is doing.
  w.unref();
  w.on('error', fallBack);
  w.on('exit', () => {
    if (worker === w) fallBack();
  });
  worker = w;
  return w;
}

/** Has the checkpointing thread checkpoint `file`, which `connection` writes to; the returned
 * function (called before the connection closes) ends that. */
export function checkpointInBackground(file: string, connection: SQLite.Database): () => void {
  connection.pragma('wal_autocheckpoint = 0');
  let set = connections.get(file);
  if (!set) {
    set = new Set();
    connections.set(file, set);
    thread().postMessage({ add: file });
  }
  set.add(connection);
  return () => {
    const s = connections.get(file);
    if (!s?.delete(connection) || s.size) return;
    connections.delete(file);
    worker?.postMessage({ remove: file });
    if (!connections.size && worker) {
      const w = worker;
      worker = undefined;
      void w.terminate();
    }
  };
}
