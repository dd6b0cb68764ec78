// Files that processes starting together on one data directory (or key repository) create once.

import { linkSync, unlinkSync, writeFileSync } from 'node:fs';

/** Creates `file` holding `content` unless it exists (then false, and the file is left alone).
 * Written aside and linked into place, so that a process that lost the race never reads the
 * winner's file half-written. */
export function createFileOnce(file: string, content: string | Buffer, mode: number): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode });
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    unlinkSync(tmp);
  }
}
