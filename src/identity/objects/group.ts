// Groups of users: role assignments to a group apply to each member.
import type { Kysely } from 'kysely';
import { uniqueViolation, withTransaction } from '../../common/db/index.js';
import type { GroupTable, IdentityDB } from '../db/schema.js';
import { conflict, invalid, KeystoneException, NotFound, notFound } from '../exceptions.js';
import { newId, parseJson, splitExtra } from './common.js';
import { getDomain } from './domain.js';

type DB = Kysely<IdentityDB>;

const COLUMNS = ['id', 'name', 'domain_id', 'description', 'links'] as const;

export interface GroupInput {
  name?: string;
  domain_id?: string;
  description?: string | null;
  [extra: string]: unknown;
}

export async function getGroup(db: DB, id: string): Promise<GroupTable> {
  const g = await db.selectFrom('group').selectAll().where('id', '=', id).executeTakeFirst();
  if (!g) throw notFound('group', id);
  return g;
}

export async function listGroups(
  db: DB,
  f: { domain_id?: string; name?: string; ids?: string[] },
): Promise<GroupTable[]> {
  let q = db.selectFrom('group').selectAll().orderBy('name');
  if (f.domain_id !== undefined) q = q.where('domain_id', '=', f.domain_id);
  if (f.name !== undefined) q = q.where('name', '=', f.name);
  if (f.ids !== undefined) {
    if (!f.ids.length) return [];
    q = q.where('id', 'in', f.ids);
  }
  return q.execute();
}

export async function createGroup(db: DB, input: GroupInput, defaultDomainId: string): Promise<GroupTable> {
  const domain = await getDomain(db, input.domain_id ?? defaultDomainId);
  const row: GroupTable = {
    id: newId(),
    name: input.name!,
    domain_id: domain.id,
    description: input.description ?? null,
    extra: JSON.stringify(splitExtra(input, COLUMNS)),
  };
  try {
    await db.insertInto('group').values(row).execute();
  } catch (e) {
    if (uniqueViolation(e)) {
      throw conflict('group', `Duplicate entry found with name ${row.name} at domain ID ${row.domain_id}`);
    }
    throw e;
  }
  return row;
}

export async function updateGroup(db: DB, id: string, input: GroupInput): Promise<GroupTable> {
  const g = await getGroup(db, id);
  if (input.domain_id !== undefined && input.domain_id !== g.domain_id) throw invalid('Cannot change Domain ID');
  const extra = { ...parseJson<Record<string, unknown>>(g.extra, {}), ...splitExtra(input, COLUMNS) };
  const changes: Partial<GroupTable> = { extra: JSON.stringify(extra) };
  if (input.name !== undefined) changes.name = input.name;
  if (input.description !== undefined) changes.description = input.description;
  try {
    await db.updateTable('group').set(changes).where('id', '=', id).execute();
  } catch (e) {
    if (uniqueViolation(e)) {
      throw conflict('group', `Duplicate entry found with name ${input.name} at domain ID ${g.domain_id}`);
    }
    throw e;
  }
  return { ...g, ...changes };
}

export async function deleteGroupRows(db: DB, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await db.deleteFrom('user_group_membership').where('group_id', 'in', ids).execute();
  await db
    .deleteFrom('assignment')
    .where('actor_id', 'in', ids)
    .where('type', 'in', ['GroupProject', 'GroupDomain', 'GroupSystem'])
    .execute();
  await db.deleteFrom('group').where('id', 'in', ids).execute();
}

export async function deleteGroup(db: DB, id: string): Promise<void> {
  await getGroup(db, id);
  await withTransaction(db, (trx) => deleteGroupRows(trx, [id]));
}

export async function addMember(db: DB, groupId: string, userId: string): Promise<void> {
  await db
    .insertInto('user_group_membership')
    .values({ group_id: groupId, user_id: userId })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function isMember(db: DB, groupId: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('user_group_membership')
    .select('user_id')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

function notMember(groupId: string, userId: string): KeystoneException {
  return new NotFound(`User '${userId}' not found in group '${groupId}'`);
}

export async function checkMember(db: DB, groupId: string, userId: string): Promise<void> {
  if (!(await isMember(db, groupId, userId))) throw notMember(groupId, userId);
}

export async function removeMember(db: DB, groupId: string, userId: string): Promise<void> {
  const res = await db
    .deleteFrom('user_group_membership')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw notMember(groupId, userId);
}

export async function memberIds(db: DB, groupId: string): Promise<string[]> {
  const rows = await db.selectFrom('user_group_membership').select('user_id').where('group_id', '=', groupId).execute();
  return rows.map((r) => r.user_id);
}

export async function groupIdsOf(db: DB, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('user_group_membership').select('group_id').where('user_id', '=', userId).execute();
  return rows.map((r) => r.group_id);
}
