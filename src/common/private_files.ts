// Where concord keeps state (the data directory, SQLite databases, image data) is readable by its
// owner only: the identity database holds password hashes, the image store other projects' data.
// Directories are 0700 and files 0600 from the moment they are created; a directory found open to
// others (made by an older concord, or by hand) is closed again with everything in it.
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const OTHERS = 0o077;

/** Removes group and other permissions from `path`; true when there were any. */
function closeToOthers(path: string, mode: number): boolean {
  if ((mode & OTHERS) === 0) return false;
  chmodSync(path, mode & 0o7700 & ~OTHERS);
  return true;
}

/** Closes a whole tree to others. Symbolic links are not followed: what they point at is not ours. */
function closeTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    closeToOthers(path, lstatSync(path).mode);
    if (entry.isDirectory()) closeTree(path);
  }
}

/**
 * Creates `dir` (and missing parents) private, or makes an existing one private. When the directory
 * was open to others, everything under it is closed too (a one-time walk: a private directory is
 * trusted to hold only what concord created private). Returns true when permissions were changed.
 */
export function ensurePrivateDir(dir: string): boolean {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return false;
  }
  if (!closeToOthers(dir, statSync(dir).mode)) return false;
  closeTree(dir);
  return true;
}

/** Creates `file` empty and private when missing, else makes it private; likewise the companion
 * files given (a SQLite database's -wal and -shm, which SQLite creates with the database's mode). */
export function ensurePrivateFile(file: string, companions: string[] = []): void {
  if (existsSync(file)) closeToOthers(file, statSync(file).mode);
  else closeSync(openSync(file, 'a', 0o600));
  for (const c of companions) if (existsSync(c)) closeToOthers(c, statSync(c).mode);
}
