// Flavor extra specs (set, list, show, replace, delete; validated from 2.86 as Nova validates
// them) and flavor access lists (addTenantAccess, removeTenantAccess, 2.7's conflict).
import { afterAll, beforeAll, describe, expect, it as vitestIt } from 'vitest';

const itOn = (skip: string | null) => vitestIt.skipIf(skip);
import { as, computeEngines, LATEST, mv, type TestCompute } from '../helpers/compute.js';
import { EXTRA_SPEC_VALIDATORS } from '../../src/compute/extra_specs/index.js';

const MEMBER = as('alice', 'p1');

const { engines, stop } = computeEngines();
afterAll(stop);

describe.each(engines)('flavor extra specs ($name)', ({ skip, start }) => {
  let t: TestCompute;
  const it = itOn(skip);
  beforeAll(async () => {
    if (skip) return;
    t = await start();
    await t.call('POST', '/v2.1/flavors', {
      flavor: { name: 'bare-metal-gold', id: 'gold', ram: 131072, vcpus: 64, disk: 371 },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const specs = (body: Record<string, unknown>, headers: Record<string, string> = LATEST) =>
    t.call('POST', '/v2.1/flavors/gold/os-extra_specs', { extra_specs: body }, headers);

  it("sets the reference scenario's bare-metal specs, answering with what was sent", async () => {
    const gold = {
      'resources:CUSTOM_GOLD': '1',
      'resources:VCPU': '0',
      'resources:MEMORY_MB': '0',
      'resources:DISK_GB': 0,
    };
    const r = await specs(gold);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ extra_specs: gold });
    const listed = await t.call('GET', '/v2.1/flavors/gold/os-extra_specs');
    expect(listed.body).toEqual({ extra_specs: { ...gold, 'resources:DISK_GB': '0' } });
    expect(
      (await t.call('GET', '/v2.1/flavors/gold', undefined, LATEST)).body.flavor.extra_specs['resources:CUSTOM_GOLD'],
    ).toBe('1');
    // Before 2.61 flavor bodies have none.
    expect((await t.call('GET', '/v2.1/flavors/gold', undefined, mv('2.60'))).body.flavor.extra_specs).toBeUndefined();
  });

  it("validates known namespaces from 2.86, in Nova's words, and lets unknown ones through", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ 'hw:cpu_policy': 'bogus' }, "Validation failed; 'bogus' is not one of: dedicated, shared, mixed."],
      [
        { 'hw:cpu_polcy': 'dedicated' },
        "Validation failed; extra spec 'hw:cpu_polcy' does not appear to be a valid extra spec.",
      ],
      [{ 'resources:VCPU': 'two' }, "Validation failed; 'two' is not a valid integer value."],
      [
        { 'resources1:CUSTOM_lower': '1' },
        "Validation failed; extra spec 'resources1:CUSTOM_lower' does not appear to be a valid extra spec.",
      ],
      [{ 'trait:HW_CPU_X86_AVX2': 'preferred' }, "Validation failed; 'preferred' is not one of: required, forbidden."],
      [
        { 'trait:NOT_A_TRAIT': 'required' },
        "Validation failed; extra spec 'trait:NOT_A_TRAIT' does not appear to be a valid extra spec.",
      ],
      [{ group_policy: 'sometimes' }, "Validation failed; 'sometimes' is not one of: isolate, none."],
      [{ 'hw:numa_nodes': '0' }, "Validation failed; '0' is less than the min value of '1'."],
      [
        { 'hw:mem_page_size': 'huge' },
        "Validation failed; 'huge' is not of the format '(large|small|any|\\d+([kKMGT]i?)?(b|bit|B)?)'.",
      ],
      [{ 'hw_rng:allowed': 'maybe' }, "Validation failed; 'maybe' is not a valid boolean-like value."],
      [{ 'os:monitors': '9' }, "Validation failed; '9' is greater than the max value of '8'."],
    ];
    for (const [body, message] of cases) {
      const r = await specs(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body).toEqual({ badRequest: { code: 400, message } });
    }
    const good = {
      'resources1:CUSTOM_GOLD': '1',
      'trait1:CUSTOM_RACK_A': 'required',
      'trait:HW_CPU_X86_AVX2': 'forbidden',
      group_policy: 'isolate',
      'hw:cpu_policy': 'dedicated',
      'hw:numa_cpus.0': '0-3,^2',
      'hw:mem_page_size': '2MB',
      'hw:watchdog_action': 'reset',
      'hw_rng:rate_bytes': '1024',
      'quota:cpu_shares': '2048',
      'aggregate_instance_extra_specs:ssd': 'true',
      'capabilities:cpu_info:arch': 'x86_64',
      'my_org:anything': 'goes',
      plain: 'too',
    };
    expect((await specs(good)).status).toBe(200);
    // Before 2.86 nothing is validated.
    expect((await specs({ 'hw:cpu_policy': 'bogus' }, mv('2.85'))).status).toBe(200);
  });

  it("refuses keys outside Nova's alphabet and values too long, as numbers too", async () => {
    const key = await specs({ 'a/b': 'x' });
    expect(key.status).toBe(400);
    expect(key.body.badRequest.message).toMatch(/'a\/b' does not match any of the regexes/);
    expect((await specs({ k: 'x'.repeat(256) })).status).toBe(400);
    expect((await specs({ k: { nested: 1 } })).status).toBe(400);
  });

  it('shows, replaces and deletes one spec', async () => {
    expect((await t.call('GET', '/v2.1/flavors/gold/os-extra_specs/group_policy')).body).toEqual({
      group_policy: 'isolate',
    });
    const put = await t.call('PUT', '/v2.1/flavors/gold/os-extra_specs/group_policy', { group_policy: 'none' }, LATEST);
    expect(put.body).toEqual({ group_policy: 'none' });
    const mismatch = await t.call('PUT', '/v2.1/flavors/gold/os-extra_specs/group_policy', { other: 'none' }, LATEST);
    expect(mismatch.body).toEqual({ badRequest: { code: 400, message: 'Request body and URI mismatch' } });
    expect((await t.call('PUT', '/v2.1/flavors/gold/os-extra_specs/a', { a: '1', b: '2' })).status).toBe(400);
    const del = await t.call('DELETE', '/v2.1/flavors/gold/os-extra_specs/group_policy');
    expect(del.status).toBe(200);
    const gone = await t.call('GET', '/v2.1/flavors/gold/os-extra_specs/group_policy');
    expect(gone.body).toEqual({
      itemNotFound: { code: 404, message: 'Flavor gold has no extra specs with key group_policy.' },
    });
    expect((await t.call('DELETE', '/v2.1/flavors/gold/os-extra_specs/group_policy')).status).toBe(404);
    expect((await t.call('GET', '/v2.1/flavors/nope/os-extra_specs')).body).toEqual({
      itemNotFound: { code: 404, message: 'Flavor nope could not be found.' },
    });
  });

  it('lets members read specs, and only administrators write them', async () => {
    expect((await t.call('GET', '/v2.1/flavors/gold/os-extra_specs', undefined, MEMBER)).status).toBe(200);
    expect(
      (await t.call('GET', '/v2.1/flavors/gold', undefined, { ...MEMBER, ...LATEST })).body.flavor.extra_specs,
    ).toBeDefined();
    const r = await t.call('POST', '/v2.1/flavors/gold/os-extra_specs', { extra_specs: { a: 'b' } }, MEMBER);
    expect(r.body.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-flavor-extra-specs:create to be performed.",
    );
    expect((await t.call('DELETE', '/v2.1/flavors/gold/os-extra_specs/a', undefined, MEMBER)).status).toBe(403);
  });

  it('has a validator for every family Nova documents, and says nothing of specs it does not cover', () => {
    expect(() => EXTRA_SPEC_VALIDATORS.validate('resources_ab-1:PCPU', '4')).not.toThrow();
    expect(() => EXTRA_SPEC_VALIDATORS.validate('hw:numa_mem.1', '0')).toThrow(/less than the min value of '1'/);
    expect(() => EXTRA_SPEC_VALIDATORS.validate('capabilities:stats:io:x', 'y')).not.toThrow();
    expect(() => EXTRA_SPEC_VALIDATORS.validate('vmware:hw_version', 'vmx-13')).not.toThrow();
  });
});

describe.each(engines)('flavor access ($name)', ({ skip, start }) => {
  let t: TestCompute;
  const it = itOn(skip);
  beforeAll(async () => {
    if (skip) return;
    t = await start();
    await t.call('POST', '/v2.1/flavors', {
      flavor: { name: 'private', id: 'private', ram: 1, vcpus: 1, disk: 0, 'os-flavor-access:is_public': false },
    });
    await t.call('POST', '/v2.1/flavors', { flavor: { name: 'public', id: 'public', ram: 1, vcpus: 1, disk: 0 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const act = (flavor: string, body: unknown, headers: Record<string, string> = LATEST) =>
    t.call('POST', `/v2.1/flavors/${flavor}/action`, body, headers);

  it('adds and removes projects, listing them', async () => {
    const added = await act('private', { addTenantAccess: { tenant: 'p1' } });
    expect(added.body).toEqual({ flavor_access: [{ flavor_id: 'private', tenant_id: 'p1' }] });
    await act('private', { addTenantAccess: { tenant: 'p2' } });
    const listed = await t.call('GET', '/v2.1/flavors/private/os-flavor-access');
    expect(listed.body.flavor_access.map((a: { tenant_id: string }) => a.tenant_id)).toEqual(['p1', 'p2']);
    const again = await act('private', { addTenantAccess: { tenant: 'p1' } });
    expect(again.body).toEqual({
      conflictingRequest: {
        code: 409,
        message: 'Flavor access already exists for flavor private and project p1 combination.',
      },
    });
    const removed = await act('private', { removeTenantAccess: { tenant: 'p2' } });
    expect(removed.body).toEqual({ flavor_access: [{ flavor_id: 'private', tenant_id: 'p1' }] });
    const missing = await act('private', { removeTenantAccess: { tenant: 'p2' } });
    expect(missing.body).toEqual({
      itemNotFound: { code: 404, message: 'Flavor access not found for private / p2 combination.' },
    });
  });

  it('refuses access to a public flavor from 2.7, and has no list for one', async () => {
    expect((await act('public', { addTenantAccess: { tenant: 'p1' } })).body).toEqual({
      conflictingRequest: { code: 409, message: 'Can not add access to a public flavor.' },
    });
    expect((await act('public', { addTenantAccess: { tenant: 'p1' } }, mv('2.6'))).status).toBe(200);
    expect((await t.call('GET', '/v2.1/flavors/public/os-flavor-access')).body).toEqual({
      itemNotFound: { code: 404, message: 'Access list not available for public flavors.' },
    });
  });

  it('answers unknown actions and bad bodies with 400, and only administrators', async () => {
    expect((await act('private', { resize: {} })).body).toEqual({
      badRequest: { code: 400, message: 'There is no such action: resize' },
    });
    expect((await act('private', [1])).body.badRequest.message).toBe('Malformed request body');
    expect((await act('private', {})).status).toBe(400);
    const bad = await act('private', { addTenantAccess: { tenant: '' } });
    expect(bad.body.badRequest.message).toBe("Invalid input for field/attribute tenant. Value: . '' is too short");
    expect((await act('nope', { addTenantAccess: { tenant: 'p1' } })).status).toBe(404);
    const member = await act('private', { addTenantAccess: { tenant: 'p9' } }, MEMBER);
    expect(member.body.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-flavor-access:add_tenant_access to be performed.",
    );
  });
});
