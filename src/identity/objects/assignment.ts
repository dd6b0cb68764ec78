// Role assignments: a user or group holds a role on a project, a domain or the system. The roles a
// user effectively has on a target are its own and its groups' assignments there, expanded through
// role implications. An inherited assignment (OS-INHERIT) on a domain or project applies instead to
// every project below it: in the domain, or in the project's subtree.
import type { ExpressionBuilder, Kysely } from 'kysely';
import { SYSTEM_TARGET, type AssignmentType, type IdentityDB } from '../db/schema.js';
import { assignmentNotFound } from '../exceptions.js';
import { expandImplied, globalRoleIds } from './role.js';
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
  await db
    .insertInto('assignment')
    .values(row(g))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** The assignment row of grant `g`, as a condition. */
function isGrant(g: Grant) {
  const r = row(g);
  return (eb: ExpressionBuilder<IdentityDB, 'assignment'>) =>
    eb.and([
      eb('type', '=', r.type),
      eb('actor_id', '=', r.actor_id),
      eb('target_id', '=', r.target_id),
      eb('role_id', '=', r.role_id),
      eb('inherited', '=', r.inherited),
    ]);
}

export async function checkGrant(db: DB, g: Grant): Promise<void> {
  const hit = await db.selectFrom('assignment').select('role_id').where(isGrant(g)).executeTakeFirst();
  if (!hit) throw assignmentNotFound(g.roleId, g.actorId, row(g).target_id);
}

export async function deleteGrant(db: DB, g: Grant): Promise<void> {
  const res = await db.deleteFrom('assignment').where(isGrant(g)).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw assignmentNotFound(g.roleId, g.actorId, row(g).target_id);
  // Application credentials cannot outlive the roles they delegate (Keystone deletes them too).
  if (g.actor === 'user' && g.target === 'project' && !g.inherited) {
    const creds = await db
      .selectFrom('application_credential as a')
      .innerJoin('application_credential_role as r', 'r.application_credential_id', 'a.id')
      .select('a.id')
      .where('a.user_id', '=', g.actorId)
      .where('a.project_id', '=', g.targetId)
      .where('r.role_id', '=', g.roleId)
      .execute();
    if (creds.length)
      await db
        .deleteFrom('application_credential')
        .where(
          'id',
          'in',
          creds.map((c) => c.id),
        )
        .execute();
  }
}

/** The roles granted to an actor on a target: directly, or (`inherited`) to the projects below it. */
export async function grantedRoleIds(
  db: DB,
  actor: ActorKind,
  actorId: string,
  target: TargetKind,
  targetId: string,
  inherited = false,
): Promise<string[]> {
  const rows = await db
    .selectFrom('assignment')
    .select('role_id')
    .where('type', '=', assignmentType(actor, target))
    .where('actor_id', '=', actorId)
    .where('target_id', '=', target === 'system' ? SYSTEM_TARGET : targetId)
    .where('inherited', '=', inherited ? 1 : 0)
    .orderBy('role_id')
    .execute();
  return rows.map((r) => r.role_id);
}

export const PROJECT_TYPES: AssignmentType[] = ['UserProject', 'GroupProject'];
export const DOMAIN_TYPES: AssignmentType[] = ['UserDomain', 'GroupDomain'];

/** Inherited assignments that reach a project of this lineage: on its domain, or on an ancestor. */
export function inheritedOnto(
  eb: ExpressionBuilder<IdentityDB, 'assignment'>,
  lineage: { domainId: string; ancestors: string[] },
) {
  const fromAbove = [eb.and([eb('type', 'in', DOMAIN_TYPES), eb('target_id', '=', lineage.domainId)])];
  if (lineage.ancestors.length) {
    fromAbove.push(eb.and([eb('type', 'in', PROJECT_TYPES), eb('target_id', 'in', lineage.ancestors)]));
  }
  return eb.and([eb('inherited', '=', 1), eb.or(fromAbove)]);
}

/** The ids of every role a user has on a target: own and group assignments there, on a project
 * also those inherited from its domain and its ancestors, plus implied roles. Domain-specific
 * roles are left out unless asked for (a trust may delegate them, a token never carries them). */
export async function effectiveRoleIds(
  db: DB,
  userId: string,
  target: TargetKind,
  targetId: string,
  opts: { withDomainRoles?: boolean } = {},
): Promise<string[]> {
  const actors = [userId, ...(await groupIdsOf(db, userId))];
  const lineage = target === 'project' ? await projectLineage(db, targetId) : null;
  const rows = await db
    .selectFrom('assignment')
    .select('role_id')
    .distinct()
    .where('actor_id', 'in', actors)
    .where((eb) => {
      // An assignment row of a group type never matches a user id and vice versa: ids are unique.
      const direct = eb.and([
        eb('type', 'in', [assignmentType('user', target), assignmentType('group', target)]),
        eb('target_id', '=', target === 'system' ? SYSTEM_TARGET : targetId),
        eb('inherited', '=', 0),
      ]);
      return lineage ? eb.or([direct, inheritedOnto(eb, lineage)]) : direct;
    })
    .execute();
  const ids = [
    ...(
      await expandImplied(
        db,
        rows.map((r) => r.role_id),
      )
    ).keys(),
  ];
  if (opts.withDomainRoles) return ids;
  const global = await globalRoleIds(db, ids);
  return ids.filter((id) => global.has(id));
}

/** The projects an inherited assignment on this target reaches. */
export async function inheritingProjects(db: DB, target: TargetKind, targetId: string): Promise<string[]> {
  return target === 'domain' ? projectsInDomains(db, [targetId]) : projectsBelow(db, [targetId]);
}

/** The projects (or domains) on which a user has any role, directly, through a group, or (projects)
 * inherited from a domain or an ancestor. */
export async function targetsOfUser(db: DB, userId: string, target: 'project' | 'domain'): Promise<string[]> {
  const actors = [userId, ...(await groupIdsOf(db, userId))];
  const rows = await db
    .selectFrom('assignment')
    .select(['target_id', 'type', 'inherited'])
    .distinct()
    .where('actor_id', 'in', actors)
    .where('type', 'in', target === 'project' ? [...PROJECT_TYPES, ...DOMAIN_TYPES] : DOMAIN_TYPES)
    .execute();
  const out = new Set<string>();
  const inheritedFrom = new Map<string, TargetKind>();
  for (const r of rows) {
    const kind = parseType(r.type).target;
    if (!r.inherited) {
      if (kind === target) out.add(r.target_id);
    } else if (target === 'project') {
      inheritedFrom.set(r.target_id, kind);
    }
  }
  for (const [id, kind] of inheritedFrom) for (const p of await inheritingProjects(db, kind, id)) out.add(p);
  return [...out];
}
