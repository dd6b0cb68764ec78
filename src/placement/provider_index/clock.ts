// How far ahead of real time the provider index believes it is. Always zero in service; tests
// move it to age the change log past its retention period (./changes.ts) without waiting ten
// minutes. The index reads time from the host's clock only (when it last looked, when it saw
// each position of the log), so shifting that clock is all a test needs.
import { readFileSync } from 'node:fs';

/** Milliseconds to add to the current time. */
export type TimeShift = () => number;

export const REAL_TIME: TimeShift = () => 0;

/** TEST ONLY. `CONCORD_TEST_CLOCK_SHIFT_FILE` names a file holding a number of milliseconds,
 * read at every use, so that a test can move the clock of running `concord serve placement`
 * processes by rewriting it (a missing or empty file means zero). Unset: real time. */
export function testTimeShift(env: NodeJS.ProcessEnv): TimeShift {
  const file = env.CONCORD_TEST_CLOCK_SHIFT_FILE;
  if (!file) return REAL_TIME;
  return () => {
    let text = '';
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch {
      /* no file yet: no shift */
    }
    const ms = Number(text || 0);
    if (!Number.isFinite(ms)) throw new Error(`CONCORD_TEST_CLOCK_SHIFT_FILE ${file}: not a number of milliseconds`);
    return ms;
  };
}
