// Project isolation across the whole cloud of `concord up`: a member of one project can neither
// see nor change another project's resources, in any service (placement, identity, image). Each direction (A against B, B
// against A) runs the same matrix, then checks that the victim's resources are unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../helpers/allinone.js';

const PV = { 'openstack-api-version': 'placement latest' };

/** Each service's content types: placement's microversion, Glance's JSON patch and image data. */
function headersFor(method: string, url: string): Record<string, string> {
  if (url.startsWith('/placement')) return PV;
  if (url.startsWith('/image') && method === 'PATCH')
    return { 'content-type': 'application/openstack-images-v2.1-json-patch' };
  if (url.endsWith('/file') && method === 'PUT') return { 'content-type': 'application/octet-stream' };
  return {};
}

interface Tenant {
  name: string;
  projectId: string;
  userId: string;
  password: string;
  token: string;
  consumer: string;
  appCredId: string;
  imageId: string;
}

describe('project isolation in every service', () => {
  let c: LocalCloud;
  let admin: string;
  let rp: string;
  let memberRole: string;
  const tenants: Record<'a' | 'b', Tenant> = {} as never;

  const asAdmin = async (method: string, url: string, body?: unknown, headers?: Record<string, string>) => {
    const r = await c.call(method, url, admin, body, headers);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  async function tenant(key: 'a' | 'b', consumer: string): Promise<Tenant> {
    const name = `project-${key}`;
    const password = `pw-${key}-${consumer.slice(0, 8)}`;
    const projectId = (await asAdmin('POST', '/identity/v3/projects', { project: { name } })).project.id;
    const userId = (await asAdmin('POST', '/identity/v3/users', { user: { name: `user-${key}`, password } })).user.id;
    await asAdmin('PUT', `/identity/v3/projects/${projectId}/users/${userId}/roles/${memberRole}`);
    const token = await c.login(`user-${key}`, password, name);
    await asAdmin(
      'PUT',
      `/placement/allocations/${consumer}`,
      {
        allocations: { [rp]: { resources: { VCPU: 2 } } },
        project_id: projectId,
        user_id: userId,
        consumer_generation: null,
        consumer_type: 'INSTANCE',
      },
      PV,
    );
    const ac = await c.call('POST', `/identity/v3/users/${userId}/application_credentials`, token, {
      application_credential: { name: `ac-${key}` },
    });
    expect(ac.status).toBe(201);
    const image = await c.call('POST', '/image/v2/images', token, {
      name: `image-${key}`,
      disk_format: 'raw',
      container_format: 'bare',
    });
    expect(image.status).toBe(201);
    const upload = await c.call('PUT', `/image/v2/images/${image.body.id}/file`, token, `data of ${key}`, {
      'content-type': 'application/octet-stream',
    });
    expect(upload.status).toBe(204);
    return {
      name,
      projectId,
      userId,
      password,
      token,
      consumer,
      appCredId: ac.body.application_credential.id,
      imageId: image.body.id,
    };
  }

  beforeAll(async () => {
    c = await startLocalCloud({ keystoneTokenCacheTime: 0 });
    admin = await c.login('admin', c.cloud.credentials.adminPassword, 'admin');
    memberRole = (await asAdmin('GET', '/identity/v3/roles?name=member')).roles[0].id;
    rp = (await asAdmin('POST', '/placement/resource_providers', { name: 'hv1' }, PV)).uuid;
    await asAdmin(
      'PUT',
      `/placement/resource_providers/${rp}/inventories`,
      {
        resource_provider_generation: 0,
        inventories: { VCPU: { total: 64 } },
      },
      PV,
    );
    tenants.a = await tenant('a', '0a6a7e1c-0c6e-4f6e-9d7a-3f6a4b5c2d10');
    tenants.b = await tenant('b', '0b6a7e1c-0c6e-4f6e-9d7a-3f6a4b5c2d10');
  });
  afterAll(async () => {
    await c?.close();
  });

  describe.each([
    ['a', 'b'],
    ['b', 'a'],
  ] as const)('a member of project %s against project %s', (me, them) => {
    const matrix = (): [string, string, unknown, number][] => {
      const self = tenants[me];
      const other = tenants[them];
      const ac = `/identity/v3/users/${other.userId}/application_credentials`;
      return [
        // Placement: usages are the project's own business; allocations and providers the system's.
        ['GET', `/placement/usages?project_id=${self.projectId}`, undefined, 200],
        ['GET', `/placement/usages?project_id=${other.projectId}`, undefined, 403],
        ['GET', `/placement/usages?project_id=${other.projectId}&user_id=${other.userId}`, undefined, 403],
        ['GET', `/placement/allocations/${other.consumer}`, undefined, 403],
        [
          'PUT',
          `/placement/allocations/${other.consumer}`,
          {
            allocations: {},
            project_id: self.projectId,
            user_id: self.userId,
            consumer_generation: 1,
          },
          403,
        ],
        ['DELETE', `/placement/allocations/${other.consumer}`, undefined, 403],
        [
          'POST',
          '/placement/allocations',
          {
            [other.consumer]: {
              allocations: {},
              project_id: self.projectId,
              user_id: self.userId,
              consumer_generation: 1,
            },
          },
          403,
        ],
        ['GET', `/placement/resource_providers/${rp}/allocations`, undefined, 403],
        ['GET', '/placement/resource_providers', undefined, 403],
        ['DELETE', `/placement/resource_providers/${rp}/inventories`, undefined, 403],
        // Identity: the other project, its user, their roles, credentials and tokens.
        ['GET', `/identity/v3/projects/${self.projectId}`, undefined, 200],
        ['GET', `/identity/v3/projects/${other.projectId}`, undefined, 403],
        ['PATCH', `/identity/v3/projects/${other.projectId}`, { project: { description: 'mine now' } }, 403],
        ['DELETE', `/identity/v3/projects/${other.projectId}`, undefined, 403],
        ['GET', `/identity/v3/users/${other.userId}`, undefined, 403],
        ['PATCH', `/identity/v3/users/${other.userId}`, { user: { password: 'taken-over' } }, 403],
        ['DELETE', `/identity/v3/users/${other.userId}`, undefined, 403],
        ['GET', `/identity/v3/users/${other.userId}/projects`, undefined, 403],
        ['GET', ac, undefined, 403],
        ['POST', ac, { application_credential: { name: 'stolen' } }, 403],
        ['GET', `${ac}/${other.appCredId}`, undefined, 403],
        ['DELETE', `${ac}/${other.appCredId}`, undefined, 403],
        ['GET', `/identity/v3/role_assignments?scope.project.id=${other.projectId}`, undefined, 403],
        ['GET', `/identity/v3/projects/${other.projectId}/users/${other.userId}/roles`, undefined, 403],
        ['PUT', `/identity/v3/projects/${other.projectId}/users/${self.userId}/roles/${memberRole}`, undefined, 403],
        [
          'DELETE',
          `/identity/v3/projects/${other.projectId}/users/${other.userId}/roles/${memberRole}`,
          undefined,
          403,
        ],
        // Image: another project's image does not exist as far as this project can tell (Glance's 404).
        ['GET', `/image/v2/images/${self.imageId}`, undefined, 200],
        ['GET', `/image/v2/images/${other.imageId}`, undefined, 404],
        ['GET', `/image/v2/images/${other.imageId}/file`, undefined, 404],
        ['PATCH', `/image/v2/images/${other.imageId}`, [{ op: 'replace', path: '/name', value: 'mine now' }], 404],
        ['PUT', `/image/v2/images/${other.imageId}/file`, 'overwritten', 404],
        ['DELETE', `/image/v2/images/${other.imageId}`, undefined, 404],
        ['PUT', `/image/v2/images/${other.imageId}/tags/mine`, undefined, 404],
        ['GET', `/image/v2/images/${other.imageId}/members`, undefined, 404],
        ['POST', `/image/v2/images/${other.imageId}/members`, { member: self.projectId }, 404],
      ];
    };

    it('is refused everything of the other project, and gets what is its own', async () => {
      const self = tenants[me];
      for (const [method, url, body, status] of matrix()) {
        const r = await c.call(method, url, self.token, body, headersFor(method, url));
        expect(r.status, `${method} ${url}: ${JSON.stringify(r.body)}`).toBe(status);
      }
      const usages = await c.call('GET', `/placement/usages?project_id=${self.projectId}`, self.token, undefined, PV);
      expect(usages.body.usages).toEqual({ INSTANCE: { consumer_count: 1, VCPU: 2 } });
      const images = await c.call('GET', '/image/v2/images', self.token);
      expect(images.body.images.map((i: { name: string }) => i.name).sort()).toEqual([
        'cirros-0.6.2-x86_64-disk',
        `image-${me}`,
      ]);
    });

    it("cannot look at, check or revoke the other user's token", async () => {
      const headers = { 'x-subject-token': tenants[them].token };
      for (const method of ['GET', 'HEAD', 'DELETE']) {
        const r = await c.call(method, '/identity/v3/auth/tokens', tenants[me].token, undefined, headers);
        expect(r.status, method).toBe(403);
      }
    });

    it('cannot get a token for the other project, by password or by rescoping its own token', async () => {
      const self = tenants[me];
      const scope = { project: { id: tenants[them].projectId } };
      const byPassword = await c.call('POST', '/identity/v3/auth/tokens', '', {
        auth: {
          identity: { methods: ['password'], password: { user: { id: self.userId, password: self.password } } },
          scope,
        },
      });
      expect(byPassword.status).toBe(401);
      const rescoped = await c.call('POST', '/identity/v3/auth/tokens', '', {
        auth: { identity: { methods: ['token'], token: { id: self.token } }, scope },
      });
      expect(rescoped.status).toBe(401);
      const projects = await c.call('GET', '/identity/v3/auth/projects', self.token);
      expect(projects.body.projects.map((p: { id: string }) => p.id)).toEqual([self.projectId]);
    });

    it("left the other project's resources as they were", async () => {
      const other = tenants[them];
      const alloc = await asAdmin('GET', `/placement/allocations/${other.consumer}`, undefined, PV);
      expect(alloc).toMatchObject({
        allocations: { [rp]: { resources: { VCPU: 2 } } },
        project_id: other.projectId,
        user_id: other.userId,
      });
      const project = await asAdmin('GET', `/identity/v3/projects/${other.projectId}`);
      expect(project.project).toMatchObject({ name: other.name, description: '' });
      const roles = await asAdmin('GET', `/identity/v3/role_assignments?scope.project.id=${other.projectId}`);
      expect(roles.role_assignments.map((a: { user: { id: string } }) => a.user.id)).toEqual([other.userId]);
      await asAdmin('GET', `/identity/v3/users/${other.userId}/application_credentials/${other.appCredId}`);
      const image = await asAdmin('GET', `/image/v2/images/${other.imageId}`);
      expect(image).toMatchObject({ name: `image-${them}`, status: 'active', tags: [], owner: other.projectId });
      expect((await c.call('GET', `/image/v2/images/${other.imageId}/file`, admin)).body).toBe(`data of ${them}`);
      const still = await c.call('GET', '/identity/v3/auth/tokens', admin, undefined, {
        'x-subject-token': other.token,
      });
      expect(still.status).toBe(200);
      expect(await c.login(`user-${them}`, other.password, other.name)).toBeTruthy();
    });
  });
});
