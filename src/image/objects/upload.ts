// Upload leases (image_uploads): one row per image whose data is being written, inserted and
// deleted in the same transactions as the status changes that start and end the write, so that an
// image in saving, uploading (mid-stage) or importing always has its writer on record.
import type { Kysely, Selectable, Transaction } from 'kysely';
import { withTransaction } from '../../common/db/index.js';
import type { ImageDB, ImageUploadsTable } from '../db/schema.js';
import { now } from '../../common/time.js';
import { failInterruptedImport } from './import_progress.js';

type DB = Kysely<ImageDB> | Transaction<ImageDB>;
export type UploadRow = Selectable<ImageUploadsTable>;
export type StoreName = 'store' | 'staging';

/** The statuses an image has only while its data is being written. */
export const WRITING_STATUSES = ['saving', 'uploading', 'importing'] as const;

export async function insertUpload(
  trx: Transaction<ImageDB>,
  row: Omit<UploadRow, 'bytes' | 'heartbeat_at'>,
): Promise<void> {
  // Taking the image's status was the lock: a row still there is a dead writer's, recovered later.
  await trx.deleteFrom('image_uploads').where('image_id', '=', row.image_id).execute();
  await trx
    .insertInto('image_uploads')
    .values({ ...row, bytes: 0, heartbeat_at: now() })
    .execute();
}

export async function deleteUpload(db: DB, imageId: string, writer: string): Promise<void> {
  await db.deleteFrom('image_uploads').where('image_id', '=', imageId).where('writer', '=', writer).execute();
}

/** The writer is alive and has written `bytes` so far. */
export async function heartbeat(db: Kysely<ImageDB>, imageId: string, writer: string, bytes: number): Promise<void> {
  await db
    .updateTable('image_uploads')
    .set({ bytes, heartbeat_at: now() })
    .where('image_id', '=', imageId)
    .where('writer', '=', writer)
    .execute();
}

export async function findUpload(db: DB, imageId: string): Promise<UploadRow | undefined> {
  return db.selectFrom('image_uploads').selectAll().where('image_id', '=', imageId).executeTakeFirst();
}

export async function listUploads(db: DB): Promise<UploadRow[]> {
  return db.selectFrom('image_uploads').selectAll().execute();
}

/** What an image is reset to when its write was interrupted: queued, without data. */
const NO_DATA = {
  status: 'queued',
  size: null,
  virtual_size: null,
  checksum: null,
  os_hash_algo: null,
  os_hash_value: null,
} as const;

/** Resets the image of a dead writer's lease to queued (if it is still being written) and drops
 * the lease; the status it was in, or null when the lease was already gone. */
export async function resetAbandoned(db: Kysely<ImageDB>, row: UploadRow): Promise<string | null> {
  return withTransaction(db, async (trx) => {
    const gone = await trx
      .deleteFrom('image_uploads')
      .where('image_id', '=', row.image_id)
      .where('writer', '=', row.writer)
      .executeTakeFirst();
    if (Number(gone.numDeletedRows) !== 1) return null;
    const image = await trx
      .selectFrom('images')
      .select('status')
      .where('id', '=', row.image_id)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (!image || !(WRITING_STATUSES as readonly string[]).includes(image.status)) return image?.status ?? 'deleted';
    await trx
      .updateTable('images')
      .set({ ...NO_DATA, updated_at: now() })
      .where('id', '=', row.image_id)
      .where('status', '=', image.status)
      .execute();
    if (image.status === 'importing') await failInterruptedImport(trx, row.image_id);
    return image.status;
  });
}

/** Images in `status` that no writer has a lease on (left so by a crash before leases were kept,
 * or, for 'uploading', staged data gone missing): reset to queued if still so; their ids. */
export async function resetUnleased(db: Kysely<ImageDB>, status: string, ids?: string[]): Promise<string[]> {
  return withTransaction(db, async (trx) => {
    let q = trx
      .selectFrom('images as i')
      .select('i.id')
      .where('i.status', '=', status)
      .where('i.deleted', '=', 0)
      .where((eb) =>
        eb.not(eb.exists(eb.selectFrom('image_uploads as u').select('u.image_id').whereRef('u.image_id', '=', 'i.id'))),
      );
    if (ids) q = q.where('i.id', 'in', ids);
    const found = (await q.execute()).map((r) => r.id);
    if (!found.length) return [];
    await trx
      .updateTable('images')
      .set({ ...NO_DATA, updated_at: now() })
      .where('id', 'in', found)
      .where('status', '=', status)
      .execute();
    if (status === 'importing') for (const id of found) await failInterruptedImport(trx, id);
    return found;
  });
}

export async function imagesInStatus(db: DB, status: string): Promise<string[]> {
  return (
    await db.selectFrom('images').select('id').where('status', '=', status).where('deleted', '=', 0).execute()
  ).map((r) => r.id);
}
