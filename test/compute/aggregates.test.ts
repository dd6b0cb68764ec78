// Host aggregates and availability zones as Nova Zed answers for them, on both engines: CRUD,
// hosts that must be compute services, set_metadata, a host in one zone only, a zone that does
// not change under instances, the zone list and its detail for administrators, bad input refused
// with nothing changed. (Placement mirroring: cloud.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  as,
  computeEngines,
  insertComputeHost,
  insertInstance,
  LATEST,
  mv,
  type TestCompute,
} from '../helpers/compute.js';

const MEMBER = as('alice', 'p1');
const { engines, stop } = computeEngines();
afterAll(stop);

describe.each(engines)('aggregates and availability zones ($name)', ({ skip, start }) => {
  let t: TestCompute;
  beforeAll(async () => {
    if (skip) return;
    t = await start();
    for (const h of ['cmp1', 'cmp2', 'cmp3']) await insertComputeHost(t.compute.db, h);
    await insertComputeHost(t.compute.db, 'off', { disabled: true });
    await insertComputeHost(t.compute.db, 'dead', { lastSeenUp: '2020-01-01T00:00:00.000Z' });
  });
  afterAll(async () => {
    await t?.close();
  });
  const test = it.skipIf(skip);
  const act = (id: number, body: unknown, headers: Record<string, string> = LATEST) =>
    t.call('POST', `/v2.1/os-aggregates/${id}/action`, body, headers);
  let az1: number;

  test("never gives a deleted aggregate's id to another", async () => {
    const create = async (name: string) =>
      (await t.call('POST', '/v2.1/os-aggregates', { aggregate: { name } }, LATEST)).body.aggregate.id as number;
    const first = await create('short-lived');
    expect((await t.call('DELETE', `/v2.1/os-aggregates/${first}`)).status).toBe(200);
    const second = await create('next');
    expect(second).toBeGreaterThan(first);
    expect((await t.call('DELETE', `/v2.1/os-aggregates/${second}`)).status).toBe(200);
  });

  test('creates, shows, lists, renames and deletes aggregates', async () => {
    const r = await t.call(
      'POST',
      '/v2.1/os-aggregates',
      { aggregate: { name: 'rack-a', availability_zone: 'az1' } },
      LATEST,
    );
    expect(r.status).toBe(200);
    az1 = r.body.aggregate.id;
    expect(r.body.aggregate).toEqual({
      id: az1,
      name: 'rack-a',
      availability_zone: 'az1',
      deleted: false,
      deleted_at: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
      updated_at: null,
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const old = await t.call('GET', `/v2.1/os-aggregates/${az1}`, undefined, mv('2.40'));
    expect(old.body.aggregate.uuid).toBeUndefined();
    expect(old.body.aggregate).toMatchObject({ hosts: [], metadata: { availability_zone: 'az1' } });
    const plain = (await t.call('POST', '/v2.1/os-aggregates', { aggregate: { name: 'plain' } })).body.aggregate;
    expect(plain.availability_zone).toBeNull();
    expect((await t.call('POST', '/v2.1/os-aggregates', { aggregate: { name: 'plain' } })).body).toEqual({
      conflictingRequest: { code: 409, message: 'Aggregate plain already exists.' },
    });
    const renamed = await t.call('PUT', `/v2.1/os-aggregates/${plain.id}`, { aggregate: { name: '  plainer ' } });
    expect(renamed.body.aggregate.name).toBe('plainer');
    expect((await t.call('PUT', `/v2.1/os-aggregates/${plain.id}`, { aggregate: { name: 'rack-a' } })).status).toBe(
      409,
    );
    const list = (await t.call('GET', '/v2.1/os-aggregates')).body.aggregates;
    expect(list.map((a: { name: string }) => a.name)).toEqual(['rack-a', 'plainer']);
    expect((await t.call('DELETE', `/v2.1/os-aggregates/${plain.id}`)).status).toBe(200);
    expect((await t.call('GET', `/v2.1/os-aggregates/${plain.id}`)).body).toEqual({
      itemNotFound: { code: 404, message: `Aggregate ${plain.id} could not be found.` },
    });
  });

  test('adds and removes hosts that are compute services', async () => {
    const added = await act(az1, { add_host: { host: 'cmp1' } });
    expect(added.body.aggregate.hosts).toEqual(['cmp1']);
    expect((await act(az1, { add_host: { host: 'cmp1' } })).body).toEqual({
      conflictingRequest: { code: 409, message: `Aggregate ${az1} already has host cmp1.` },
    });
    expect((await act(az1, { add_host: { host: 'nowhere' } })).body).toEqual({
      itemNotFound: { code: 404, message: 'Compute host nowhere could not be found.' },
    });
    expect((await act(az1, { remove_host: { host: 'cmp2' } })).body).toEqual({
      itemNotFound: { code: 404, message: `Cannot remove host cmp2 in aggregate ${az1}` },
    });
    expect((await act(9999, { add_host: { host: 'cmp1' } })).status).toBe(404);
    expect((await t.call('GET', '/v2.1/os-aggregates/99999999999999999999')).body).toEqual({
      itemNotFound: { code: 404, message: 'Aggregate 99999999999999999999 could not be found.' },
    });
    await act(az1, { add_host: { host: 'cmp2' } });
    expect((await act(az1, { remove_host: { host: 'cmp2' } })).body.aggregate.hosts).toEqual(['cmp1']);
    expect((await t.call('DELETE', `/v2.1/os-aggregates/${az1}`)).body).toEqual({
      badRequest: {
        code: 400,
        message: `Cannot remove host from aggregate ${az1}. Reason: Host aggregate is not empty.`,
      },
    });
  });

  test('keeps a host in one availability zone', async () => {
    const az2 = (
      await t.call('POST', '/v2.1/os-aggregates', { aggregate: { name: 'rack-b', availability_zone: 'az2' } })
    ).body.aggregate.id;
    expect((await act(az2, { add_host: { host: 'cmp1' } })).body).toEqual({
      conflictingRequest: {
        code: 409,
        message: `Cannot add host to aggregate ${az2}. Reason: One or more hosts already in availability zone(s) ['az1'].`,
      },
    });
    // An aggregate without a zone takes any host; giving it a zone that clashes is refused.
    const noZone = (await t.call('POST', '/v2.1/os-aggregates', { aggregate: { name: 'ssd' } })).body.aggregate.id;
    await act(noZone, { add_host: { host: 'cmp1' } });
    const clash = await act(noZone, { set_metadata: { metadata: { availability_zone: 'az2', ssd: 'true' } } });
    expect(clash.body.badRequest.message).toBe(
      `Cannot update metadata of aggregate ${noZone}. Reason: One or more hosts already in availability zone(s) ['az1'].`,
    );
    expect((await t.call('GET', `/v2.1/os-aggregates/${noZone}`)).body.aggregate.metadata).toEqual({});
    const same = await act(noZone, { set_metadata: { metadata: { availability_zone: 'az1', ssd: 'true' } } });
    expect(same.body.aggregate).toMatchObject({
      availability_zone: 'az1',
      metadata: { availability_zone: 'az1', ssd: 'true' },
    });
    const unset = await act(noZone, { set_metadata: { metadata: { ssd: null, gone: null } } });
    expect(unset.body.aggregate.metadata).toEqual({ availability_zone: 'az1' });
    const empty = await t.call('PUT', `/v2.1/os-aggregates/${noZone}`, { aggregate: { availability_zone: null } });
    expect(empty.body.badRequest.message).toBe(
      `Cannot update aggregate ${noZone}. Reason: Aggregate ssd does not support empty named availability zone.`,
    );
    await act(noZone, { remove_host: { host: 'cmp1' } });
    await t.call('DELETE', `/v2.1/os-aggregates/${noZone}`);
    await t.call('DELETE', `/v2.1/os-aggregates/${az2}`);
  });

  test('does not move hosts with instances to another zone', async () => {
    await insertInstance(t, { project_id: 'p1', user_id: 'alice', vcpus: 1, memory_mb: 1, host: 'cmp1' } as never);
    const r = await t.call('PUT', `/v2.1/os-aggregates/${az1}`, {
      aggregate: { name: 'moved', availability_zone: 'az9' },
    });
    expect(r.body.badRequest.message).toBe(
      `Cannot update aggregate ${az1}. Reason: One or more hosts contain instances in this zone.`,
    );
    // Nothing of the refused update was kept, the name neither.
    expect((await t.call('GET', `/v2.1/os-aggregates/${az1}`)).body.aggregate).toMatchObject({
      name: 'rack-a',
      availability_zone: 'az1',
    });
  });

  test('lists availability zones to anyone and their hosts to administrators', async () => {
    const list = await t.call('GET', '/v2.1/os-availability-zone', undefined, MEMBER);
    expect(list.body).toEqual({
      availabilityZoneInfo: [
        { zoneName: 'az1', zoneState: { available: true }, hosts: null },
        { zoneName: 'nova', zoneState: { available: true }, hosts: null },
      ],
    });
    expect((await t.call('GET', '/v2.1/os-availability-zone/detail', undefined, MEMBER)).status).toBe(403);
    const detail = (await t.call('GET', '/v2.1/os-availability-zone/detail')).body.availabilityZoneInfo;
    expect(detail.map((z: { zoneName: string }) => z.zoneName)).toEqual(['az1', 'nova']);
    expect(detail[0].hosts).toEqual({
      cmp1: { 'nova-compute': { available: true, active: true, updated_at: expect.any(String) } },
    });
    expect(Object.keys(detail[1].hosts).sort()).toEqual(['cmp2', 'cmp3', 'dead']);
    expect(detail[1].hosts.dead['nova-compute'].available).toBe(false);
  });

  test("refuses bad input with Nova's 400s and changes nothing", async () => {
    const before = (await t.call('GET', '/v2.1/os-aggregates')).body;
    const bad: [string, string, unknown, string | RegExp][] = [
      [
        'POST',
        '/v2.1/os-aggregates',
        { aggregate: { name: 'x', availability_zone: 'a:b' } },
        "Invalid input for field/attribute availability_zone. Value: a:b. 'a:b' is not valid under any of the given schemas",
      ],
      [
        'POST',
        '/v2.1/os-aggregates',
        { aggregate: { name: 'x', availability_zone: '' } },
        "Invalid input for field/attribute availability_zone. Value: . '' is not valid under any of the given schemas",
      ],
      [
        'PUT',
        `/v2.1/os-aggregates/${az1}`,
        { aggregate: { availability_zone: 'z'.repeat(256) } },
        /^Invalid input for field\/attribute availability_zone\. Value: z+\. 'z+' is not valid under any of the given schemas$/,
      ],
      [
        'POST',
        '/v2.1/os-aggregates',
        { aggregate: { name: ' x' } },
        "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
      ],
      [
        'POST',
        '/v2.1/os-aggregates',
        { aggregate: {} },
        "Invalid input for field/attribute aggregate. Value: {}. 'name' is a required property",
      ],
      [
        'PUT',
        `/v2.1/os-aggregates/${az1}`,
        { aggregate: {} },
        'Invalid input for field/attribute aggregate. Value: {}. {} is not valid under any of the given schemas',
      ],
      [
        'PUT',
        `/v2.1/os-aggregates/${az1}`,
        { aggregate: { name: '   ' } },
        "An invalid 'name' value was provided. The name must be: printable characters with at least one non space character",
      ],
      ['GET', '/v2.1/os-aggregates/abc', undefined, 'Invalid input received: id must be an integer'],
      ['DELETE', '/v2.1/os-aggregates/1.5', undefined, 'Invalid input received: id must be an integer'],
      [
        'POST',
        `/v2.1/os-aggregates/${az1}/action`,
        { add_host: { host: 'a b' } },
        /^Invalid input for field\/attribute host\. Value: a b\./,
      ],
      [
        'POST',
        `/v2.1/os-aggregates/${az1}/action`,
        { set_metadata: { metadata: { 'k/1': 'v' } } },
        /does not match any of the regexes/,
      ],
      [
        'POST',
        `/v2.1/os-aggregates/${az1}/action`,
        { set_metadata: { metadata: { k: 'v'.repeat(256) } } },
        /is too long$/,
      ],
      ['POST', `/v2.1/os-aggregates/${az1}/action`, { explode: {} }, 'There is no such action: explode'],
    ];
    for (const [method, url, body, message] of bad) {
      const r = await t.call(method, url, body);
      expect(r.status, `${method} ${url} ${JSON.stringify(body)}`).toBe(400);
      expect(r.body.badRequest.message).toMatch(message);
    }
    expect((await t.call('GET', '/v2.1/os-aggregates')).body).toEqual(before);
    expect((await t.call('GET', '/v2.1/os-aggregates', undefined, MEMBER)).body.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-aggregates:index to be performed.",
    );
  });
});
