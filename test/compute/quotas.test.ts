// Quotas as Nova Zed answers for them, on both engines: os-quota-sets (show, defaults, detail with
// usages counted from the instances table, update with Nova's range checks, per-user limits,
// delete), os-quota-class-sets, GET /limits, each microversion's fields, and checkDeltas, the
// check servers and keypairs run before making something.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, computeEngines, insertInstance, LATEST, mv, type TestCompute } from '../helpers/compute.js';
import { checkDeltas } from '../../src/compute/objects/quota.js';
import { QuotaExceeded } from '../../src/compute/exceptions.js';

const MEMBER = as('alice', 'p1');
const { engines, stop } = computeEngines();
afterAll(stop);

describe.each(engines)('quotas ($name)', ({ skip, start }) => {
  let t: TestCompute;
  beforeAll(async () => {
    if (skip) return;
    t = await start();
    await insertInstance(t, { project_id: 'p1', user_id: 'alice', vcpus: 2, memory_mb: 2048 });
    await insertInstance(t, { project_id: 'p1', user_id: 'bob', vcpus: 4, memory_mb: 4096 });
    // Neither a deleted nor a soft-deleted instance counts.
    await insertInstance(t, { project_id: 'p1', user_id: 'bob', vcpus: 8, memory_mb: 8192, deleted: 1 });
    await insertInstance(t, { project_id: 'p1', user_id: 'bob', vcpus: 8, memory_mb: 8192, vm_state: 'soft-delete' });
  });
  afterAll(async () => {
    await t?.close();
  });
  const test = it.skipIf(skip);

  test("shows the defaults in each microversion's fields", async () => {
    const v21 = (await t.call('GET', '/v2.1/os-quota-sets/p1/defaults')).body.quota_set;
    expect(v21).toEqual({
      id: 'p1',
      cores: 20,
      fixed_ips: -1,
      floating_ips: -1,
      injected_file_content_bytes: 10240,
      injected_file_path_bytes: 255,
      injected_files: 5,
      instances: 10,
      key_pairs: 100,
      metadata_items: 128,
      ram: 51200,
      security_group_rules: -1,
      security_groups: -1,
      server_group_members: 10,
      server_groups: 10,
    });
    const v236 = (await t.call('GET', '/v2.1/os-quota-sets/p1', undefined, mv('2.36'))).body.quota_set;
    expect(Object.keys(v236)).not.toContain('floating_ips');
    expect(v236.injected_files).toBe(5);
    const latest = (await t.call('GET', '/v2.1/os-quota-sets/p1', undefined, LATEST)).body.quota_set;
    expect(latest).toEqual({
      id: 'p1',
      cores: 20,
      instances: 10,
      key_pairs: 100,
      metadata_items: 128,
      ram: 51200,
      server_group_members: 10,
      server_groups: 10,
    });
  });

  test('shows usages counted from the instances, per project and per user', async () => {
    const d = (await t.call('GET', '/v2.1/os-quota-sets/p1/detail', undefined, LATEST)).body.quota_set;
    expect(d.instances).toEqual({ limit: 10, in_use: 2, reserved: 0 });
    expect(d.cores).toEqual({ limit: 20, in_use: 6, reserved: 0 });
    expect(d.ram).toEqual({ limit: 51200, in_use: 6144, reserved: 0 });
    expect(d.key_pairs).toEqual({ limit: 100, in_use: 0, reserved: 0 });
    const u = (await t.call('GET', '/v2.1/os-quota-sets/p1/detail?user_id=alice', undefined, LATEST)).body.quota_set;
    expect(u.cores).toEqual({ limit: 20, in_use: 2, reserved: 0 });
    const lim = (await t.call('GET', '/v2.1/limits', undefined, { ...MEMBER, ...LATEST })).body.limits;
    expect(lim).toEqual({
      rate: [],
      absolute: {
        maxTotalRAMSize: 51200,
        maxTotalInstances: 10,
        maxTotalCores: 20,
        maxTotalKeypairs: 100,
        maxServerMeta: 128,
        maxServerGroups: 10,
        maxServerGroupMembers: 10,
        totalRAMUsed: 6144,
        totalCoresUsed: 6,
        totalInstancesUsed: 2,
        totalServerGroupsUsed: 0,
      },
    });
    const old = (await t.call('GET', '/v2.1/limits', undefined, MEMBER)).body.limits.absolute;
    expect(old).toMatchObject({
      maxImageMeta: 128,
      maxPersonality: 5,
      maxPersonalitySize: 10240,
      maxTotalFloatingIps: -1,
      maxSecurityGroups: -1,
      maxSecurityGroupRules: -1,
      totalFloatingIpsUsed: 0,
      totalSecurityGroupsUsed: 0,
    });
    expect(
      (await t.call('GET', '/v2.1/limits', undefined, mv('2.39'))).body.limits.absolute.maxImageMeta,
    ).toBeUndefined();
  });

  test("lets only administrators see another project's limits and set quotas", async () => {
    const other = await t.call('GET', '/v2.1/limits?tenant_id=p2', undefined, MEMBER);
    expect(other.body).toEqual({
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:limits:other_project to be performed." },
    });
    expect((await t.call('GET', '/v2.1/limits?tenant_id=p1')).body.limits.absolute.totalInstancesUsed).toBe(2);
    expect((await t.call('GET', '/v2.1/os-quota-sets/p2', undefined, MEMBER)).status).toBe(403);
    expect((await t.call('GET', '/v2.1/os-quota-sets/p1', undefined, MEMBER)).status).toBe(200);
    const set = await t.call('PUT', '/v2.1/os-quota-sets/p1', { quota_set: { instances: 50 } }, MEMBER);
    expect(set.body.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-quota-sets:update to be performed.",
    );
    expect((await t.call('GET', '/v2.1/os-quota-sets/p2', undefined, as('carol', 'p2', ['reader']))).status).toBe(200);
  });

  test("sets a project's limits, refusing what is below use, and reverts them", async () => {
    const r = await t.call(
      'PUT',
      '/v2.1/os-quota-sets/p1',
      { quota_set: { instances: '20', cores: 12, ram: -1 } },
      LATEST,
    );
    expect(r.status).toBe(200);
    expect(r.body.quota_set).toEqual({
      cores: 12,
      instances: 20,
      key_pairs: 100,
      metadata_items: 128,
      ram: -1,
      server_group_members: 10,
      server_groups: 10,
    });
    const low = await t.call('PUT', '/v2.1/os-quota-sets/p1', { quota_set: { cores: 5, instances: 1 } }, LATEST);
    expect(low.body).toEqual({
      badRequest: {
        code: 400,
        message: 'Quota limit 5 for cores must be greater than or equal to already used and reserved 6.',
      },
    });
    // Nothing of a refused update was written.
    expect((await t.call('GET', '/v2.1/os-quota-sets/p1')).body.quota_set.instances).toBe(20);
    const forced = await t.call('PUT', '/v2.1/os-quota-sets/p1', { quota_set: { cores: 5, force: 'True' } }, LATEST);
    expect(forced.body.quota_set.cores).toBe(5);
    expect((await t.call('DELETE', '/v2.1/os-quota-sets/p1')).status).toBe(202);
    expect((await t.call('GET', '/v2.1/os-quota-sets/p1', undefined, LATEST)).body.quota_set.cores).toBe(20);
  });

  test("sets a user's limits within what the project leaves", async () => {
    await t.call('PUT', '/v2.1/os-quota-sets/p1', { quota_set: { instances: 5 } });
    const r = await t.call('PUT', '/v2.1/os-quota-sets/p1?user_id=alice', { quota_set: { instances: 3 } }, LATEST);
    expect(r.body.quota_set.instances).toBe(3);
    expect((await t.call('GET', '/v2.1/os-quota-sets/p1?user_id=alice')).body.quota_set.instances).toBe(3);
    expect((await t.call('GET', '/v2.1/os-quota-sets/p1?user_id=bob')).body.quota_set.instances).toBe(5);
    const high = await t.call('PUT', '/v2.1/os-quota-sets/p1?user_id=bob', { quota_set: { instances: 3 } }, LATEST);
    expect(high.body.badRequest.message).toBe('Quota limit 3 for instances must be less than or equal to 2.');
    // The project may not go below what its users were given.
    const under = await t.call('PUT', '/v2.1/os-quota-sets/p1', { quota_set: { instances: 2 } }, LATEST);
    expect(under.body.badRequest.message).toBe(
      'Quota limit 2 for instances must be greater than or equal to already used and reserved 3.',
    );
    expect((await t.call('DELETE', '/v2.1/os-quota-sets/p1?user_id=alice')).status).toBe(202);
    expect((await t.call('GET', '/v2.1/os-quota-sets/p1?user_id=alice')).body.quota_set.instances).toBe(5);
    await t.call('DELETE', '/v2.1/os-quota-sets/p1');
  });

  test("refuses bad bodies with Nova's 400s and changes nothing", async () => {
    const cases: [unknown, string, Record<string, string>?][] = [
      [
        { quota_set: { instances: -2 } },
        'Invalid input for field/attribute instances. Value: -2. -2 is less than the minimum of -1',
      ],
      [
        { quota_set: { instances: 'many' } },
        "Invalid input for field/attribute instances. Value: many. 'many' does not match '^-?[0-9]+$'",
      ],
      [
        { quota_set: { instances: 2 ** 31 } },
        'Invalid input for field/attribute instances. Value: 2147483648. 2147483648 is greater than the maximum of 2147483647',
      ],
      [
        { quota_set: { floating_ips: 1 } },
        "Invalid input for field/attribute quota_set. Value: {'floating_ips': 1}. Additional properties are not allowed ('floating_ips' was unexpected)",
        LATEST,
      ],
      [
        { quota_set: { injected_files: 1 } },
        "Invalid input for field/attribute quota_set. Value: {'injected_files': 1}. Additional properties are not allowed ('injected_files' was unexpected)",
        LATEST,
      ],
      [{ quota_set: { networks: 1 } }, 'The networks quota has been removed', mv('2.35')],
      [{ quota_set: 7 }, "Invalid input for field/attribute quota_set. Value: 7. 7 is not of type 'object'"],
      [{}, "'quota_set' is a required property"],
    ];
    for (const [body, message, headers] of cases) {
      const r = await t.call('PUT', '/v2.1/os-quota-sets/p1', body, headers);
      expect(r.body, JSON.stringify(body)).toEqual({ badRequest: { code: 400, message } });
    }
    const strict = await t.call('GET', '/v2.1/os-quota-sets/p1?color=red', undefined, LATEST);
    expect(strict.body.badRequest.message).toBe("Additional properties are not allowed ('color' was unexpected)");
    expect(await t.compute.db.selectFrom('quotas').selectAll().execute()).toEqual([]);
  });

  test("quota classes: the default class is every project's defaults", async () => {
    const v21 = (await t.call('GET', '/v2.1/os-quota-class-sets/default')).body.quota_class_set;
    expect(v21.id).toBe('default');
    expect(v21.server_groups).toBeUndefined();
    expect(v21.floating_ips).toBe(-1);
    const r = await t.call(
      'PUT',
      '/v2.1/os-quota-class-sets/default',
      { quota_class_set: { instances: 30, server_groups: '4' } },
      LATEST,
    );
    expect(r.body.quota_class_set).toEqual({
      cores: 20,
      instances: 30,
      key_pairs: 100,
      metadata_items: 128,
      ram: 51200,
      server_group_members: 10,
      server_groups: 4,
    });
    expect((await t.call('GET', '/v2.1/os-quota-sets/p9', undefined, LATEST)).body.quota_set.instances).toBe(30);
    expect(
      (await t.call('GET', '/v2.1/os-quota-sets/p9/defaults', undefined, LATEST)).body.quota_set.server_groups,
    ).toBe(4);
    expect(
      (await t.call('PUT', '/v2.1/os-quota-class-sets/default', { quota_class_set: { floating_ips: 1 } }, mv('2.50')))
        .status,
    ).toBe(400);
    expect((await t.call('PUT', '/v2.1/os-quota-class-sets/default', { quota_class_set: { cores: -2 } })).status).toBe(
      400,
    );
    expect((await t.call('GET', '/v2.1/os-quota-class-sets/default', undefined, MEMBER)).status).toBe(403);
    await t.call(
      'PUT',
      '/v2.1/os-quota-class-sets/default',
      { quota_class_set: { instances: 10, server_groups: 10 } },
      LATEST,
    );
  });

  test("checkDeltas refuses what would exceed a project's or a user's limit", async () => {
    const { db, config } = t.compute;
    await checkDeltas(db, config, { projectId: 'p1', userId: 'alice' }, { instances: 1, cores: 14, ram: 1024 });
    const over = await checkDeltas(
      db,
      config,
      { projectId: 'p1', userId: 'alice' },
      { instances: 1, cores: 15, ram: 1 },
    ).catch((e: unknown) => e);
    expect(over).toBeInstanceOf(QuotaExceeded);
    expect((over as QuotaExceeded).overs).toEqual(['cores']);
    expect((over as QuotaExceeded).message).toBe("Quota exceeded for resources: ['cores']");
    await t.call('PUT', '/v2.1/os-quota-sets/p1?user_id=alice', { quota_set: { instances: 1, force: true } });
    const user = await checkDeltas(db, config, { projectId: 'p1', userId: 'alice' }, { instances: 1 }).catch(
      (e: unknown) => e,
    );
    expect((user as QuotaExceeded).quotas.instances).toBe(1);
    await checkDeltas(db, config, { projectId: 'p1', userId: 'bob' }, { instances: 1 });
    await t.call('DELETE', '/v2.1/os-quota-sets/p1');
  });
});
