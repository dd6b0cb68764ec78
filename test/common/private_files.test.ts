// State is private to its owner: data directories 0700, databases (with -wal/-shm) and image data
// 0600, and an older data directory that was open to others is closed at start.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ensurePrivateDir } from '../../src/common/private_files.js';
import { openDatabase } from '../../src/common/db/index.js';
import { FilesystemStore } from '../../src/image/store/filesystem.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'concord-private-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const mode = (p: string) => statSync(p).mode & 0o777;

describe('ensurePrivateDir', () => {
  it('creates a missing directory, and its missing parents, readable by the owner only', () => {
    const dir = join(tmp(), 'a', 'data');
    expect(ensurePrivateDir(dir)).toBe(false);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, '..'))).toBe(0o700);
  });

  it('closes a directory open to others, with everything in it, but not what links point at', () => {
    const root = tmp();
    const outside = join(root, 'outside.txt');
    writeFileSync(outside, 'not ours', { mode: 0o644 });
    const dir = join(root, 'data');
    mkdirSync(join(dir, 'images'), { recursive: true });
    writeFileSync(join(dir, 'identity.sqlite'), '', { mode: 0o644 });
    writeFileSync(join(dir, 'images', 'x'), '', { mode: 0o664 });
    symlinkSync(outside, join(dir, 'link'));
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'images'), 0o775);
    expect(ensurePrivateDir(dir)).toBe(true);
    expect([mode(dir), mode(join(dir, 'images'))]).toEqual([0o700, 0o700]);
    expect([mode(join(dir, 'identity.sqlite')), mode(join(dir, 'images', 'x'))]).toEqual([0o600, 0o600]);
    expect(mode(outside)).toBe(0o644);
    // Private already: nothing to do.
    expect(ensurePrivateDir(dir)).toBe(false);
  });
});

describe('SQLite databases', () => {
  it('are created private, and their -wal and -shm files with them', async () => {
    const file = join(tmp(), 'identity.sqlite');
    const { db, close } = openDatabase<{ t: { a: number } }>(file);
    await db.schema.createTable('t').addColumn('a', 'integer').execute();
    await db.insertInto('t').values({ a: 1 }).execute();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect([f, mode(f)]).toEqual([f, 0o600]);
    await close();
  });

  it('made private when an older start left them readable', async () => {
    const file = join(tmp(), 'placement.sqlite');
    await openDatabase(file).close();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      writeFileSync(f, '', { flag: 'a' });
      chmodSync(f, 0o644);
    }
    const again = openDatabase(file);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect([f, mode(f)]).toEqual([f, 0o600]);
    await again.close();
  });
});

describe('image data', () => {
  it('is stored in a private directory, one private file per image', async () => {
    const dir = join(tmp(), 'images');
    const store = new FilesystemStore(dir);
    await store.write('5f1c8d4e-0000-4000-8000-000000000001', Readable.from([Buffer.from('disk')]), 100);
    expect(mode(dir)).toBe(0o700);
    expect(mode(store.path('5f1c8d4e-0000-4000-8000-000000000001'))).toBe(0o600);
  });
});
