// GET /v3/role_assignments' data: the stored assignments matching a filter, or what each user
// effectively holds from them (group assignments expanded to members, inherited ones to the
// projects they reach, implied roles added).
import type { Kysely } from 'kysely';
import { SYSTEM_TARGET, type AssignmentType, type IdentityDB } from '../db/schema.js';
import {
  DOMAIN_TYPES,
  PROJECT_TYPES,
  inheritedOnto,
  inheritingProjects,
  parseType,
  type Grant,
  type TargetKind,
} from './assignment.js';
import { groupIdsOf } from './group.js';
import { projectLineage, projectsBelow } from './project.js';
import { expandWith, globalRoleIds, implicationMap } from './role.js';

type DB = Kysely<IdentityDB>;

export interface AssignmentFilter {
  userId?: string;
  groupId?: string;
  roleId?: string;
  projectId?: string;
  domainId?: string;
  system?: boolean;
  /** scope.OS-INHERIT:inherited_to=projects: only inherited assignments. */
  inheritedOnly?: boolean;
  /** With projectId: that project's subtree too (include_subtree). */
  includeSubtree?: boolean;
  effective?: boolean;
}

/** A grant as listed; `inherited` when listed as stored and inherited to the projects below. */
export interface AssignmentEntry extends Grant {
  /** Effective entries: the inherited assignment (its target) this entry comes from. */
  inheritedFrom?: { target: TargetKind; targetId: string };
  /** Effective entries: the group whose assignment this user entry comes from. */
  viaGroup?: string;
  /** Effective entries: the role whose implication produced this one. */
  priorRoleId?: string;
  /** The assigned role whose assignment this entry derives from. */
  assignedRoleId: string;
}

type Row = { type: AssignmentType; actor_id: string; target_id: string; role_id: string; inherited: number };

/** The stored rows the filter can concern. Effective lists of one project also need what is
 * inherited from its domain and ancestors. */
async function assignmentRows(db: DB, f: AssignmentFilter): Promise<Row[]> {
  let projects: string[] | undefined;
  if (f.projectId !== undefined)
    projects = f.includeSubtree ? [f.projectId, ...(await projectsBelow(db, [f.projectId]))] : [f.projectId];
  const lineage =
    f.effective && f.projectId !== undefined && !f.includeSubtree ? await projectLineage(db, f.projectId) : null;
  let q = db
    .selectFrom('assignment')
    .selectAll()
    .where((eb) => {
      const scopes = [];
      if (projects) {
        scopes.push(eb.and([eb('type', 'in', PROJECT_TYPES), eb('target_id', 'in', projects)]));
        if (lineage) scopes.push(inheritedOnto(eb, lineage));
      }
      if (f.domainId !== undefined)
        scopes.push(eb.and([eb('type', 'in', DOMAIN_TYPES), eb('target_id', '=', f.domainId)]));
      if (f.system)
        scopes.push(eb.and([eb('type', 'in', ['UserSystem', 'GroupSystem']), eb('target_id', '=', SYSTEM_TARGET)]));
      return scopes.length ? eb.or(scopes) : eb.lit(true);
    });
  if (f.inheritedOnly) q = q.where('inherited', '=', 1);
  if (f.effective && f.userId !== undefined)
    q = q.where('actor_id', 'in', [f.userId, ...(await groupIdsOf(db, f.userId))]);
  if (!f.effective) {
    if (f.userId !== undefined)
      q = q.where('actor_id', '=', f.userId).where('type', 'in', ['UserProject', 'UserDomain', 'UserSystem']);
    if (f.groupId !== undefined)
      q = q.where('actor_id', '=', f.groupId).where('type', 'in', ['GroupProject', 'GroupDomain', 'GroupSystem']);
    if (f.roleId !== undefined) q = q.where('role_id', '=', f.roleId);
  }
  return q.orderBy('type').orderBy('target_id').orderBy('actor_id').orderBy('role_id').orderBy('inherited').execute();
}

/** GET /v3/role_assignments: the stored assignments, or with `effective` what each user effectively
 * holds (group assignments expanded to members, inherited ones to the projects they reach,
 * implied roles added). */
export async function listAssignments(db: DB, f: AssignmentFilter): Promise<AssignmentEntry[]> {
  const rows = await assignmentRows(db, f);
  if (!f.effective) {
    return rows.map((r) => ({
      ...parseType(r.type),
      actorId: r.actor_id,
      targetId: r.target_id,
      roleId: r.role_id,
      assignedRoleId: r.role_id,
      ...(r.inherited ? { inherited: true } : {}),
    }));
  }
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
  // The projects each inherited assignment's target reaches, looked up once per target. Listing
  // one project, the inherited rows fetched reach it (assignmentRows), but for one stored on the
  // project itself, which reaches only the projects below.
  const reached = new Map<string, Promise<string[]>>();
  const reach = (target: TargetKind, id: string) => {
    if (f.projectId !== undefined && !f.includeSubtree) return Promise.resolve(id === f.projectId ? [] : [f.projectId]);
    const key = `${target}:${id}`;
    if (!reached.has(key)) reached.set(key, inheritingProjects(db, target, id));
    return reached.get(key)!;
  };
  const out: AssignmentEntry[] = [];
  for (const r of rows) {
    const { target } = parseType(r.type);
    // An inherited assignment is effective on the projects below its target, not on the target.
    let targets: { target: TargetKind; targetId: string }[] = [{ target, targetId: r.target_id }];
    if (r.inherited) {
      if (f.domainId !== undefined || f.system) continue;
      targets = (await reach(target, r.target_id)).map((id) => ({ target: 'project', targetId: id }));
    }
    const from = r.inherited ? { inheritedFrom: { target, targetId: r.target_id } } : {};
    const users = r.type.startsWith('Group')
      ? (members.get(r.actor_id) ?? []).map((u) => ({ u, via: r.actor_id }))
      : [{ u: r.actor_id, via: undefined }];
    for (const t of targets) {
      for (const { u, via } of users) {
        for (const [roleId, prior] of rules.get(r.role_id)!) {
          out.push({
            actor: 'user',
            actorId: u,
            ...t,
            roleId,
            assignedRoleId: r.role_id,
            ...from,
            ...(via ? { viaGroup: via } : {}),
            ...(prior ? { priorRoleId: prior } : {}),
          });
        }
      }
    }
  }
  const global = await globalRoleIds(db, [...new Set(out.map((e) => e.roleId))]);
  return out.filter((e) => global.has(e.roleId) && (f.roleId === undefined || e.roleId === f.roleId));
}

/** For each role, the roles it stands for (itself and everything implied) with the implying role. */
async function expandAll(db: DB, roleIds: string[]): Promise<Map<string, Map<string, string | null>>> {
  const rules = await implicationMap(db);
  return new Map(roleIds.map((id) => [id, expandWith(rules, [id])]));
}
