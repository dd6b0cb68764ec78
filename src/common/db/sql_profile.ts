// An opt-in statement profile for the benchmarks (CONCORD_SQL_PROFILE=FILE): every SQLite
// statement's run time summed per SQL text, written to FILE, slowest total first, when the
// process exits. Off, it costs nothing: statements are not wrapped.
import { writeFileSync } from 'node:fs';
import type SQLite from 'better-sqlite3';

const totals = new Map<string, { ms: number; n: number }>();
let file: string | undefined;

function report(): void {
  const lines = [...totals]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([text, t]) =>
      [
        `${t.ms.toFixed(0).padStart(8)} ms`,
        `${String(t.n).padStart(8)}x`,
        (t.ms / t.n).toFixed(3).padStart(8),
        ` ${text.replace(/\s+/g, ' ').slice(0, 180)}`,
      ].join(' '),
    );
  writeFileSync(file!, lines.join('\n') + '\n');
}

/** Whether statements are to be profiled (CONCORD_SQL_PROFILE names the report file). */
export function sqlProfiling(): boolean {
  if (file !== undefined) return true;
  const target = process.env.CONCORD_SQL_PROFILE;
  if (!target) return false;
  file = target;
  process.on('exit', report);
  return true;
}

/** `stmt`, its runs timed under `text`. */
export function profiled(stmt: SQLite.Statement, text: string): SQLite.Statement {
  return new Proxy(stmt, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const fn = (value as (...args: unknown[]) => unknown).bind(target);
      if (prop !== 'all' && prop !== 'run' && prop !== 'get') return fn;
      return (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return fn(...args);
        } finally {
          const t = totals.get(text) ?? { ms: 0, n: 0 };
          t.ms += performance.now() - t0;
          t.n++;
          totals.set(text, t);
        }
      };
    },
  });
}
