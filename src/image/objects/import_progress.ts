// An import's progress as Glance shows it on the image, in two reserved properties listing store
// ids: os_glance_importing_to_stores (being imported to) and os_glance_failed_import (failed).
import type { Transaction } from 'kysely';
import type { ImageDB } from '../db/schema.js';
import type { ImageRecord } from './image.js';

export const IMPORTING = 'os_glance_importing_to_stores';
export const FAILED = 'os_glance_failed_import';

function merge(current: string | null | undefined, stores: string[], remove: boolean): string {
  const set = new Set((current ?? '').split(',').filter(Boolean));
  for (const s of stores) {
    if (remove) set.delete(s);
    else set.add(s);
  }
  return [...set].sort().join(',');
}

function withProgress(rec: ImageRecord, importing: string, failed: string): ImageRecord {
  return {
    ...rec,
    properties: Object.assign(Object.create(null) as Record<string, string | null>, rec.properties, {
      [IMPORTING]: importing,
      [FAILED]: failed,
    }),
  };
}

/** The image as an import to `stores` starts: importing to them, no longer failed on them. */
export function importStarted(rec: ImageRecord, stores: string[]): ImageRecord {
  return withProgress(
    rec,
    merge(rec.properties[IMPORTING], stores, false),
    merge(rec.properties[FAILED], stores, true),
  );
}

/** The image once the import to `stores` is over, `failed` or not. */
export function importEnded(rec: ImageRecord, stores: string[], failed: boolean): ImageRecord {
  return withProgress(
    rec,
    merge(rec.properties[IMPORTING], stores, true),
    failed ? merge(rec.properties[FAILED], stores, false) : (rec.properties[FAILED] ?? ''),
  );
}

/** An import a crash interrupted: the stores it was importing to are marked failed. */
export async function failInterruptedImport(trx: Transaction<ImageDB>, imageId: string): Promise<void> {
  const rows = await trx
    .selectFrom('image_properties')
    .select(['name', 'value'])
    .where('image_id', '=', imageId)
    .where('name', 'in', [IMPORTING, FAILED])
    .execute();
  const importing = rows.find((r) => r.name === IMPORTING)?.value ?? '';
  if (!importing) return;
  const failed = merge(rows.find((r) => r.name === FAILED)?.value, importing.split(','), false);
  await trx
    .updateTable('image_properties')
    .set({ value: '' })
    .where('image_id', '=', imageId)
    .where('name', '=', IMPORTING)
    .execute();
  await trx.deleteFrom('image_properties').where('image_id', '=', imageId).where('name', '=', FAILED).execute();
  await trx.insertInto('image_properties').values({ image_id: imageId, name: FAILED, value: failed }).execute();
}
