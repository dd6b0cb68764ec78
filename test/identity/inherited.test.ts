// Inherited role assignments (OS-INHERIT): a role granted on a domain or project "inherited to
// projects" applies to the projects below it — in tokens, in /v3/auth/projects and in effective
// role assignment lists — and not to the target itself. On both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdentity, type TestIdentity } from '../helpers/identity.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const skipPg = postgresUnavailable();

describe('inherited role assignments (OS-INHERIT), SQLite', () => inheritance(false));
describe.skipIf(skipPg)(
  `inherited role assignments (OS-INHERIT), PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`,
  () => inheritance(true),
);

function inheritance(postgres: boolean) {
  let pg: PgCluster | undefined;
  let t: TestIdentity;
  let domain: string;
  let top: string;
  let child: string;
  let user: string;
  let group: string;
  const role: Record<string, string> = {};
  const login = (project: string) =>
    t.login({ user: 'heir', password: 'heir-pw', scope: { project: { id: project } } });
  const rolesOf = (r: { body: any }) => (r.body.token.roles as { name: string }[]).map((x) => x.name).sort();

  beforeAll(async () => {
    if (postgres) pg = await startPostgres();
    t = await startIdentity(pg ? { databaseUrl: await pg.createDatabase('inherited') } : {});
    domain = (await t.call('POST', '/v3/domains', { domain: { name: 'estate' } })).body.domain.id;
    top = (await t.call('POST', '/v3/projects', { project: { name: 'top', domain_id: domain } })).body.project.id;
    child = (await t.call('POST', '/v3/projects', { project: { name: 'child', parent_id: top } })).body.project.id;
    user = (await t.call('POST', '/v3/users', { user: { name: 'heir', password: 'heir-pw' } })).body.user.id;
    group = (await t.call('POST', '/v3/groups', { group: { name: 'heirs' } })).body.group.id;
    expect((await t.call('PUT', `/v3/groups/${group}/users/${user}`)).status).toBe(204);
    for (const r of (await t.call('GET', '/v3/roles')).body.roles) role[r.name] = r.id;
  });
  afterAll(async () => {
    await t?.close();
    pg?.stop();
  });

  const domainGrant = () => `/v3/OS-INHERIT/domains/${domain}/users/${user}/roles/${role.member}/inherited_to_projects`;

  it('grants, checks and lists a role inherited from a domain', async () => {
    expect((await login(top)).status).toBe(401);
    expect((await t.call('HEAD', domainGrant())).status).toBe(404);
    expect((await t.call('PUT', domainGrant())).status).toBe(204);
    expect((await t.call('HEAD', domainGrant())).status).toBe(204);
    expect((await t.call('GET', domainGrant())).status).toBe(204);
    const list = await t.call('GET', `/v3/OS-INHERIT/domains/${domain}/users/${user}/roles/inherited_to_projects`);
    expect(list.body.roles.map((r: { name: string }) => r.name)).toEqual(['member']);
    // Not a role on the domain itself.
    expect((await t.call('GET', `/v3/domains/${domain}/users/${user}/roles`)).body.roles).toEqual([]);
  });

  it('puts the inherited role in tokens of every project of the domain, not of the domain', async () => {
    expect(rolesOf(await login(top))).toEqual(['member', 'reader']);
    expect(rolesOf(await login(child))).toEqual(['member', 'reader']);
    const onDomain = await t.login({ user: 'heir', password: 'heir-pw', scope: { domain: { id: domain } } });
    expect(onDomain.status).toBe(401);
    const tok = (await login(top)).token;
    const projects = await t.call('GET', '/v3/auth/projects', undefined, { 'x-auth-token': tok });
    expect(projects.body.projects.map((p: { name: string }) => p.name).sort()).toEqual(['child', 'top']);
  });

  it('lists the assignment as stored, and effectively on each project it reaches', async () => {
    const stored = (await t.call('GET', `/v3/role_assignments?user.id=${user}`)).body.role_assignments;
    expect(stored).toEqual([
      {
        role: { id: role.member },
        user: { id: user },
        scope: { domain: { id: domain }, 'OS-INHERIT:inherited_to': 'projects' },
        links: { assignment: `http://localhost:80${domainGrant()}` },
      },
    ]);
    const only = await t.call('GET', '/v3/role_assignments?scope.OS-INHERIT:inherited_to=projects');
    expect(only.body.role_assignments).toHaveLength(1);
    const effective = (await t.call('GET', `/v3/role_assignments?user.id=${user}&effective`)).body.role_assignments;
    const seen = effective.map(
      (a: any) =>
        `${a.scope.project?.id === top ? 'top' : a.scope.project?.id === child ? 'child' : '?'}:${a.role.id === role.member ? 'member' : 'reader'}`,
    );
    expect(seen.sort()).toEqual(['child:member', 'child:reader', 'top:member', 'top:reader']);
    expect(effective.every((a: any) => a.links.assignment === `http://localhost:80${domainGrant()}`)).toBe(true);
    const onChild = (await t.call('GET', `/v3/role_assignments?scope.project.id=${child}&effective&include_names`)).body
      .role_assignments;
    expect(onChild.map((a: any) => `${a.user.name}:${a.role.name}:${a.scope.project.name}`).sort()).toEqual([
      'heir:member:child',
      'heir:reader:child',
    ]);
    expect(
      (await t.call('GET', `/v3/role_assignments?scope.domain.id=${domain}&effective`)).body.role_assignments,
    ).toEqual([]);
  });

  it("inherits a group's role on a project to its subtree only", async () => {
    const grant = `/v3/OS-INHERIT/projects/${top}/groups/${group}/roles/${role.admin}/inherited_to_projects`;
    expect((await t.call('PUT', grant)).status).toBe(204);
    expect(rolesOf(await login(child))).toEqual(['admin', 'member', 'reader']);
    expect(rolesOf(await login(top))).toEqual(['member', 'reader']);
    const effectiveRoles = async (project: string) =>
      (
        await t.call('GET', `/v3/role_assignments?scope.project.id=${project}&effective&include_names`)
      ).body.role_assignments
        .map((a: { role: { name: string } }) => a.role.name)
        .sort();
    expect(await effectiveRoles(top)).toEqual(['member', 'reader']);
    expect(await effectiveRoles(child)).toEqual(['admin', 'member', 'member', 'reader', 'reader']);
    const subtree = await t.call('GET', `/v3/role_assignments?scope.project.id=${top}&include_subtree=true`);
    expect(subtree.body.role_assignments.map((a: any) => a.scope['OS-INHERIT:inherited_to'])).toEqual(['projects']);
    expect((await t.call('DELETE', grant)).status).toBe(204);
    expect((await t.call('DELETE', grant)).status).toBe(404);
    expect(rolesOf(await login(child))).toEqual(['member', 'reader']);
  });

  it('takes the role away with the grant, and refuses bad requests', async () => {
    const tok = (await login(top)).token;
    expect((await t.call('DELETE', domainGrant())).status).toBe(204);
    expect((await login(top)).status).toBe(401);
    expect((await t.call('GET', '/v3/auth/tokens', undefined, { 'x-subject-token': tok })).status).toBe(404);
    expect((await t.call('GET', '/v3/role_assignments?include_subtree=true')).status).toBe(400);
    expect((await t.call('GET', '/v3/role_assignments?scope.OS-INHERIT:inherited_to=domains')).status).toBe(400);
    expect(
      (await t.call('PUT', `/v3/OS-INHERIT/domains/${domain}/users/${user}/roles/nope/inherited_to_projects`)).status,
    ).toBe(404);
    expect(
      (await t.call('PUT', `/v3/OS-INHERIT/domains/nope/users/${user}/roles/${role.member}/inherited_to_projects`))
        .status,
    ).toBe(404);
  });
}
