// Images as records: loading (with their properties and tags), creating, saving only what changed,
// deleting, and the status machine Glance enforces (glance/domain: Image.status).
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { executeTogether, inChunks, withTransaction } from '../../common/db/index.js';
import { now } from '../../common/time.js';
import type { ImageDB, ImagesTable } from '../db/schema.js';
import { Conflict, Invalid } from '../exceptions.js';

type DB = Kysely<ImageDB> | Transaction<ImageDB>;

/** An image as the domain sees it: the row's attributes, booleans as booleans, with its extra
 * properties and tags. */
export type ImageRecord = Omit<ImagesTable, 'protected' | 'os_hidden' | 'deleted' | 'deleted_at'> & {
  protected: boolean;
  os_hidden: boolean;
  properties: Record<string, string | null>;
  tags: string[];
};

/** The attributes a client may set directly (the rest of Glance's base properties are read-only). */
export const WRITABLE_ATTRIBUTES = [
  'name',
  'visibility',
  'protected',
  'os_hidden',
  'owner',
  'min_ram',
  'min_disk',
  'disk_format',
  'container_format',
  'tags',
] as const;
export type WritableAttribute = (typeof WRITABLE_ATTRIBUTES)[number];

/** Which status may follow which (Glance's Image._valid_transitions). */
const TRANSITIONS: Record<string, string[]> = {
  queued: ['saving', 'uploading', 'importing', 'active', 'deleted'],
  saving: ['active', 'killed', 'deleted', 'queued'],
  uploading: ['importing', 'queued', 'deleted'],
  importing: ['active', 'deleted', 'queued'],
  active: ['pending_delete', 'deleted', 'deactivated'],
  killed: ['deleted'],
  pending_delete: ['deleted'],
  deleted: [],
  deactivated: ['active', 'deleted'],
};

/** Checks that `image` may move to status `to` (409 otherwise), and that data can be saved for it. */
export function checkTransition(image: ImageRecord, to: string): void {
  if (!TRANSITIONS[image.status]?.includes(to)) {
    throw new Conflict(`Image status transition from ${image.status} to ${to} is not allowed`);
  }
  if (['queued', 'uploading'].includes(image.status) && ['saving', 'active', 'importing'].includes(to)) {
    const missing = (['disk_format', 'container_format'] as const).filter((k) => !image[k]);
    if (missing.length === 1) throw new Invalid(`Property ${missing[0]} must be set prior to saving data.`);
    if (missing.length > 1) throw new Invalid(`Properties ${missing.join(', ')} must be set prior to saving data.`);
  }
}

/** Glance's timestamps: ISO 8601 to the second, in UTC, with a Z. */
export function isoTime(ts: string): string {
  return `${ts.slice(0, 19)}Z`;
}

type Row = Selectable<ImagesTable>;

function columns(r: ImageRecord): Omit<ImagesTable, 'deleted' | 'deleted_at'> {
  const { properties: _p, tags: _t, ...attrs } = r;
  return { ...attrs, protected: r.protected ? 1 : 0, os_hidden: r.os_hidden ? 1 : 0 };
}

function fromRow(row: Row, properties: Record<string, string | null>, tags: string[]): ImageRecord {
  const { deleted: _d, deleted_at: _da, ...attrs } = row;
  return {
    ...attrs,
    size: row.size === null ? null : Number(row.size),
    virtual_size: row.virtual_size === null ? null : Number(row.virtual_size),
    protected: Boolean(row.protected),
    os_hidden: Boolean(row.os_hidden),
    properties,
    tags,
  };
}

/** Turns image rows into records, loading every row's properties and tags in a few queries. */
export async function hydrate(db: DB, rows: Row[]): Promise<ImageRecord[]> {
  const ids = rows.map((r) => r.id);
  return withAttributes(rows, await inChunks(ids, 500, (chunk) => attributesQuery(db, chunk).execute()));
}

/** Properties (tag null) and tags (name null) of these images in one statement: this runs on
 * every boot's look at its image. */
function attributesQuery(db: DB, ids: string[]) {
  return db
    .selectFrom('image_properties')
    .select([
      'image_id',
      sql<string | null>`name`.as('name'),
      'value',
      sql<string | null>`NULL`.as('tag'),
      sql<number>`0`.as('position'),
    ])
    .where('image_id', 'in', ids)
    .unionAll((eb) =>
      eb
        .selectFrom('image_tags')
        .select([
          'image_id',
          sql<string | null>`NULL`.as('name'),
          sql<string | null>`NULL`.as('value'),
          'value as tag',
          'id as position',
        ])
        .where('image_id', 'in', ids),
    )
    .orderBy('position');
}

type Attribute = Awaited<ReturnType<ReturnType<typeof attributesQuery>['execute']>>[number];

function withAttributes(rows: Row[], attributes: Attribute[]): ImageRecord[] {
  // Properties are named by clients: a map without a prototype keeps "__proto__" an ordinary key.
  const bag = () => Object.create(null) as Record<string, string | null>;
  const propsOf = new Map<string, Record<string, string | null>>();
  const tagsOf = new Map<string, string[]>();
  for (const a of attributes) {
    if (a.tag !== null) {
      tagsOf.set(a.image_id, [...(tagsOf.get(a.image_id) ?? []), a.tag]);
      continue;
    }
    const m = propsOf.get(a.image_id) ?? bag();
    m[a.name!] = a.value;
    propsOf.set(a.image_id, m);
  }
  return rows.map((r) => fromRow(r, propsOf.get(r.id) ?? bag(), tagsOf.get(r.id) ?? []));
}

/** The image with this id, unless it does not exist or was deleted: the row with its properties
 * and tags in one round trip. */
export async function findImage(db: DB, id: string): Promise<ImageRecord | undefined> {
  const [rows, attributes] = await executeTogether(db, [
    db.selectFrom('images').selectAll().where('id', '=', id).where('deleted', '=', 0),
    attributesQuery(db, [id]),
  ]);
  return withAttributes(rows.rows, attributes.rows)[0];
}

/** Whether the id was ever used, deleted images included (Glance never reuses an id). */
export async function idTaken(db: DB, id: string): Promise<boolean> {
  return (await db.selectFrom('images').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

export async function insertImage(db: Kysely<ImageDB>, r: ImageRecord): Promise<void> {
  await withTransaction(db, async (trx) => {
    await trx
      .insertInto('images')
      .values({ ...columns(r), deleted: 0, deleted_at: null })
      .execute();
    await writeProperties(trx, r.id, {}, r.properties);
    await writeTags(trx, r.id, [], r.tags);
  });
}

async function writeProperties(
  trx: Transaction<ImageDB>,
  id: string,
  before: Record<string, string | null>,
  after: Record<string, string | null>,
): Promise<void> {
  const removed = Object.keys(before).filter((k) => !Object.hasOwn(after, k));
  if (removed.length) {
    await trx.deleteFrom('image_properties').where('image_id', '=', id).where('name', 'in', removed).execute();
  }
  for (const [name, value] of Object.entries(after)) {
    const had = Object.hasOwn(before, name);
    if (had && before[name] === value) continue;
    if (had) {
      await trx
        .updateTable('image_properties')
        .set({ value })
        .where('image_id', '=', id)
        .where('name', '=', name)
        .execute();
    } else {
      await trx.insertInto('image_properties').values({ image_id: id, name, value }).execute();
    }
  }
}

async function writeTags(trx: Transaction<ImageDB>, id: string, before: string[], after: string[]): Promise<void> {
  const removed = before.filter((t) => !after.includes(t));
  if (removed.length)
    await trx.deleteFrom('image_tags').where('image_id', '=', id).where('value', 'in', removed).execute();
  const added = after.filter((t) => !before.includes(t));
  if (added.length)
    await trx
      .insertInto('image_tags')
      .values(added.map((value) => ({ image_id: id, value })))
      .execute();
}

/** More writes to make in the same transaction once the image is saved (an upload lease's row). */
export type Also = (trx: Transaction<ImageDB>) => Promise<void>;

/** Writes what differs between `before` and `after`, only if the image is still in `fromStatus`
 * when one is given (Glance's save(from_state=...)). False when the image was deleted or changed
 * status meanwhile. */
async function write(
  db: Kysely<ImageDB>,
  before: ImageRecord,
  after: ImageRecord,
  fromStatus?: string,
  also?: Also,
): Promise<boolean> {
  const b = columns(before);
  const a = columns(after);
  const changed = Object.fromEntries(Object.entries(a).filter(([k, v]) => b[k as keyof typeof b] !== v));
  return withTransaction(db, async (trx) => {
    let q = trx
      .updateTable('images')
      .set({ ...changed, updated_at: after.updated_at })
      .where('id', '=', after.id)
      .where('deleted', '=', 0);
    if (fromStatus !== undefined) q = q.where('status', '=', fromStatus);
    const res = await q.executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return false;
    await writeProperties(trx, after.id, before.properties, after.properties);
    await writeTags(trx, after.id, before.tags, after.tags);
    await also?.(trx);
    return true;
  });
}

/** Saves a change to an image (with a new updated_at). */
export async function saveImage(
  db: Kysely<ImageDB>,
  before: ImageRecord,
  after: ImageRecord,
  fromStatus?: string,
  also?: Also,
): Promise<boolean> {
  after.updated_at = now();
  return write(db, before, after, fromStatus, also);
}

/** Puts an image back exactly as it was before a change that failed halfway (an upload), if it
 * is still in `fromStatus`: a refused request leaves no trace. */
export async function restoreImage(
  db: Kysely<ImageDB>,
  current: ImageRecord,
  original: ImageRecord,
  fromStatus: string,
  also?: Also,
): Promise<boolean> {
  return write(db, current, original, fromStatus, also);
}

/** Marks the image deleted; false when it already was. */
export async function markDeleted(db: Kysely<ImageDB>, id: string): Promise<boolean> {
  return withTransaction(db, async (trx) => {
    const ts = now();
    const res = await trx
      .updateTable('images')
      .set({ deleted: 1, deleted_at: ts, updated_at: ts, status: 'deleted' })
      .where('id', '=', id)
      .where('deleted', '=', 0)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) return false;
    await trx.deleteFrom('image_members').where('image_id', '=', id).execute();
    return true;
  });
}

/** Bytes of image data a project holds, not counting one image (the one being uploaded): its
 * images' data, and what uploads to its other images have written so far. */
export async function storageUsage(db: DB, owner: string, except: string): Promise<number> {
  const stored = await db
    .selectFrom('images')
    .select((eb) => eb.fn.sum<number>('size').as('total'))
    .where('owner', '=', owner)
    .where('deleted', '=', 0)
    .where('id', '!=', except)
    .executeTakeFirst();
  const writing = await db
    .selectFrom('image_uploads as u')
    .innerJoin('images as i', 'i.id', 'u.image_id')
    .select((eb) => eb.fn.sum<number>('u.bytes').as('total'))
    .where('i.owner', '=', owner)
    .where('i.deleted', '=', 0)
    .where('i.id', '!=', except)
    .executeTakeFirst();
  return Number(stored?.total ?? 0) + Number(writing?.total ?? 0);
}
