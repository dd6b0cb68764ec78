// Writing an image's data under a lease: the status change that starts the write (to saving,
// uploading or importing) records this process as the writer and the partial file it writes, a
// heartbeat says how far it got (what the owner's quota counts meanwhile) and that it is alive, and
// the status change that ends it drops the lease. A lease whose writer died is what recovery.ts
// looks for; deleting an image removes the partial file its lease names.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Image } from './context.js';
import { restoreImage, saveImage, type ImageRecord } from './objects/image.js';
import { deleteUpload, findUpload, heartbeat, insertUpload, type StoreName, type UploadRow } from './objects/upload.js';
import type { FilesystemStore, WriteOptions } from './store/filesystem.js';

/** How often a writer renews its lease, and how long a lease lasts without renewal. */
export const UPLOAD_HEARTBEAT_MS = 2000;
export const UPLOAD_LEASE_MS = 30000;

/** This machine, as writer ids name it: the host name and, where Linux says, the boot (a pid only
 * means something on the machine, and boot, that gave it). */
function machine(): string {
  let boot = '';
  try {
    boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // Not Linux: the host name alone.
  }
  return boot ? `${hostname()}/${boot}` : hostname();
}

export const THIS_MACHINE = machine();

/** This process as a writer: machine, pid, and a random part (a later process may get the pid). */
export const WRITER_ID = `${THIS_MACHINE}|${process.pid}|${randomUUID()}`;

/** Whether a lease's writer is certainly gone: a process of this machine that no longer runs (or
 * whose pid this process now has), or any writer that stopped renewing its lease. */
export function writerGone(row: UploadRow, nowMs = Date.now()): boolean {
  if (row.writer === WRITER_ID) return false;
  if (nowMs - Date.parse(row.heartbeat_at) > UPLOAD_LEASE_MS) return true;
  const [where, pid] = row.writer.split('|');
  if (where !== THIS_MACHINE) return false;
  if (Number(pid) === process.pid) return true;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function storeOf(image: Image, name: StoreName): FilesystemStore {
  return name === 'store' ? image.store : image.staging;
}

export class UploadLease {
  private bytes = 0;
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly image: Image,
    readonly record: ImageRecord,
    readonly partial: string,
    private readonly storeName: StoreName,
  ) {}

  /** Moves the image from `before` to `writing` (its status is the lock: false when another write
   * or a deletion got there first) and takes the lease. */
  static async begin(
    image: Image,
    before: ImageRecord,
    writing: ImageRecord,
    storeName: StoreName,
  ): Promise<UploadLease | null> {
    const store = storeOf(image, storeName);
    const partial = store.partialName(before.id);
    const taken = await saveImage(image.db, before, writing, before.status, (trx) =>
      insertUpload(trx, {
        image_id: before.id,
        store: storeName,
        partial,
        writer: WRITER_ID,
      }),
    );
    if (!taken) return null;
    const lease = new UploadLease(image, writing, partial, storeName);
    lease.timer = setInterval(() => {
      heartbeat(image.db, before.id, WRITER_ID, lease.bytes).catch((err: unknown) => {
        image.log.warn({ err, image: before.id }, 'upload heartbeat failed');
      });
    }, UPLOAD_HEARTBEAT_MS).unref();
    return lease;
  }

  /** Where and how the store writes this upload's data. */
  get writeOptions(): WriteOptions {
    return {
      partial: this.partial,
      progress: (n) => {
        this.bytes = n;
      },
    };
  }

  get store(): FilesystemStore {
    return storeOf(this.image, this.storeName);
  }

  /** The write is complete: the image becomes `after` (false when it was deleted meanwhile). */
  async finish(after: ImageRecord): Promise<boolean> {
    this.stop();
    const saved = await saveImage(this.image.db, this.record, after, this.record.status, (trx) =>
      deleteUpload(trx, this.record.id, WRITER_ID),
    );
    if (!saved) await deleteUpload(this.image.db, this.record.id, WRITER_ID);
    return saved;
  }

  /** The write failed: the image goes back to `original` (false when it was deleted meanwhile). */
  async abort(original: ImageRecord): Promise<boolean> {
    this.stop();
    const restored = await restoreImage(this.image.db, this.record, original, this.record.status, (trx) =>
      deleteUpload(trx, this.record.id, WRITER_ID),
    );
    if (!restored) await deleteUpload(this.image.db, this.record.id, WRITER_ID);
    return restored;
  }

  private stop(): void {
    clearInterval(this.timer);
  }
}

/** Removes the partial data of an upload to image `id` in progress, if any (the image is being
 * deleted: its writer then fails, and its lease goes with it). */
export async function removePartialData(image: Image, id: string): Promise<void> {
  const row = await findUpload(image.db, id);
  if (row) await storeOf(image, row.store as StoreName).removePartial(row.partial);
}
