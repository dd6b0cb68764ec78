// Server groups (os-server-groups): a policy the scheduler applies to the group's servers —
// affinity (one host), anti-affinity (different hosts, at most max_server_per_host each), and
// their soft variants (preferences the scheduler's ServerGroupSoftAffinityWeigher and
// ServerGroupSoftAntiAffinityWeigher apply). Members join at boot (the `group` scheduler hint) and leave
// when their server is deleted.
import { randomUUID } from 'node:crypto';
import type { Config } from '../../common/config.js';
import { withTransaction } from '../../common/db/index.js';
import { Invalid, NotFound, OverQuota, QuotaExceeded } from '../exceptions.js';
import { now, type Db } from './instance.js';
import { checkDeltas, type QuotaScope } from './quota.js';

export const POLICIES = ['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity'] as const;

export interface ServerGroup {
  id: string;
  name: string;
  policy: string;
  rules: Record<string, number>;
  members: string[];
  project_id: string;
  user_id: string;
}

export class InstanceGroupNotFound extends NotFound {
  constructor(id: string) {
    super(`Instance group ${id} could not be found.`);
  }
}

async function hydrate(
  db: Db,
  rows: { id: number; uuid: string; name: string | null; project_id: string; user_id: string }[],
): Promise<ServerGroup[]> {
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const [policies, members] = await Promise.all([
    db
      .selectFrom('instance_group_policy')
      .select(['group_id', 'policy', 'rules'])
      .where('group_id', 'in', ids)
      .execute(),
    db
      .selectFrom('instance_group_member')
      .innerJoin('instances', 'instances.uuid', 'instance_group_member.instance_uuid')
      .select(['instance_group_member.group_id', 'instances.uuid'])
      .where('instance_group_member.group_id', 'in', ids)
      .where('instances.deleted', '=', 0)
      .orderBy('instance_group_member.id')
      .execute(),
  ]);
  return rows.map((r) => {
    const p = policies.find((x) => x.group_id === r.id);
    return {
      id: r.uuid,
      name: r.name ?? '',
      policy: p?.policy ?? '',
      rules: JSON.parse(p?.rules ?? '{}') as Record<string, number>,
      members: members.filter((m) => m.group_id === r.id).map((m) => m.uuid),
      project_id: r.project_id,
      user_id: r.user_id,
    };
  });
}

export async function createServerGroup(
  db: Db,
  config: Config,
  g: { name: string; policy: string; rules: Record<string, number>; projectId: string; userId: string },
): Promise<ServerGroup> {
  if (Object.keys(g.rules).length && g.policy !== 'anti-affinity')
    throw new Invalid('Only anti-affinity policy supports rules.');
  return withTransaction(db, async (trx) => {
    try {
      await checkDeltas(trx, config, { projectId: g.projectId, userId: g.userId }, { server_groups: 1 });
    } catch (e) {
      if (e instanceof QuotaExceeded) throw new OverQuota('Quota exceeded, too many server groups.');
      throw e;
    }
    const ts = now();
    const uuid = randomUUID();
    const { id } = await trx
      .insertInto('instance_groups')
      .values({ uuid, name: g.name, user_id: g.userId, project_id: g.projectId, created_at: ts, updated_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('instance_group_policy')
      .values({ group_id: id, policy: g.policy, rules: JSON.stringify(g.rules), created_at: ts, updated_at: null })
      .execute();
    return {
      id: uuid,
      name: g.name,
      policy: g.policy,
      rules: g.rules,
      members: [],
      project_id: g.projectId,
      user_id: g.userId,
    };
  });
}

/** A group of `projectId` (any project's when null). */
export async function getServerGroup(db: Db, uuid: string, projectId: string | null): Promise<ServerGroup> {
  let q = db.selectFrom('instance_groups').selectAll().where('uuid', '=', uuid);
  if (projectId !== null) q = q.where('project_id', '=', projectId);
  const row = await q.executeTakeFirst();
  if (!row) throw new InstanceGroupNotFound(uuid);
  return (await hydrate(db, [row]))[0]!;
}

export async function listServerGroups(
  db: Db,
  projectId: string | null,
  page: { limit: number; offset: number },
): Promise<ServerGroup[]> {
  let q = db.selectFrom('instance_groups').selectAll().orderBy('id');
  if (projectId !== null) q = q.where('project_id', '=', projectId);
  return hydrate(db, (await q.execute()).slice(page.offset, page.offset + page.limit));
}

export async function deleteServerGroup(db: Db, uuid: string, projectId: string | null): Promise<void> {
  const group = await getServerGroup(db, uuid, projectId);
  await withTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom('instance_groups')
      .select('id')
      .where('uuid', '=', group.id)
      .executeTakeFirstOrThrow();
    await trx.deleteFrom('instance_group_member').where('group_id', '=', row.id).execute();
    await trx.deleteFrom('instance_group_policy').where('group_id', '=', row.id).execute();
    await trx.deleteFrom('instance_groups').where('id', '=', row.id).execute();
  });
}

/** The member quota of a group servers are joining (server_group_members, counted per user). */
export async function checkMemberQuota(
  db: Db,
  config: Config,
  scope: Required<QuotaScope>,
  adding: number,
): Promise<void> {
  try {
    await checkDeltas(db, config, scope, { server_group_members: adding });
  } catch (e) {
    if (e instanceof QuotaExceeded) throw new OverQuota('Quota exceeded, too many servers in group');
    throw e;
  }
}
