// Role assignments: a user or group holds a role on a project, a domain or the system. The roles a
// user effectively has on a target are its own and its groups' assignments there, expanded through
// role implications. An inherited assignment (OS-INHERIT) on a domain or project applies instead to
// every project below it: in the domain, or in the project's subtree.
import type { Kysely } from 'kysely';
import { SYSTEM_TARGET, type AssignmentType, type IdentityDB } from '../db/schema.js';
import { assignmentNotFound } from '../errors.js';
import { expandImplied, expandWith, implicationMap } from './role.js';
import { groupIdsOf } from './group.js';
import { projectLineage, projectsBelow, projectsInDomains } from './project.js';

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
  /** OS-INHERIT: the grant is for the projects below the target, not the target. */
  inherited?: boolean;
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
    inherited: g.inherited ? 1 : 0,
  };
}

export async function createGrant(db: DB, g: Grant): Promise<void> {
  await db.insertInto('assignment').values(row(g)).onConflict((oc) => oc.doNothing()).execute();
}

export async function checkGrant(db: DB, g: Grant): Promise<void> {
  const r = row(g);
  const hit = await db.selectFrom('assignment').select('role_id').where('type', '=', r.type)
    .where('actor_id', '=', r.actor_id).where('target_id', '=', r.target_id).where('role_id', '=', r.role_id)
    .where('inherited', '=', r.inherited).executeTakeFirst();
  if (!hit) throw assignmentNotFound(g.roleId, g.actorId, r.target_id);
}

export async function deleteGrant(db: DB, g: Grant): Promise<void> {
  await checkGrant(db, g);
  const r = row(g);
  await db.deleteFrom('assignment').where('type', '=', r.type).where('actor_id', '=', r.actor_id)
    .where('target_id', '=', r.target_id).where('role_id', '=', r.role_id).where('inherited', '=', r.inherited).execute();
  // Application credentials cannot outlive the roles they delegate (Keystone deletes them too).
  if (g.actor === 'user' && g.target === 'project' && !g.inherited) {
    const creds = await db.selectFrom('application_credential as a')
      .innerJoin('application_credential_role as r', 'r.application_credential_id', 'a.id')
      .select('a.id').where('a.user_id', '=', g.actorId).where('a.project_id', '=', g.targetId)
      .where('r.role_id', '=', g.roleId).execute();
    if (creds.length) await db.deleteFrom('application_credential').where('id', 'in', creds.map((c) => c.id)).execute();
  }
}

/** The roles granted to an actor on a target: directly, or (`inherited`) to the projects below it. */
export async function grantedRoleIds(db: DB, actor: ActorKind, actorId: string, target: TargetKind,
  targetId: string, inherited = false): Promise<string[]> {
  const rows = await db.selectFrom('assignment').select('role_id').where('type', '=', assignmentType(actor, target))
    .where('actor_id', '=', actorId).where('target_id', '=', target === 'system' ? SYSTEM_TARGET : targetId)
    .where('inherited', '=', inherited ? 1 : 0).orderBy('role_id').execute();
  return rows.map((r) => r.role_id);
}

const PROJECT_TYPES: AssignmentType[] = ['UserProject', 'GroupProject'];
const DOMAIN_TYPES: AssignmentType[] = ['UserDomain', 'GroupDomain'];

/** The ids of every role a user has on a target: own and group assignments there, on a project
 * also those inherited from its domain and its ancestors, plus implied roles. */
export async function effectiveRoleIds(db: DB, userId: string, target: TargetKind, targetId: string): Promise<string[]> {
  const actors = [userId, ...(await groupIdsOf(db, userId))];
  const lineage = target === 'project' ? await projectLineage(db, targetId) : null;
  const rows = await db.selectFrom('assignment').select('role_id').distinct()
    .where('actor_id', 'in', actors)
    .where((eb) => {
      // An assignment row of a group type never matches a user id and vice versa: ids are unique.
      const direct = eb.and([
        eb('type', 'in', [assignmentType('user', target), assignmentType('group', target)]),
        eb('target_id', '=', target === 'system' ? SYSTEM_TARGET : targetId), eb('inherited', '=', 0),
      ]);
      if (!lineage) return direct;
      const fromAbove = [eb.and([eb('type', 'in', DOMAIN_TYPES), eb('target_id', '=', lineage.domainId)])];
      if (lineage.ancestors.length) {
        fromAbove.push(eb.and([eb('type', 'in', PROJECT_TYPES), eb('target_id', 'in', lineage.ancestors)]));
      }
      return eb.or([direct, eb.and([eb('inherited', '=', 1), eb.or(fromAbove)])]);
    }).execute();
  return [...(await expandImplied(db, rows.map((r) => r.role_id))).keys()];
}

/** The projects an inherited assignment on this target reaches. */
async function inheritingProjects(db: DB, target: TargetKind, targetId: string): Promise<string[]> {
  return target === 'domain' ? projectsInDomains(db, [targetId]) : projectsBelow(db, [targetId]);
}

/** The projects (or domains) on which a user has any role, directly, through a group, or (projects)
 * inherited from a domain or an ancestor. */
export async function targetsOfUser(db: DB, userId: string, target: 'project' | 'domain'): Promise<string[]> {
  const actors = [userId, ...(await groupIdsOf(db, userId))];
  const rows = await db.selectFrom('assignment').select(['target_id', 'type', 'inherited']).distinct()
    .where('actor_id', 'in', actors)
    .where('type', 'in', target === 'project' ? [...PROJECT_TYPES, ...DOMAIN_TYPES] : DOMAIN_TYPES).execute();
  const out = new Set<string>();
  for (const r of rows) {
    const kind = parseType(r.type).target;
    if (!r.inherited) {
      if (kind === target) out.add(r.target_id);
    } else if (target === 'project') {
      for (const id of await inheritingProjects(db, kind, r.target_id)) out.add(id);
    }
  }
  return [...out];
}

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

export interface AssignmentEntry {
  actor: ActorKind;
  actorId: string;
  target: TargetKind;
  targetId: string;
  roleId: string;
  /** Listed as stored: the assignment is inherited to the projects below its target. */
  inherited?: boolean;
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
  if (f.projectId !== undefined) projects = f.includeSubtree ? [f.projectId, ...await projectsBelow(db, [f.projectId])] : [f.projectId];
  const lineage = f.effective && f.projectId !== undefined && !f.includeSubtree ? await projectLineage(db, f.projectId) : null;
  let q = db.selectFrom('assignment').selectAll().where((eb) => {
    const scopes = [];
    if (projects) {
      scopes.push(eb.and([eb('type', 'in', PROJECT_TYPES), eb('target_id', 'in', projects)]));
      if (lineage) {
        scopes.push(eb.and([eb('inherited', '=', 1), eb('type', 'in', DOMAIN_TYPES), eb('target_id', '=', lineage.domainId)]));
        if (lineage.ancestors.length) {
          scopes.push(eb.and([eb('inherited', '=', 1), eb('type', 'in', PROJECT_TYPES), eb('target_id', 'in', lineage.ancestors)]));
        }
      }
    }
    if (f.domainId !== undefined) scopes.push(eb.and([eb('type', 'in', DOMAIN_TYPES), eb('target_id', '=', f.domainId)]));
    if (f.system) scopes.push(eb.and([eb('type', 'in', ['UserSystem', 'GroupSystem']), eb('target_id', '=', SYSTEM_TARGET)]));
    return scopes.length ? eb.or(scopes) : eb.lit(true);
  });
  if (f.inheritedOnly) q = q.where('inherited', '=', 1);
  if (f.effective && f.userId !== undefined) q = q.where('actor_id', 'in', [f.userId, ...(await groupIdsOf(db, f.userId))]);
  if (!f.effective) {
    if (f.userId !== undefined) q = q.where('actor_id', '=', f.userId).where('type', 'in', ['UserProject', 'UserDomain', 'UserSystem']);
    if (f.groupId !== undefined) q = q.where('actor_id', '=', f.groupId).where('type', 'in', ['GroupProject', 'GroupDomain', 'GroupSystem']);
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
    return rows.map((r) => ({ ...parseType(r.type), actorId: r.actor_id, targetId: r.target_id, roleId: r.role_id,
      assignedRoleId: r.role_id, ...(r.inherited ? { inherited: true } : {}) }));
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
  const out: AssignmentEntry[] = [];
  for (const r of rows) {
    const { target } = parseType(r.type);
    // An inherited assignment is effective on the projects below its target, not on the target.
    let targets: { target: TargetKind; targetId: string }[] = [{ target, targetId: r.target_id }];
    if (r.inherited) {
      if (f.domainId !== undefined || f.system) continue;
      targets = (await inheritingProjects(db, target, r.target_id)).map((id) => ({ target: 'project', targetId: id }));
      if (f.projectId !== undefined && !f.includeSubtree) targets = targets.filter((t) => t.targetId === f.projectId);
    }
    const from = r.inherited ? { inheritedFrom: { target, targetId: r.target_id } } : {};
    const users = r.type.startsWith('Group')
      ? (members.get(r.actor_id) ?? []).map((u) => ({ u, via: r.actor_id }))
      : [{ u: r.actor_id, via: undefined }];
    for (const t of targets) {
      for (const { u, via } of users) {
        for (const [roleId, prior] of rules.get(r.role_id)!) {
          out.push({
            actor: 'user', actorId: u, ...t, roleId, assignedRoleId: r.role_id, ...from,
            ...(via ? { viaGroup: via } : {}), ...(prior ? { priorRoleId: prior } : {}),
          });
        }
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
