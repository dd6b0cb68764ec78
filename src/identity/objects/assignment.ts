// Role assignments: a user or group holds a role on a project, a domain or the system. The roles a
// user effectively has on a target are its own and its groups' assignments there, expanded through
// role implications.
import type { Kysely } from 'kysely';
import { SYSTEM_TARGET, type AssignmentType, type IdentityDB } from '../db/schema.js';
import { assignmentNotFound } from '../errors.js';
import { expandImplied, expandWith, implicationMap } from './role.js';
import { groupIdsOf } from './group.js';

type DB = Kysely<IdentityDB>;

export type ActorKind = 'user' | 'group';
export type TargetKind = 'project' | 'domain' | 'system';

export interface Grant {
  actor: ActorKind;
  actorId: string;
  target: TargetKind;
  /** Project or domain id; ignored for the system. */
  targetId: string;
  roleId: string;
}

const TYPE: Record<ActorKind, Record<TargetKind, AssignmentType>> = {
  user: { project: 'UserProject', domain: 'UserDomain', system: 'UserSystem' },
  group: { project: 'GroupProject', domain: 'GroupDomain', system: 'GroupSystem' },
};

export function assignmentType(actor: ActorKind, target: TargetKind): AssignmentType {
  return TYPE[actor][target];
}

export function parseType(t: AssignmentType): { actor: ActorKind; target: TargetKind } {
  return {
    actor: t.startsWith('User') ? 'user' : 'group',
    target: t.endsWith('Project') ? 'project' : t.endsWith('Domain') ? 'domain' : 'system',
  };
}

function row(g: Grant) {
  return {
    type: assignmentType(g.actor, g.target),
    actor_id: g.actorId,
    target_id: g.target === 'system' ? SYSTEM_TARGET : g.targetId,
    role_id: g.roleId,
  };
}

export async function createGrant(db: DB, g: Grant): Promise<void> {
  await db.insertInto('assignment').values(row(g)).onConflict((oc) => oc.doNothing()).execute();
}

export async function checkGrant(db: DB, g: Grant): Promise<void> {
  const r = row(g);
  const hit = await db.selectFrom('assignment').select('role_id').where('type', '=', r.type)
    .where('actor_id', '=', r.actor_id).where('target_id', '=', r.target_id).where('role_id', '=', r.role_id)
    .executeTakeFirst();
  if (!hit) throw assignmentNotFound(g.roleId, g.actorId, r.target_id);
}

export async function deleteGrant(db: DB, g: Grant): Promise<void> {
  await checkGrant(db, g);
  const r = row(g);
  await db.deleteFrom('assignment').where('type', '=', r.type).where('actor_id', '=', r.actor_id)
    .where('target_id', '=', r.target_id).where('role_id', '=', r.role_id).execute();
  // Application credentials cannot outlive the roles they delegate (Keystone deletes them too).
  if (g.actor === 'user' && g.target === 'project') {
    const creds = await db.selectFrom('application_credential as a')
      .innerJoin('application_credential_role as r', 'r.application_credential_id', 'a.id')
      .select('a.id').where('a.user_id', '=', g.actorId).where('a.project_id', '=', g.targetId)
      .where('r.role_id', '=', g.roleId).execute();
    if (creds.length) await db.deleteFrom('application_credential').where('id', 'in', creds.map((c) => c.id)).execute();
  }
}

/** The roles directly granted to an actor on a target. */
export async function grantedRoleIds(db: DB, actor: ActorKind, actorId: string, target: TargetKind,
  targetId: string): Promise<string[]> {
  const rows = await db.selectFrom('assignment').select('role_id').where('type', '=', assignmentType(actor, target))
    .where('actor_id', '=', actorId).where('target_id', '=', target === 'system' ? SYSTEM_TARGET : targetId)
    .orderBy('role_id').execute();
  return rows.map((r) => r.role_id);
}

/** The ids of every role a user has on a target: own and group assignments plus implied roles. */
export async function effectiveRoleIds(db: DB, userId: string, target: TargetKind, targetId: string): Promise<string[]> {
  const groups = await groupIdsOf(db, userId);
  const actors = [userId, ...groups];
  const rows = await db.selectFrom('assignment').select('role_id').distinct()
    .where('actor_id', 'in', actors)
    .where('type', 'in', [assignmentType('user', target), assignmentType('group', target)])
    .where('target_id', '=', target === 'system' ? SYSTEM_TARGET : targetId).execute();
  // An assignment row of a group type never matches a user id and vice versa: ids are unique.
  return [...(await expandImplied(db, rows.map((r) => r.role_id))).keys()];
}

/** The projects (or domains) on which a user has any role, directly or through a group. */
export async function targetsOfUser(db: DB, userId: string, target: 'project' | 'domain'): Promise<string[]> {
  const actors = [userId, ...(await groupIdsOf(db, userId))];
  const rows = await db.selectFrom('assignment').select('target_id').distinct().where('actor_id', 'in', actors)
    .where('type', 'in', [assignmentType('user', target), assignmentType('group', target)]).execute();
  return rows.map((r) => r.target_id);
}

export interface AssignmentFilter {
  userId?: string;
  groupId?: string;
  roleId?: string;
  projectId?: string;
  domainId?: string;
  system?: boolean;
  effective?: boolean;
}

export interface AssignmentEntry {
  actor: ActorKind;
  actorId: string;
  target: TargetKind;
  targetId: string;
  roleId: string;
  /** Effective entries: the group whose assignment this user entry comes from. */
  viaGroup?: string;
  /** Effective entries: the role whose implication produced this one. */
  priorRoleId?: string;
  /** The assigned role whose assignment this entry derives from. */
  assignedRoleId: string;
}

/** GET /v3/role_assignments: the stored assignments, or with `effective` what each user effectively
 * holds (group assignments expanded to members, implied roles added). */
export async function listAssignments(db: DB, f: AssignmentFilter): Promise<AssignmentEntry[]> {
  let q = db.selectFrom('assignment').selectAll();
  const targetTypes: AssignmentType[] = [];
  if (f.projectId !== undefined) q = q.where('target_id', '=', f.projectId);
  if (f.domainId !== undefined) q = q.where('target_id', '=', f.domainId);
  if (f.projectId !== undefined) targetTypes.push('UserProject', 'GroupProject');
  if (f.domainId !== undefined) targetTypes.push('UserDomain', 'GroupDomain');
  if (f.system) targetTypes.push('UserSystem', 'GroupSystem');
  if (targetTypes.length) q = q.where('type', 'in', targetTypes);
  if (f.system && f.projectId === undefined && f.domainId === undefined) q = q.where('target_id', '=', SYSTEM_TARGET);

  if (!f.effective) {
    if (f.userId !== undefined) {
      q = q.where('actor_id', '=', f.userId).where('type', 'in', ['UserProject', 'UserDomain', 'UserSystem']);
    }
    if (f.groupId !== undefined) {
      q = q.where('actor_id', '=', f.groupId).where('type', 'in', ['GroupProject', 'GroupDomain', 'GroupSystem']);
    }
    if (f.roleId !== undefined) q = q.where('role_id', '=', f.roleId);
    const rows = await q.orderBy('type').orderBy('target_id').orderBy('actor_id').orderBy('role_id').execute();
    return rows.map((r) => ({ ...parseType(r.type), actorId: r.actor_id, targetId: r.target_id, roleId: r.role_id,
      assignedRoleId: r.role_id }));
  }

  if (f.userId !== undefined) {
    const actors = [f.userId, ...(await groupIdsOf(db, f.userId))];
    q = q.where('actor_id', 'in', actors);
  }
  const rows = await q.orderBy('type').orderBy('target_id').orderBy('actor_id').orderBy('role_id').execute();
  const groupIds = [...new Set(rows.filter((r) => r.type.startsWith('Group')).map((r) => r.actor_id))];
  const members = new Map<string, string[]>();
  if (groupIds.length) {
    let mq = db.selectFrom('user_group_membership').selectAll().where('group_id', 'in', groupIds);
    if (f.userId !== undefined) mq = mq.where('user_id', '=', f.userId);
    for (const m of await mq.orderBy('user_id').execute()) {
      members.set(m.group_id, [...(members.get(m.group_id) ?? []), m.user_id]);
    }
  }
  const rules = await expandAll(db, [...new Set(rows.map((r) => r.role_id))]);
  const out: AssignmentEntry[] = [];
  for (const r of rows) {
    const { target } = parseType(r.type);
    const users = r.type.startsWith('Group')
      ? (members.get(r.actor_id) ?? []).map((u) => ({ u, via: r.actor_id }))
      : [{ u: r.actor_id, via: undefined }];
    for (const { u, via } of users) {
      for (const [roleId, prior] of rules.get(r.role_id)!) {
        out.push({
          actor: 'user', actorId: u, target, targetId: r.target_id, roleId, assignedRoleId: r.role_id,
          ...(via ? { viaGroup: via } : {}), ...(prior ? { priorRoleId: prior } : {}),
        });
      }
    }
  }
  return f.roleId === undefined ? out : out.filter((e) => e.roleId === f.roleId);
}

/** For each role, the roles it stands for (itself and everything implied) with the implying role. */
async function expandAll(db: DB, roleIds: string[]): Promise<Map<string, Map<string, string | null>>> {
  const rules = await implicationMap(db);
  return new Map(roleIds.map((id) => [id, expandWith(rules, [id])]));
}
