// GET /v3/role_assignments: who holds which role where, optionally as effectively held (groups
// expanded to their members, implied roles added) and with names.
import type { FastifyRequest } from 'fastify';
import type { RouteTable } from '../../common/http/app.js';
import type { Identity } from '../context.js';
import { NULL_DOMAIN } from '../db/schema.js';
import { invalid } from '../exceptions.js';
import { collectionLinks, query, queryFlag, sendJson, v3Url } from '../http.js';
import { listAssignments, type AssignmentEntry, type AssignmentFilter } from '../objects/role_assignment_list.js';
import { listProjects } from '../objects/project.js';
import { listDomains } from '../objects/domain.js';
import { listUsers } from '../objects/user.js';
import { listGroups } from '../objects/group.js';
import { rolesByIds } from '../objects/role.js';
import { domainFilterTarget, enforcer } from './common.js';

function filterOf(req: FastifyRequest): AssignmentFilter & { includeNames: boolean } {
  const q = query(req);
  const f = {
    userId: q['user.id'],
    groupId: q['group.id'],
    roleId: q['role.id'],
    projectId: q['scope.project.id'],
    domainId: q['scope.domain.id'],
    system: q['scope.system'] !== undefined ? true : undefined,
    inheritedOnly: q['scope.OS-INHERIT:inherited_to'] !== undefined ? true : undefined,
    includeSubtree: q.include_subtree !== undefined && queryFlag(q.include_subtree) === true,
    effective: q.effective !== undefined && queryFlag(q.effective),
    includeNames: q.include_names !== undefined && queryFlag(q.include_names) === true,
  };
  if (f.userId !== undefined && f.groupId !== undefined) throw invalid('Specify a user or group, not both');
  if ([f.projectId, f.domainId, f.system].filter((x) => x !== undefined).length > 1) {
    throw invalid('Specify one of domain, project or system');
  }
  if (f.effective && f.groupId !== undefined) {
    throw invalid('Combining effective and group filter will always result in an empty list.');
  }
  if (f.inheritedOnly && q['scope.OS-INHERIT:inherited_to'] !== 'projects') {
    throw invalid('scope.OS-INHERIT:inherited_to only takes the value projects');
  }
  if (f.includeSubtree && f.projectId === undefined) {
    throw invalid('scope.project.id needs to be specified if include_subtree is also specified');
  }
  return f;
}

/** The grant an entry comes from: the assignment itself, or the inherited one it is derived from. */
function assignmentLink(
  req: FastifyRequest,
  e: AssignmentEntry,
  actor: 'user' | 'group',
  actorId: string,
  roleId: string,
) {
  const source = e.inheritedFrom ?? (e.inherited ? e : null);
  if (source) {
    return v3Url(
      req,
      `/OS-INHERIT/${source.target}s/${source.targetId}/${actor}s/${actorId}/roles/${roleId}/inherited_to_projects`,
    );
  }
  const target = e.target === 'system' ? '/system' : `/${e.target}s/${e.targetId}`;
  return v3Url(req, `${target}/${actor}s/${actorId}/roles/${roleId}`);
}

export function roleAssignmentRoutes(identity: Identity): RouteTable {
  const enforce = enforcer(identity);
  const db = identity.db;
  return {
    '/v3/role_assignments': {
      GET: async (req, reply) => {
        const f = filterOf(req);
        enforce(req, 'list_role_assignments', domainFilterTarget(f.domainId));
        const entries = await listAssignments(db, f);
        const names = f.includeNames ? await nameMaps(identity, entries) : undefined;
        const body = entries.map((e) => {
          const actorRef: Record<string, unknown> = { id: e.actorId };
          const roleRef: Record<string, unknown> = { id: e.roleId };
          const scope: Record<string, unknown> =
            e.target === 'system' ? { system: { all: true } } : { [e.target]: { id: e.targetId } };
          if (e.inherited) scope['OS-INHERIT:inherited_to'] = 'projects';
          if (names) {
            const actor = (e.actor === 'user' ? names.users : names.groups).get(e.actorId);
            if (actor) Object.assign(actorRef, { name: actor.name, domain: names.domainRef(actor.domain_id) });
            const role = names.roles.get(e.roleId);
            if (role) {
              roleRef.name = role.name;
              if (role.domain_id !== NULL_DOMAIN) roleRef.domain = names.domainRef(role.domain_id);
            }
            if (e.target === 'project') {
              const p = names.projects.get(e.targetId);
              if (p) scope.project = { id: p.id, name: p.name, domain: names.domainRef(p.domain_id) };
            } else if (e.target === 'domain') {
              scope.domain = names.domainRef(e.targetId);
            }
          }
          const links: Record<string, string> = e.viaGroup
            ? {
                assignment: assignmentLink(req, e, 'group', e.viaGroup, e.assignedRoleId),
                membership: v3Url(req, `/groups/${e.viaGroup}/users/${e.actorId}`),
              }
            : { assignment: assignmentLink(req, e, e.actor, e.actorId, e.assignedRoleId) };
          if (e.priorRoleId) links.prior_role = v3Url(req, `/roles/${e.priorRoleId}/implies/${e.roleId}`);
          return { role: roleRef, [e.actor]: actorRef, scope, links };
        });
        return sendJson(reply, 200, { role_assignments: body, links: collectionLinks(req) });
      },
    },
  };
}

/** Names of everything the entries refer to, fetched with one query per kind. */
async function nameMaps(identity: Identity, entries: AssignmentEntry[]) {
  const db = identity.db;
  const ids = (pred: (e: AssignmentEntry) => boolean, pick: (e: AssignmentEntry) => string) => [
    ...new Set(entries.filter(pred).map(pick)),
  ];
  const users = new Map(
    (
      await listUsers(db, {
        ids: ids(
          (e) => e.actor === 'user',
          (e) => e.actorId,
        ),
      })
    ).map((u) => [u.id, u]),
  );
  const groups = new Map(
    (
      await listGroups(db, {
        ids: ids(
          (e) => e.actor === 'group',
          (e) => e.actorId,
        ),
      })
    ).map((g) => [g.id, g]),
  );
  const projects = new Map(
    (
      await listProjects(db, {
        ids: ids(
          (e) => e.target === 'project',
          (e) => e.targetId,
        ),
      })
    ).map((p) => [p.id, p]),
  );
  const roles = await rolesByIds(
    db,
    ids(
      () => true,
      (e) => e.roleId,
    ),
  );
  const domains = new Map((await listDomains(db, {})).map((d) => [d.id, d]));
  const domainRef = (id: string) => ({ id, name: domains.get(id)?.name ?? '' });
  return { users, groups, projects, roles, domainRef };
}
