// Image data on a filesystem, as glance_store's "file" driver keeps it: one file per image, named
// by its id, in [glance_store] filesystem_store_datadir. Data is streamed through (hashing and
// counting as it goes), never held in memory, and lands under its final name only once complete,
// so a reader never sees half an image and a failed upload leaves nothing behind. (A process killed
// mid-upload leaves its partial file: the upload lease names it, see uploads.ts and recovery.ts.)
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ensurePrivateDir } from '../../common/private_files.js';

export interface StoredData {
  size: number;
  md5: string;
  sha512: string;
  /** The first bytes, enough to read a disk image's header. */
  head: Buffer;
}

export interface OpenedData {
  size: number;
  /** Bytes start..end, inclusive; the file is closed once the stream ends or is destroyed. */
  stream(start: number, end: number): Readable;
  /** Closes the file when no stream is taken. */
  close(): Promise<void>;
}

const HEAD_BYTES = 512;
const PARTIAL_NAME = /^\.[0-9a-fA-F-]{36}\.[0-9a-f-]{36}\.partial$/;

export interface WriteOptions {
  /** The partial file to write to (from partialName), when the caller must know it beforehand. */
  partial?: string;
  /** Told the bytes received so far, as they arrive. */
  progress?: (bytes: number) => void;
}

async function unlinkIfThere(path: string): Promise<void> {
  await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

/** Thrown when the data grows beyond the limit given to `write`. */
export class DataTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
  }
}

/** The data stream itself failed (the client hung up, or sent less than it announced). */
export class DataStreamError extends Error {}

/** Hashes and counts what flows through, and fails as soon as it exceeds `limit` bytes. */
class Meter extends Transform {
  size = 0;
  readonly md5 = createHash('md5');
  readonly sha512 = createHash('sha512');
  private readonly heads: Buffer[] = [];
  private headLength = 0;

  constructor(
    private readonly limit: number,
    private readonly progress?: (bytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void) {
    this.size += chunk.length;
    if (this.size > this.limit) return done(new DataTooLarge(this.limit));
    this.progress?.(this.size);
    this.md5.update(chunk);
    this.sha512.update(chunk);
    if (this.headLength < HEAD_BYTES) {
      this.heads.push(chunk.subarray(0, HEAD_BYTES - this.headLength));
      this.headLength += Math.min(chunk.length, HEAD_BYTES - this.headLength);
    }
    done(null, chunk);
  }

  get head(): Buffer {
    return Buffer.concat(this.heads);
  }
}

export class FilesystemStore {
  /** Image data is private to the image service: the directory 0700, each file 0600. */
  constructor(readonly dir: string) {
    ensurePrivateDir(dir);
  }

  /** Where an image's data lives. Image ids are UUIDs (checked on create), safe as file names. */
  path(id: string): string {
    return join(this.dir, id);
  }

  /** A fresh name for the file an upload of image `id` is written to until it is complete. */
  partialName(id: string): string {
    return `.${id}.${randomUUID()}.partial`;
  }

  /** Streams `source` into the image's file; rejects (and keeps nothing) on error or beyond `limit`.
   * The source is left undestroyed on failure: when it is a request, the caller still answers it. */
  async write(id: string, source: Readable, limit: number, opts: WriteOptions = {}): Promise<StoredData> {
    const partial = join(this.dir, opts.partial ?? this.partialName(id));
    const meter = new Meter(limit, opts.progress);
    const written = pipeline(meter, createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
    source.once('error', (e) => meter.destroy(new DataStreamError(e.message, { cause: e })));
    source.once('close', () => {
      if (!source.readableEnded) meter.destroy(new DataStreamError('the data stream ended early'));
    });
    source.pipe(meter);
    try {
      await written;
      await rename(partial, this.path(id));
    } catch (e) {
      await unlink(partial).catch(() => undefined);
      throw e;
    }
    return { size: meter.size, md5: meter.md5.digest('hex'), sha512: meter.sha512.digest('hex'), head: meter.head };
  }

  /** The image's data, opened (so that it stays readable if the image is deleted meanwhile), or
   * null when there is none. */
  async open(id: string): Promise<OpenedData | null> {
    let fh;
    try {
      fh = await open(this.path(id), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const { size } = await fh.stat();
    return {
      size,
      stream: (start, end) => {
        if (end >= start) return fh.createReadStream({ start, end });
        void fh.close();
        return Readable.from([]);
      },
      close: () => fh.close(),
    };
  }

  async remove(id: string): Promise<void> {
    await unlinkIfThere(this.path(id));
  }

  /** The partial files in the directory with their age in milliseconds. */
  async partials(): Promise<{ name: string; ageMs: number }[]> {
    const names = (await readdir(this.dir)).filter((n) => PARTIAL_NAME.test(n));
    const now = Date.now();
    const found = await Promise.all(
      names.map(async (name) => {
        const st = await stat(join(this.dir, name)).catch(() => null);
        return st ? { name, ageMs: now - st.mtimeMs } : null;
      }),
    );
    return found.filter((f) => f !== null);
  }

  /** Removes a partial file (a name from partialName or partials; anything else is refused). */
  async removePartial(name: string): Promise<void> {
    if (!PARTIAL_NAME.test(name)) throw new Error(`not a partial file name: ${name}`);
    await unlinkIfThere(join(this.dir, name));
  }
}
