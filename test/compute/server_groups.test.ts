// /os-server-groups as Nova Zed answers (policies before 2.64, policy and rules from it, members,
// all_projects for administrators, quotas), and the groups' policies applied by the scheduler:
// affinity keeps members together, anti-affinity up to max_server_per_host per host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServersCloud, TestDriver, type ServersCloud } from '../helpers/servers.js';

describe('server groups', () => {
  let t: ServersCloud;
  beforeAll(async () => {
    t = await startServersCloud({ quotaServerGroups: 3, quotaServerGroupMembers: 3 });
    await t.flavor('vm-tiny', 1024, 1, 1);
    const driver = new TestDriver();
    for (const host of ['g1', 'g2']) {
      await t.hypervisor({ host, vcpus: 8 });
      t.manager(host, driver);
    }
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const create = (body: unknown, version = 'latest', token?: string) =>
    t.nova('POST', '/os-server-groups', body, { version, ...(token ? { token } : {}) });

  it('creates, shows, lists and deletes in the shape of each microversion, refusing what Nova refuses', async () => {
    const old = await create({ server_group: { name: 'old', policies: ['affinity'] } }, '2.1', t.demo);
    expect(old.status).toBe(200);
    expect(old.body.server_group).toEqual({
      id: expect.any(String),
      name: 'old',
      policies: ['affinity'],
      members: [],
      metadata: {},
    });
    const v213 = await t.nova('GET', `/os-server-groups/${old.body.server_group.id}`, undefined, {
      version: '2.13',
      token: t.demo,
    });
    expect(v213.body.server_group).toMatchObject({ project_id: t.demoProject, policies: ['affinity'] });
    const latest = await create(
      { server_group: { name: 'apart', policy: 'anti-affinity', rules: { max_server_per_host: 2 } } },
      'latest',
      t.demo,
    );
    expect(latest.body.server_group).toEqual({
      id: expect.any(String),
      name: 'apart',
      policy: 'anti-affinity',
      rules: { max_server_per_host: 2 },
      members: [],
      project_id: t.demoProject,
      user_id: expect.any(String),
    });
    expect((await create({ server_group: { name: 'x', policies: ['soft-affinity'] } }, '2.14', t.demo)).status).toBe(
      400,
    );
    expect(
      (
        await create(
          { server_group: { name: 'x', policy: 'affinity', rules: { max_server_per_host: 2 } } },
          'latest',
          t.demo,
        )
      ).body.badRequest.message,
    ).toBe('Only anti-affinity policy supports rules.');
    expect((await create({ server_group: { name: 'x', policies: ['affinity'] } }, 'latest', t.demo)).status).toBe(400);
    // The admin sees everyone's with all_projects; the demo user only their own, whatever they ask.
    expect((await t.nova('GET', '/os-server-groups')).body.server_groups).toEqual([]);
    expect((await t.nova('GET', '/os-server-groups?all_projects=True')).body.server_groups).toHaveLength(2);
    expect(
      (
        await t.nova('GET', '/os-server-groups?all_projects=True&limit=1&offset=1', undefined, { token: t.demo })
      ).body.server_groups.map((g: any) => g.name),
    ).toEqual(['apart']);
    expect((await create({ server_group: { name: 'third', policy: 'affinity' } }, 'latest', t.demo)).status).toBe(200);
    expect(
      (await create({ server_group: { name: 'fourth', policy: 'affinity' } }, 'latest', t.demo)).body.forbidden.message,
    ).toBe('Quota exceeded, too many server groups.');
    expect(
      (await t.nova('DELETE', `/os-server-groups/${old.body.server_group.id}`, undefined, { token: t.demo })).status,
    ).toBe(204);
    expect((await t.nova('GET', `/os-server-groups/${old.body.server_group.id}`)).body.itemNotFound.message).toBe(
      `Instance group ${old.body.server_group.id} could not be found.`,
    );
  });

  it('keeps an affinity group together and lets anti-affinity put max_server_per_host on each host', async () => {
    const together = (await create({ server_group: { name: 'together', policy: 'affinity' } })).body.server_group.id;
    const a = await t.boot({ name: 'a', min_count: 3 }, { hints: { group: together } }).catch(() => '');
    expect(a).not.toBe('');
    const members = (await t.nova('GET', `/os-server-groups/${together}`)).body.server_group.members as string[];
    expect(members).toHaveLength(3);
    const hosts = await Promise.all(
      members.map(async (m) => (await t.waitFor(m, ['ACTIVE', 'ERROR']))['OS-EXT-SRV-ATTR:host']),
    );
    expect(new Set(hosts).size).toBe(1);
    // The member quota (3) is full.
    const more = await t.nova('POST', '/servers', {
      server: { name: 'b', imageRef: t.imageId, flavorRef: 'vm-tiny', networks: 'none' },
      'os:scheduler_hints': { group: together },
    });
    expect(more.body.forbidden.message).toBe('Quota exceeded, too many servers in group');
    for (const m of members) await t.remove(m);
    expect((await t.nova('GET', `/os-server-groups/${together}`)).body.server_group.members).toEqual([]);

    const apart = (
      await create({ server_group: { name: 'two-each', policy: 'anti-affinity', rules: { max_server_per_host: 2 } } })
    ).body.server_group.id;
    await t.boot({ name: 'c', min_count: 3 }, { hints: { group: apart } });
    const spread = (await t.nova('GET', `/os-server-groups/${apart}`)).body.server_group.members as string[];
    const placed = await Promise.all(
      spread.map(async (m) => (await t.waitFor(m, ['ACTIVE', 'ERROR']))['OS-EXT-SRV-ATTR:host']),
    );
    const perHost = placed.reduce((m: Map<string, number>, h: string) => m.set(h, (m.get(h) ?? 0) + 1), new Map());
    expect([...perHost.values()].sort()).toEqual([1, 2]);
  });
});
