// Image members: the projects a shared image is shared with, and whether each has accepted it.
import type { Kysely, Selectable } from 'kysely';
import { inChunks, uniqueViolation } from '../../common/db/index.js';
import type { ImageDB, ImageMembersTable } from '../db/schema.js';
import { Conflict } from '../exceptions.js';
import { now } from '../../common/time.js';

export type MemberRecord = Selectable<ImageMembersTable>;

export async function findMember(
  db: Kysely<ImageDB>,
  imageId: string,
  member: string,
): Promise<MemberRecord | undefined> {
  return db
    .selectFrom('image_members')
    .selectAll()
    .where('image_id', '=', imageId)
    .where('member', '=', member)
    .executeTakeFirst();
}

/** The memberships of one project in each of these images. */
export async function membershipsOf(
  db: Kysely<ImageDB>,
  imageIds: string[],
  project: string | null,
): Promise<Map<string, MemberRecord>> {
  if (project === null || !imageIds.length) return new Map();
  const rows = await inChunks(imageIds, 500, (chunk) =>
    db.selectFrom('image_members').selectAll().where('member', '=', project).where('image_id', 'in', chunk).execute(),
  );
  return new Map(rows.map((m) => [m.image_id, m]));
}

export async function listMembers(db: Kysely<ImageDB>, imageId: string): Promise<MemberRecord[]> {
  return db
    .selectFrom('image_members')
    .selectAll()
    .where('image_id', '=', imageId)
    .orderBy('created_at')
    .orderBy('member')
    .execute();
}

export async function countMembers(db: Kysely<ImageDB>, imageId: string): Promise<number> {
  const row = await db
    .selectFrom('image_members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('image_id', '=', imageId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function addMember(db: Kysely<ImageDB>, imageId: string, member: string): Promise<MemberRecord> {
  const ts = now();
  const record = { image_id: imageId, member, status: 'pending', created_at: ts, updated_at: ts };
  try {
    await db.insertInto('image_members').values(record).execute();
  } catch (e) {
    if (uniqueViolation(e)) throw new Conflict(`Member ${member} is duplicated for image ${imageId}`);
    throw e;
  }
  return record;
}

export async function setMemberStatus(db: Kysely<ImageDB>, m: MemberRecord, status: string): Promise<MemberRecord> {
  const updated = { ...m, status, updated_at: now() };
  await db
    .updateTable('image_members')
    .set({ status, updated_at: updated.updated_at })
    .where('image_id', '=', m.image_id)
    .where('member', '=', m.member)
    .execute();
  return updated;
}

export async function removeMember(db: Kysely<ImageDB>, m: MemberRecord): Promise<void> {
  await db.deleteFrom('image_members').where('image_id', '=', m.image_id).where('member', '=', m.member).execute();
}
