// /servers as Nova Zed answers: a create checked against flavor, image (through Glance, as the
// user), key pair, zone and quota, written whole with its build job or not at all; the bodies of
// show and lists per caller and microversion; filters, pages, all_tenants; updates; deletes.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServersCloud, type ServersCloud } from '../helpers/servers.js';

describe('servers API', () => {
  let t: ServersCloud;
  beforeAll(async () => {
    t = await startServersCloud({ quotaInstances: 6 });
    await t.flavor('vm-tiny', 1024, 1, 1);
    await t.flavor('vm-huge', 30000, 1, 1);
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const counts = async () => ({
    instances: (await t.db.selectFrom('instances').select('id').execute()).length,
    jobs: (await sql`SELECT id FROM compute_jobs`.execute(t.db)).rows.length,
  });
  const refused = async (body: unknown, status = 400, version = 'latest') => {
    const before = await counts();
    const r = await t.nova('POST', '/servers', body, { token: t.demo, version });
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(await counts()).toEqual(before);
    return Object.values(r.body as Record<string, { message: string }>)[0]!.message;
  };
  const server = (s: Record<string, unknown>) => ({
    server: { name: 'x', imageRef: t.imageId, flavorRef: 'vm-tiny', networks: 'none', ...s },
  });

  it("refuses bad input in Nova's words, creating nothing", async () => {
    expect(await refused(server({ flavorRef: 'nope' }))).toBe('Flavor nope could not be found.');
    expect(await refused(server({ imageRef: '6b7b5f0e-0000-4000-8000-000000000000' }))).toBe(
      'Can not find requested image',
    );
    expect(await refused(server({ key_name: 'missing' }))).toBe('Invalid key_name provided.');
    // The image as the user sees it in Glance, against the flavor.
    const image = async (props: Record<string, unknown>, data: boolean) => {
      const r = await t.local.call('POST', '/image/v2/images', t.admin, {
        disk_format: 'raw',
        container_format: 'bare',
        ...props,
      });
      if (data) {
        await t.local.call('PUT', `/image/v2/images/${r.body.id}/file`, t.admin, 'x'.repeat(64), {
          'content-type': 'application/octet-stream',
        });
      }
      return r.body.id as string;
    };
    const queued = await image({ name: 'queued', visibility: 'public' }, false);
    expect(await refused(server({ imageRef: queued }))).toBe(`Image ${queued} is not active.`);
    const hungry = await image({ name: 'hungry', visibility: 'public', min_ram: 2048 }, true);
    expect(await refused(server({ imageRef: hungry }))).toBe("Flavor's memory is too small for requested image.");
    const wide = await image({ name: 'wide', visibility: 'public', min_disk: 5 }, true);
    expect(await refused(server({ imageRef: wide }))).toBe(
      "Flavor's disk is smaller than the minimum size specified " +
        `in image metadata. Flavor disk is ${1024 ** 3} bytes, minimum size is ${5 * 1024 ** 3} bytes.`,
    );
    const privateImage = await image({ name: 'mine' }, true);
    expect(await refused(server({ imageRef: privateImage }))).toBe('Can not find requested image');
    expect(
      await refused({ ...server({}), 'os:scheduler_hints': { group: 'b1c0ffee-0000-4000-8000-000000000000' } }),
    ).toBe('Instance group b1c0ffee-0000-4000-8000-000000000000 could not be found.');
    expect(await refused(server({ availability_zone: 'mars' }))).toBe(
      'The requested availability zone is not available',
    );
    expect(await refused(server({ min_count: 3, max_count: 2 }))).toBe(
      'Invalid input received: min_count must be <= max_count',
    );
    expect(await refused(server({ name: ' x' }))).toBe(
      "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
    );
    expect(await refused(server({ user_data: 'not base64!' }))).toMatch(
      /^Invalid input for field\/attribute user_data\./,
    );
    expect(await refused(server({ color: 'red' }))).toMatch(
      /Additional properties are not allowed \('color' was unexpected\)/,
    );
    expect(await refused(server({ networks: [{ uuid: 'b1c0ffee-0000-4000-8000-000000000000' }] }))).toBe(
      'Network b1c0ffee-0000-4000-8000-000000000000 could not be found.',
    );
    // networks is required from 2.37, optional before.
    const { networks: _n, ...noNetworks } = server({}).server;
    expect(await refused({ server: noNetworks })).toBe(
      'Invalid input for field/attribute server. Value: ' +
        `{'name': 'x', 'imageRef': '${t.imageId}', 'flavorRef': 'vm-tiny'}. 'networks' is a required property`,
    );
    expect(
      await refused(
        server({ metadata: Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v'])) }),
        403,
      ),
    ).toBe('Maximum number of metadata items exceeds 128');
    expect(await refused(server({ flavorRef: 'vm-huge', min_count: 2 }), 403)).toBe(
      'Quota exceeded for ram: Requested 60000, but already used 0 of 51200 ram',
    );
    expect(await refused(server({ flavorRef: 'vm-huge', min_count: 7 }), 403)).toBe(
      'Quota exceeded for instances, ram: ' + 'Requested 7, 210000, but already used 0, 0 of 6, 51200 instances, ram',
    );
    expect(await refused(server({ min_count: 7 }), 403)).toBe(
      'Quota exceeded for instances: Requested 7, but already used 0 of 6 instances',
    );
    // Only administrators force a host.
    expect(await refused(server({ availability_zone: 'nova:h1' }), 403)).toBe(
      "Policy doesn't allow os_compute_api:servers:create:forced_host to be performed.",
    );
  });

  it("creates a server whole: instance, Nova's flavor JSON, request spec, create action, build job", async () => {
    const r = await t.nova(
      'POST',
      '/servers',
      server({ name: 'web 1', metadata: { role: 'web' }, user_data: 'aGVsbG8=' }),
      { token: t.demo },
    );
    expect(r.status).toBe(202);
    const id = r.body.server.id as string;
    expect(r.body.server).toMatchObject({ id, 'OS-DCF:diskConfig': 'MANUAL', security_groups: [{ name: 'default' }] });
    expect(r.body.server.adminPass).toMatch(/^[a-zA-Z2-9]{12}$/);
    expect(r.headers.location).toBe(`http://localhost:80/compute/v2.1/servers/${id}`);
    const row = await t.db.selectFrom('instances').selectAll().where('uuid', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      display_name: 'web 1',
      hostname: 'web-1',
      project_id: t.demoProject,
      vcpus: 1,
      memory_mb: 1024,
      root_gb: 1,
      image_ref: t.imageId,
      user_data: 'aGVsbG8=',
      architecture: 'x86_64',
    });
    const extra = await t.db
      .selectFrom('instance_extra')
      .select('flavor')
      .where('instance_uuid', '=', id)
      .executeTakeFirstOrThrow();
    const flavor = JSON.parse(extra.flavor!);
    expect(flavor.old).toBeNull();
    expect(flavor.cur['nova_object.name']).toBe('Flavor');
    expect(flavor.cur['nova_object.data']).toMatchObject({
      flavorid: 'vm-tiny',
      memory_mb: 1024,
      vcpus: 1,
      root_gb: 1,
      extra_specs: {},
    });
    const spec = await t.db
      .selectFrom('request_specs')
      .select('spec')
      .where('instance_uuid', '=', id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(spec.spec)).toMatchObject({
      num_instances: 1,
      image: { id: t.imageId, properties: { architecture: 'x86_64' } },
    });
    const actions = await t.nova('GET', `/servers/${id}/os-instance-actions`, undefined, { token: t.demo });
    expect(actions.body.instanceActions).toMatchObject([
      { action: 'create', instance_uuid: id, project_id: t.demoProject },
    ]);
    // No compute host at all: the conductor finds none and says why.
    const failed = await t.waitFor(id, ['ERROR']);
    expect(failed.fault).toMatchObject({
      code: 500,
      message: 'No valid host was found. There are not enough hosts available.',
    });
    expect(failed.fault.details).toMatch(
      /Placement returned 0 allocation candidate\(s\) on 0 provider\(s\) for GET \/allocation_candidates\?resources=VCPU%3A1%2CMEMORY_MB%3A1024%2CDISK_GB%3A1/,
    );
    const mine = (await t.nova('GET', `/servers/${id}`, undefined, { token: t.demo })).body.server;
    // A 500's details are for administrators.
    expect(mine.fault.details).toBeUndefined();
    expect(mine['OS-EXT-SRV-ATTR:host']).toBeUndefined();
    expect(failed['OS-EXT-SRV-ATTR:host']).toBeNull();
    expect(failed['OS-EXT-SRV-ATTR:user_data']).toBe('aGVsbG8=');
    expect(mine).toMatchObject({
      id,
      name: 'web 1',
      status: 'ERROR',
      tenant_id: t.demoProject,
      metadata: { role: 'web' },
      hostId: '',
      image: { id: t.imageId },
      flavor: { vcpus: 1, ram: 1024, disk: 1, ephemeral: 0, swap: 0, original_name: 'vm-tiny', extra_specs: {} },
      addresses: {},
      'OS-EXT-STS:vm_state': 'error',
      'OS-EXT-STS:task_state': null,
      'OS-EXT-STS:power_state': 0,
      locked: false,
      description: null,
      locked_reason: null,
      server_groups: [],
    });
    // Before 2.47 the flavor is a link.
    const old = (await t.nova('GET', `/servers/${id}`, undefined, { token: t.demo, version: '2.46' })).body.server;
    expect(old.flavor).toEqual({
      id: 'vm-tiny',
      links: [{ rel: 'bookmark', href: 'http://localhost:80/compute/flavors/vm-tiny' }],
    });
    const v21 = (await t.nova('GET', `/servers/${id}`, undefined, { token: t.demo, version: '2.1' })).body.server;
    expect(v21.description).toBeUndefined();
    expect(v21.locked).toBeUndefined();
  });

  it('creates several with a reservation id, and lists them with filters, sorting and pages', async () => {
    const r = await t.nova(
      'POST',
      '/servers',
      server({ name: 'many', min_count: 2, max_count: 3, return_reservation_id: true }),
      { token: t.demo },
    );
    expect(r.status).toBe(202);
    const rid = r.body.reservation_id as string;
    expect(rid).toMatch(/^r-[a-z0-9]{8}$/);
    const mine = await t.nova(
      'GET',
      `/servers/detail?reservation_id=${rid}&sort_key=launch_index&sort_dir=asc`,
      undefined,
      { token: t.demo },
    );
    expect(mine.body.servers.map((s: any) => s.name)).toEqual(['many', 'many', 'many']);
    const hostnames = await t.db
      .selectFrom('instances')
      .select('hostname')
      .where('reservation_id', '=', rid)
      .orderBy('launch_index')
      .execute();
    expect(hostnames.map((h) => h.hostname)).toEqual(['many-1', 'many-2', 'many-3']);
    const page1 = await t.nova('GET', '/servers?limit=2', undefined, { token: t.demo });
    expect(page1.body.servers).toHaveLength(2);
    expect(page1.body.servers_links[0].href).toContain(`marker=${page1.body.servers[1].id}`);
    const page2 = await t.nova('GET', `/servers?limit=2&marker=${page1.body.servers[1].id}`, undefined, {
      token: t.demo,
    });
    expect(page2.body.servers.map((s: any) => s.id)).not.toContain(page1.body.servers[0].id);
    expect((await t.nova('GET', '/servers?marker=nope', undefined, { token: t.demo })).body.badRequest.message).toBe(
      'marker [nope] not found',
    );
    expect(
      (await t.nova('GET', '/servers?name=^web', undefined, { token: t.demo })).body.servers.map((s: any) => s.name),
    ).toEqual(['web 1']);
    expect((await t.nova('GET', '/servers?status=FOO', undefined, { token: t.demo })).status).toBe(400);
    expect((await t.nova('GET', '/servers?sort_key=color', undefined, { token: t.demo })).status).toBe(400);
    // Others' servers only for administrators who ask.
    expect((await t.nova('GET', '/servers?all_tenants=1', undefined, { token: t.demo })).status).toBe(403);
    expect((await t.nova('GET', '/servers')).body.servers).toEqual([]);
    const all = await t.nova('GET', `/servers/detail?all_tenants=1&project_id=${t.demoProject}`);
    expect(all.body.servers.length).toBe(4);
    expect((await t.nova('GET', `/servers/${all.body.servers[0].id}`, undefined, { token: t.admin })).status).toBe(200);
  });

  it('updates name and description, and deletes an unscheduled server at once', async () => {
    const id = (await t.nova('GET', '/servers?name=^web', undefined, { token: t.demo })).body.servers[0].id;
    const u = await t.nova(
      'PUT',
      `/servers/${id}`,
      { server: { name: 'web-2', description: 'front' } },
      { token: t.demo },
    );
    expect(u.status).toBe(200);
    expect(u.body.server).toMatchObject({ name: 'web-2', description: 'front' });
    expect(
      (await t.nova('PUT', `/servers/${id}`, { server: { description: 'x' } }, { token: t.demo, version: '2.18' }))
        .status,
    ).toBe(400);
    const since = new Date(Date.now() - 60000).toISOString();
    // A server in ERROR without a host is deleted by the API itself.
    expect((await t.nova('DELETE', `/servers/${id}`, undefined, { token: t.demo })).status).toBe(204);
    expect((await t.nova('GET', `/servers/${id}`, undefined, { token: t.demo })).body.itemNotFound.message).toBe(
      `Instance ${id} could not be found.`,
    );
    const changed = await t.nova('GET', `/servers/detail?changes-since=${encodeURIComponent(since)}`, undefined, {
      token: t.demo,
    });
    expect(changed.body.servers.find((s: any) => s.id === id)?.status).toBe('DELETED');
    const actions = await t.nova('GET', `/servers/${id}/os-instance-actions`, undefined, { token: t.demo });
    expect(actions.body.instanceActions.map((a: any) => a.action)).toEqual(['delete', 'create']);
    // Another project's server does not exist for the demo user.
    expect((await t.nova('DELETE', `/servers/${id}`, undefined, { token: t.demo })).status).toBe(404);
  });

  it("locks: the owner cannot act on a locked server, and cannot undo an administrator's lock", async () => {
    const id = await t.boot({ name: 'locked' }, { token: t.demo });
    expect((await t.nova('POST', `/servers/${id}/action`, { lock: { locked_reason: 'audit' } })).status).toBe(202);
    const shown = (await t.nova('GET', `/servers/${id}`, undefined, { token: t.demo })).body.server;
    expect(shown).toMatchObject({ locked: true, locked_reason: 'audit' });
    expect(
      (await t.nova('DELETE', `/servers/${id}`, undefined, { token: t.demo })).body.conflictingRequest.message,
    ).toBe(`Instance ${id} is locked`);
    expect((await t.nova('POST', `/servers/${id}/action`, { unlock: null }, { token: t.demo })).status).toBe(403);
    expect((await t.nova('POST', `/servers/${id}/action`, { unlock: null })).status).toBe(202);
    expect(
      (await t.nova('POST', `/servers/${id}/action`, { 'os-stop': null }, { token: t.demo })).body.conflictingRequest
        .message,
    ).toMatch(new RegExp(`^Cannot 'stop' instance ${id} while it is in vm_state (building|error)$`));
    expect(
      (await t.nova('POST', `/servers/${id}/action`, { explode: null }, { token: t.demo })).body.badRequest.message,
    ).toBe('There is no such action: explode');
  });

  it('filters lists by tags from 2.26 as Nova does: all of, any of, not all of, none of', async () => {
    // The admin's own project, empty until now.
    const tagged: Record<string, string[]> = { ab: ['a', 'b'], a: ['a'], bc: ['b', 'c'], none: [] };
    for (const [name, tags] of Object.entries(tagged)) await t.boot({ name, tags });
    const names = async (query: string, version = 'latest', path = '/servers') => {
      const r = await t.nova('GET', `${path}?${query}`, undefined, { version });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return (r.body.servers as { name: string }[]).map((s) => s.name).sort();
    };
    expect(await names('tags=a,b')).toEqual(['ab']);
    expect(await names('tags=a')).toEqual(['a', 'ab']);
    expect(await names('tags=a,a')).toEqual(['a', 'ab']);
    expect(await names('tags-any=a,c')).toEqual(['a', 'ab', 'bc']);
    expect(await names('not-tags=a,b')).toEqual(['a', 'bc', 'none']);
    expect(await names('not-tags-any=a,c')).toEqual(['none']);
    expect(await names('tags=b&not-tags-any=c', 'latest', '/servers/detail')).toEqual(['ab']);
    expect(await names('tags-any=b&not-tags=b,c&tags=a')).toEqual(['ab']);
    // The last of a repeated parameter counts, as with Nova's other single-valued filters.
    expect(await names('tags=c&tags=a')).toEqual(['a', 'ab']);
    expect(await names('tags=')).toEqual([]);
    expect(await names('tags=zzz')).toEqual([]);
    // Before 2.26 the tag filters are ignored.
    expect(await names('tags=a,b&not-tags-any=a', '2.25')).toEqual(['a', 'ab', 'bc', 'none']);
    expect(await names('tags=a,b', '2.26')).toEqual(['ab']);
    // A server deleted by the API itself (no host) takes its tags with it.
    const ab = (await t.nova('GET', '/servers?name=^ab$')).body.servers[0].id as string;
    expect((await t.nova('DELETE', `/servers/${ab}`)).status).toBe(204);
    expect(await t.db.selectFrom('tags').select('tag').where('resource_id', '=', ab).execute()).toEqual([]);
  });
});
