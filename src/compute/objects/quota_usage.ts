// What a project (and a user in it) uses of what quotas limit, counted from compute's own tables
// as Nova counts it with [quota] count_usage_from_placement = False: instances not deleted nor
// soft-deleted nor hidden, with their vCPUs and RAM; key pairs per user; server groups; members of
// a server group per user. The quota checks of every API (servers, keypairs, server groups) and
// the quota views (limits, os-quota-sets detail) count through here.
import { sql } from 'kysely';
import type { Db } from './flavor.js';

/** Counts of the project, and of the user when one was named (Nova's count_as_dict). */
export interface Counts {
  project?: Record<string, number>;
  user?: Record<string, number>;
}

/** Nova's vm_states.SOFT_DELETED: instances there wait for a reclaim and count for no quota. */
const SOFT_DELETED = 'soft-delete';

function liveInstances(db: Db, projectId: string) {
  return db
    .selectFrom('instances')
    .where('project_id', '=', projectId)
    .where('deleted', '=', 0)
    .where((eb) => eb.or([eb('vm_state', '!=', SOFT_DELETED), eb('vm_state', 'is', null)]))
    .where('hidden', '=', 0);
}

/** instances, cores and ram of a project (and of one of its users). */
export async function countInstancesCoresRam(db: Db, projectId: string, userId?: string): Promise<Counts> {
  // One pass over the project's instances counts the user's too (every server create asks both).
  const mine = sql`user_id = ${userId ?? null}`;
  const row = await liveInstances(db, projectId)
    .select([
      sql<number | string>`count(id)`.as('instances'),
      sql<number | string | null>`sum(vcpus)`.as('cores'),
      sql<number | string | null>`sum(memory_mb)`.as('ram'),
      sql<number | string | null>`sum(CASE WHEN ${mine} THEN 1 ELSE 0 END)`.as('user_instances'),
      sql<number | string | null>`sum(CASE WHEN ${mine} THEN vcpus ELSE 0 END)`.as('user_cores'),
      sql<number | string | null>`sum(CASE WHEN ${mine} THEN memory_mb ELSE 0 END)`.as('user_ram'),
    ])
    .executeTakeFirstOrThrow();
  const n = (v: number | string | null) => Number(v ?? 0);
  return {
    project: { instances: n(row.instances), cores: n(row.cores), ram: n(row.ram) },
    ...(userId !== undefined
      ? { user: { instances: n(row.user_instances), cores: n(row.user_cores), ram: n(row.user_ram) } }
      : {}),
  };
}

/** A user's key pairs (key pairs belong to users, not projects). */
export async function countKeyPairs(db: Db, userId: string): Promise<Counts> {
  const row = await db
    .selectFrom('key_pairs')
    .where('user_id', '=', userId)
    .select(sql<number | string>`count(id)`.as('n'))
    .executeTakeFirstOrThrow();
  return { user: { key_pairs: Number(row.n) } };
}

/** A project's server groups (and its user's). */
export async function countServerGroups(db: Db, projectId: string, userId?: string): Promise<Counts> {
  const count = async (user?: string) => {
    let q = db.selectFrom('instance_groups').where('project_id', '=', projectId);
    if (user !== undefined) q = q.where('user_id', '=', user);
    return Number((await q.select(sql<number | string>`count(id)`.as('n')).executeTakeFirstOrThrow()).n);
  };
  return {
    project: { server_groups: await count() },
    ...(userId !== undefined ? { user: { server_groups: await count(userId) } } : {}),
  };
}

/** The members of a server group that are a user's live instances. */
export async function countServerGroupMembers(db: Db, groupUuid: string, userId: string): Promise<Counts> {
  const row = await db
    .selectFrom('instance_group_member as m')
    .innerJoin('instance_groups as g', 'g.id', 'm.group_id')
    .innerJoin('instances as i', 'i.uuid', 'm.instance_uuid')
    .where('g.uuid', '=', groupUuid)
    .where('i.user_id', '=', userId)
    .where('i.deleted', '=', 0)
    .select(sql<number | string>`count(m.id)`.as('n'))
    .executeTakeFirstOrThrow();
  return { user: { server_group_members: Number(row.n) } };
}

/** What the quota views show as in use (Nova's _get_usages): instances, cores, ram and server
 * groups counted; key pairs and server group members shown as 0, as Nova shows them. */
export async function usages(db: Db, projectId: string, userId?: string): Promise<Record<string, number>> {
  const scope = userId !== undefined ? 'user' : 'project';
  const [instances, groups] = await Promise.all([
    countInstancesCoresRam(db, projectId, userId),
    countServerGroups(db, projectId, userId),
  ]);
  return { ...instances[scope], ...groups[scope], key_pairs: 0, server_group_members: 0 };
}
