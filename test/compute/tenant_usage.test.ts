// os-simple-tenant-usage as Nova Zed answers: nothing used while no server ran; hours within the
// period, deleted servers counted, totals per project, per-server detail, pages from 2.40, the
// period's parsing and its 400s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, computeEngines, insertInstance, LATEST, mv, type TestCompute } from '../helpers/compute.js';
import { flavorPrimitive } from '../../src/compute/objects/instance_flavor.js';
import { getFlavor } from '../../src/compute/objects/flavor.js';

const { engines, stop } = computeEngines();
afterAll(stop);
const PERIOD = 'start=2026-01-01T00:00:00&end=2026-01-02T00:00:00';

describe.each(engines)('os-simple-tenant-usage ($name)', ({ skip, start }) => {
  let t: TestCompute;
  let running: string;
  let deleted: string;
  beforeAll(async () => {
    if (!skip) t = await start();
  });
  afterAll(async () => {
    await t?.close();
  });
  const test = it.skipIf(skip);

  test('reports no usage while no server has run', async () => {
    expect((await t.call('GET', `/v2.1/os-simple-tenant-usage?${PERIOD}`)).body).toEqual({ tenant_usages: [] });
    expect((await t.call('GET', '/v2.1/os-simple-tenant-usage/p1', undefined, as('alice', 'p1'))).body).toEqual({
      tenant_usage: {},
    });
  });

  test("counts each server's hours within the period, deleted ones too", async () => {
    await t.call('POST', '/v2.1/flavors', { flavor: { name: 'vm-tiny', id: 'vm-tiny', ram: 1024, vcpus: 1, disk: 1 } });
    const flavor = await getFlavor(t.compute.db, 'vm-tiny', { isAdmin: true, projectId: null });
    running = await insertInstance(t, {
      project_id: 'p1',
      user_id: 'alice',
      vcpus: 1,
      memory_mb: 1024,
      root_gb: 1,
      display_name: 'web',
      launched_at: '2025-12-31T12:00:00.000Z',
    });
    await t.compute.db
      .insertInto('instance_extra')
      .values({
        instance_uuid: running,
        created_at: new Date().toISOString(),
        flavor: JSON.stringify({ cur: flavorPrimitive(flavor), old: null, new: null }),
      })
      .execute();
    deleted = await insertInstance(t, {
      project_id: 'p1',
      user_id: 'alice',
      vcpus: 4,
      memory_mb: 4096,
      root_gb: 10,
      display_name: 'batch',
      launched_at: '2026-01-01T06:00:00.000Z',
      terminated_at: '2026-01-01T09:00:00.000Z',
      deleted: 1,
      vm_state: 'deleted',
    });
    await insertInstance(t, {
      project_id: 'p2',
      user_id: 'bob',
      vcpus: 2,
      memory_mb: 2048,
      launched_at: '2026-01-01T18:00:00.000Z',
    });
    // Never launched, or gone before the period: not in it.
    await insertInstance(t, { project_id: 'p1', user_id: 'alice', vcpus: 8, memory_mb: 8, launched_at: null });
    await insertInstance(t, {
      project_id: 'p1',
      user_id: 'alice',
      vcpus: 8,
      memory_mb: 8,
      launched_at: '2025-01-01T00:00:00.000Z',
      terminated_at: '2025-06-01T00:00:00.000Z',
      deleted: 1,
    });

    const r = await t.call('GET', `/v2.1/os-simple-tenant-usage?${PERIOD}`);
    expect(r.body.tenant_usages).toEqual([
      {
        tenant_id: 'p1',
        total_hours: 27,
        total_vcpus_usage: 24 + 12,
        total_memory_mb_usage: 24 * 1024 + 3 * 4096,
        total_local_gb_usage: 24 + 30,
        start: '2026-01-01T00:00:00.000000',
        stop: '2026-01-02T00:00:00.000000',
      },
      {
        tenant_id: 'p2',
        total_hours: 6,
        total_vcpus_usage: 12,
        total_memory_mb_usage: 6 * 2048,
        total_local_gb_usage: 6,
        start: '2026-01-01T00:00:00.000000',
        stop: '2026-01-02T00:00:00.000000',
      },
    ]);
    const mine = (await t.call('GET', `/v2.1/os-simple-tenant-usage/p1?${PERIOD}`, undefined, as('alice', 'p1'))).body
      .tenant_usage;
    const byName = Object.fromEntries(mine.server_usages.map((s: { name: string }) => [s.name, s]));
    expect(byName.web).toMatchObject({
      instance_id: running,
      flavor: 'vm-tiny',
      hours: 24,
      vcpus: 1,
      memory_mb: 1024,
      local_gb: 1,
      tenant_id: 'p1',
      state: 'active',
      started_at: '2025-12-31T12:00:00.000000',
      ended_at: null,
    });
    expect(byName.batch).toMatchObject({
      instance_id: deleted,
      hours: 3,
      state: 'terminated',
      ended_at: '2026-01-01T09:00:00.000000',
      uptime: 3 * 3600,
    });
    const detailed = (await t.call('GET', `/v2.1/os-simple-tenant-usage?${PERIOD}&detailed=1`)).body.tenant_usages;
    expect(detailed[0].server_usages).toHaveLength(2);
  });

  test('pages by project and server from 2.40', async () => {
    const first = await t.call('GET', `/v2.1/os-simple-tenant-usage?${PERIOD}&limit=2`, undefined, mv('2.40'));
    expect(first.body.tenant_usages.map((u: { tenant_id: string }) => u.tenant_id)).toEqual(['p1']);
    const next = first.body.tenant_usages_links[0].href as string;
    expect(next).toMatch(
      /^http:\/\/localhost:80\/v2\.1\/os-simple-tenant-usage\?end=.*&limit=2&marker=[0-9a-f-]{36}&start=/,
    );
    const second = await t.call('GET', next.replace('http://localhost:80', ''), undefined, mv('2.40'));
    expect(second.body.tenant_usages.map((u: { tenant_id: string }) => u.tenant_id)).toEqual(['p2']);
    expect(
      (await t.call('GET', `/v2.1/os-simple-tenant-usage?${PERIOD}&marker=nope`, undefined, mv('2.40'))).body,
    ).toEqual({ badRequest: { code: 400, message: 'Marker nope could not be found.' } });
  });

  test("refuses bad periods and other projects' usage", async () => {
    const bad = async (q: string) => (await t.call('GET', `/v2.1/os-simple-tenant-usage?${q}`, undefined, LATEST)).body;
    expect(await bad('start=yesterday')).toEqual({
      badRequest: { code: 400, message: 'Invalid datetime string: Datetime is in invalid format' },
    });
    expect(await bad('start=2026-02-30T00:00:00')).toEqual({
      badRequest: { code: 400, message: 'Invalid datetime string: Datetime is in invalid format' },
    });
    expect(await bad('start=2026-01-02T00:00:00&end=2026-01-01T00:00:00')).toEqual({
      badRequest: { code: 400, message: 'Invalid start time. The start time cannot occur after the end time.' },
    });
    expect((await bad('color=red')).badRequest.message).toBe(
      "Additional properties are not allowed ('color' was unexpected)",
    );
    expect((await t.call('GET', '/v2.1/os-simple-tenant-usage', undefined, as('alice', 'p1'))).status).toBe(403);
    expect(
      (await t.call('GET', '/v2.1/os-simple-tenant-usage/p2', undefined, as('alice', 'p1'))).body.forbidden.message,
    ).toBe("Policy doesn't allow os_compute_api:os-simple-tenant-usage:show to be performed.");
    // Fractions and the space-separated form (which needs one) are Nova's formats too.
    expect((await bad('start=2026-01-01 00:00:00.5&end=2026-01-01T01:00:00.123456')).tenant_usages).toHaveLength(1);
  });
});
