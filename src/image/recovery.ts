// Recovery of writes a crash interrupted, at start and then every lease period: an image whose
// writer is gone (uploads.ts: writerGone) goes back to queued, without data, and the data it was
// writing (partial file, staged data, a file renamed into place just before the crash) is removed;
// partial files nobody holds a lease on are removed once older than a lease. Glance leaves such
// images in saving/importing for good (a new upload is a 409) and their files on disk.
// Several processes may run this at once (shared database and directories): every reset is a
// compare-and-swap on the lease or the status, and a live writer is never touched.
import type { Image } from './context.js';
import {
  imagesInStatus,
  listUploads,
  resetAbandoned,
  resetUnleased,
  WRITING_STATUSES,
  type StoreName,
  type UploadRow,
} from './objects/upload.js';
import type { FilesystemStore } from './store/filesystem.js';
import { UPLOAD_LEASE_MS, writerGone } from './uploads.js';

function storeOf(image: Image, name: StoreName): FilesystemStore {
  return name === 'store' ? image.store : image.staging;
}

/** Removes files, logging (not throwing) what cannot be: the images are recovered either way. */
async function removeFiles(image: Image, id: string, removals: (() => Promise<void>)[]): Promise<void> {
  for (const remove of removals) {
    await remove().catch((err: unknown) =>
      image.log.warn({ err, image: id }, 'cannot remove data an interrupted write left'),
    );
  }
}

/** Removes what an interrupted write of image `id` may have left. */
async function removeLeftovers(image: Image, id: string, lease?: UploadRow): Promise<void> {
  await removeFiles(image, id, [
    ...(lease ? [() => storeOf(image, lease.store as StoreName).removePartial(lease.partial)] : []),
    () => image.staging.remove(id),
    () => image.store.remove(id),
  ]);
}

async function recoverAbandonedLeases(image: Image): Promise<void> {
  for (const row of (await listUploads(image.db)).filter((r) => writerGone(r))) {
    const was = await resetAbandoned(image.db, row);
    if (was === null) continue;
    image.log.warn(
      { image: row.image_id, status: was },
      "the writer of this image's data is gone: image back to queued",
    );
    // A deleted image keeps its other data removed already; one that is no longer being written
    // (the lease outlived the write) keeps its data.
    if (was === 'deleted' || (WRITING_STATUSES as readonly string[]).includes(was)) {
      await removeLeftovers(image, row.image_id, row);
    } else {
      await removeFiles(image, row.image_id, [() => storeOf(image, row.store as StoreName).removePartial(row.partial)]);
    }
  }
}

/** Images left writing without any lease (by a crash before leases were kept), and staged images
 * whose staged data is missing. */
async function recoverUnleased(image: Image): Promise<void> {
  const reset = [...(await resetUnleased(image.db, 'saving')), ...(await resetUnleased(image.db, 'importing'))];
  const staged = await imagesInStatus(image.db, 'uploading');
  const missing: string[] = [];
  for (const id of staged) {
    const data = await image.staging.open(id);
    if (data) await data.close();
    else missing.push(id);
  }
  if (missing.length) reset.push(...(await resetUnleased(image.db, 'uploading', missing)));
  for (const id of reset) {
    image.log.warn({ image: id }, 'image left without its data by an interrupted write: back to queued');
    await removeLeftovers(image, id);
  }
}

async function removeOrphanPartials(image: Image): Promise<void> {
  for (const name of ['store', 'staging'] as const) {
    const store = storeOf(image, name);
    // Files first, then leases: a writer takes its lease before it creates its file.
    const files = await store.partials();
    const leased = new Set((await listUploads(image.db)).filter((r) => r.store === name).map((r) => r.partial));
    for (const f of files) {
      if (!leased.has(f.name) && f.ageMs > UPLOAD_LEASE_MS)
        await removeFiles(image, f.name, [() => store.removePartial(f.name)]);
    }
  }
}

export async function recoverInterruptedWrites(image: Image): Promise<void> {
  await recoverAbandonedLeases(image);
  await recoverUnleased(image);
  await removeOrphanPartials(image);
}

/** Runs the recovery now and then every lease period until the returned function is called. */
export async function startRecovery(image: Image): Promise<() => void> {
  await recoverInterruptedWrites(image);
  const timer = setInterval(() => {
    recoverInterruptedWrites(image).catch((err: unknown) => image.log.warn({ err }, 'image write recovery failed'));
  }, UPLOAD_LEASE_MS).unref();
  return () => clearInterval(timer);
}
