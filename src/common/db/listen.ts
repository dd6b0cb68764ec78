// PostgreSQL LISTEN/NOTIFY: a process learns at once that another committed something it waits
// for (a job enqueued), rather than at its next poll. A hint only: listeners still poll, since a
// notification sent while the connection was down is lost.
import pg from 'pg';

/** Calls `onNotify` with the payload of each notification on `channel` until the returned
 * function is called. */
export type Listen = (channel: string, onNotify: (payload: string) => void) => () => Promise<void>;

const RECONNECT_MS = 1000;

/** Listens on a connection of its own (a pooled one would be handed to other queries), made
 * again after a failure; a reconnection notifies with an empty payload, for whatever was missed. */
export function pgListen(connectionString: string): Listen {
  return (channel, onNotify) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
    let client: pg.Client | undefined;
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const again = () => {
      client = undefined;
      if (!closed && !timer)
        timer = setTimeout(() => {
          timer = undefined;
          void connect();
        }, RECONNECT_MS);
    };
    const connect = async () => {
      const c = new pg.Client({ connectionString });
      c.on('notification', (m) => {
        if (m.channel === channel) onNotify(m.payload ?? '');
      });
      c.on('error', () => {
        void c.end().catch(() => undefined);
        again();
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${channel}`);
      } catch {
        void c.end().catch(() => undefined);
        again();
        return;
      }
      if (closed) {
        await c.end().catch(() => undefined);
        return;
      }
      client = c;
      onNotify('');
    };
    void connect();
    return async () => {
      closed = true;
      clearTimeout(timer);
      await client?.end().catch(() => undefined);
    };
  };
}

/** The part of a better-sqlite3 connection the commit watcher uses. */
interface DataVersionSource {
  pragma(source: string, options: { simple: true }): unknown;
}

/** SQLite has no notifications: a process that waits for what other processes commit (a compute
 * agent of its own, beside `concord up`) looks at `PRAGMA data_version` every `intervalMs`, which
 * changes whenever another connection commits and costs no read of the database. Each change is
 * one notification with an empty payload, on every channel: it says that something was
 * committed, not what. */
export function sqliteCommitWatch(connection: DataVersionSource, intervalMs: number): Listen {
  return (_channel, onNotify) => {
    let seen = connection.pragma('data_version', { simple: true });
    const timer = setInterval(() => {
      let now: unknown;
      try {
        now = connection.pragma('data_version', { simple: true });
      } catch {
        return; // closed under the timer: the unlisten that follows ends it
      }
      if (now !== seen) {
        seen = now;
        onNotify('');
      }
    }, intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
    };
  };
}
