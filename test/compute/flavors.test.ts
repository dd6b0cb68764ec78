// Flavors as Nova Zed answers for them: create with Nova's validation and wording, the bodies of
// each microversion, lists with filters, sorting and pages, who sees private flavors, description
// updates, deletion.
import { afterAll, beforeAll, describe, expect, it as vitestIt } from 'vitest';

const itOn = (skip: string | null) => vitestIt.skipIf(skip);
import { ADMIN, as, computeEngines, LATEST, mv, type TestCompute } from '../helpers/compute.js';

const TINY = { name: 'vm-tiny', id: 'vm-tiny', ram: 1024, vcpus: 1, disk: 1 };
const MEMBER = as('alice', 'p1');

const { engines, stop } = computeEngines();
afterAll(stop);

describe.each(engines)('flavors ($name)', ({ skip, start }) => {
  let t: TestCompute;
  beforeAll(async () => {
    if (!skip) t = await start();
  });
  const it = itOn(skip);
  afterAll(async () => {
    await t?.close();
  });

  const create = async (flavor: Record<string, unknown>, headers: Record<string, string> = LATEST) => {
    const r = await t.call('POST', '/v2.1/flavors', { flavor }, headers);
    expect(r.status, r.text).toBe(200);
    return r.body.flavor;
  };
  const refused = async (flavor: unknown, headers: Record<string, string> = LATEST) => {
    const r = await t.call('POST', '/v2.1/flavors', flavor, headers);
    expect(r.status, r.text).toBe(400);
    return r.body.badRequest.message as string;
  };

  it("creates the reference scenario's vm-tiny and answers in the shape of each microversion", async () => {
    const v21 = (await t.call('POST', '/v2.1/flavors', { flavor: TINY })).body.flavor;
    expect(v21).toEqual({
      id: 'vm-tiny',
      name: 'vm-tiny',
      ram: 1024,
      disk: 1,
      vcpus: 1,
      swap: '',
      rxtx_factor: 1,
      'OS-FLV-EXT-DATA:ephemeral': 0,
      'OS-FLV-DISABLED:disabled': false,
      'os-flavor-access:is_public': true,
      links: [
        { rel: 'self', href: 'http://localhost:80/v2.1/flavors/vm-tiny' },
        { rel: 'bookmark', href: 'http://localhost:80/flavors/vm-tiny' },
      ],
    });
    expect((await t.call('GET', '/v2.1/flavors/vm-tiny', undefined, mv('2.55'))).body.flavor).toMatchObject({
      description: null,
      swap: '',
    });
    const latest = (await t.call('GET', '/v2.1/flavors/vm-tiny', undefined, LATEST)).body.flavor;
    expect(latest).toMatchObject({ description: null, swap: 0, extra_specs: {} });
  });

  it('generates a UUID when no id is given, and takes numbers and numeric strings', async () => {
    const f = await create({
      name: 'gen',
      ram: '2048',
      vcpus: 2,
      disk: '20',
      swap: 512,
      'OS-FLV-EXT-DATA:ephemeral': 5,
      rxtx_factor: '2.5',
      'os-flavor-access:is_public': 'false',
      description: 'two cores',
    });
    expect(f.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(f).toMatchObject({
      ram: 2048,
      disk: 20,
      swap: 512,
      'OS-FLV-EXT-DATA:ephemeral': 5,
      rxtx_factor: 2.5,
      'os-flavor-access:is_public': false,
      description: 'two cores',
    });
    const numeric = await create({ name: 'numeric-id', id: 42, ram: 64, vcpus: 1, disk: 0 });
    expect(numeric.id).toBe('42');
  });

  it("validates as Nova does, in Nova's words, and creates nothing", async () => {
    const before = (await t.call('GET', '/v2.1/flavors?is_public=none')).body.flavors.length;
    expect(await refused({ flavor: { ...TINY, name: 'x', id: 'x', ram: 0 } })).toBe(
      'Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1',
    );
    expect(await refused({ flavor: { ...TINY, name: 'x', id: 'x', ram: '0' } })).toBe(
      'Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1',
    );
    expect(await refused({ flavor: { ...TINY, name: 'x', id: 'x', vcpus: 2 ** 31 } })).toBe(
      'Invalid input for field/attribute vcpus. Value: 2147483648. 2147483648 is greater than the maximum of 2147483647',
    );
    expect(await refused({ flavor: { ...TINY, name: 'x', id: 'x', disk: -1 } })).toBe(
      'Invalid input for field/attribute disk. Value: -1. -1 is less than the minimum of 0',
    );
    expect(await refused({ flavor: { ...TINY, name: 'x', id: 'x', disk: '1.5' } })).toBe(
      "Invalid input for field/attribute disk. Value: 1.5. '1.5' does not match '^[0-9]+$'",
    );
    // Nova names the object that lacks or has too much, and shows it as Python would.
    expect(await refused({ flavor: { name: 'x', ram: 1, vcpus: 1 } })).toBe(
      "Invalid input for field/attribute flavor. Value: {'name': 'x', 'ram': 1, 'vcpus': 1}. 'disk' is a required property",
    );
    expect(await refused({ flavor: { name: 'x', ram: 1, vcpus: 1, disk: 1, color: 'red' } })).toBe(
      'Invalid input for ' +
        "field/attribute flavor. Value: {'name': 'x', 'ram': 1, 'vcpus': 1, 'disk': 1, 'color': 'red'}. Additional " +
        "properties are not allowed ('color' was unexpected)",
    );
    expect(await refused({})).toBe("'flavor' is a required property");
    expect(await refused({ flavor: { ...TINY, name: ' x', id: 'x' } })).toBe(
      "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
    );
    expect(await refused({ flavor: { ...TINY, name: 'x', id: ' x' } })).toMatch(
      /^Invalid input for field\/attribute id\./,
    );
    expect(await refused({ flavor: { ...TINY, name: 'x', id: 'x', rxtx_factor: 0 } })).toBe(
      'Invalid input for field/attribute rxtx_factor. Value: 0. 0 is less than or equal to the minimum of 0',
    );
    expect(await refused({ flavor: { ...TINY, name: 'x', id: 'x', 'os-flavor-access:is_public': 'maybe' } })).toMatch(
      /^Invalid input for field\/attribute os-flavor-access:is_public\. Value: maybe\. 'maybe' is not one of/,
    );
    expect(await refused({ flavor: { ...TINY, name: 'x', id: 'x', description: 'a\nb' } })).toMatch(/description/);
    // A description is not known before 2.55.
    expect(await refused({ flavor: { ...TINY, name: 'x', id: 'x', description: 'd' } }, mv('2.54'))).toMatch(
      /Additional properties are not allowed \('description' was unexpected\)$/,
    );
    expect(await refused('{"flavor": ')).toBe('Malformed request body');
    expect(await refused('')).toMatch(/malformed or otherwise incorrect/);
    const media = await t.call('POST', '/v2.1/flavors', JSON.stringify({ flavor: TINY }), {
      'content-type': 'application/xml',
    });
    expect(media.status).toBe(415);
    expect(media.body).toEqual({ badMediaType: { code: 415, message: 'Unsupported Content-Type' } });
    expect((await t.call('GET', '/v2.1/flavors?is_public=none')).body.flavors).toHaveLength(before);
  });

  it('refuses a second flavor of the same name or id with 409', async () => {
    const name = await t.call('POST', '/v2.1/flavors', { flavor: { ...TINY, id: 'other' } });
    expect(name.status).toBe(409);
    expect(name.body).toEqual({
      conflictingRequest: { code: 409, message: 'Flavor with name vm-tiny already exists.' },
    });
    const id = await t.call('POST', '/v2.1/flavors', { flavor: { ...TINY, name: 'other' } });
    expect(id.body.conflictingRequest.message).toBe('Flavor with ID vm-tiny already exists.');
  });

  it('lets only administrators manage flavors', async () => {
    const r = await t.call('POST', '/v2.1/flavors', { flavor: { ...TINY, name: 'mine', id: 'mine' } }, MEMBER);
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed." },
    });
    expect((await t.call('DELETE', '/v2.1/flavors/vm-tiny', undefined, MEMBER)).status).toBe(403);
    // A bad body is a 400 before the policy is asked (Nova validates first).
    expect((await t.call('POST', '/v2.1/flavors', { flavor: {} }, MEMBER)).status).toBe(400);
  });

  describe('lists', () => {
    beforeAll(async () => {
      if (skip) return;
      for (const [name, ram, disk] of [
        ['l-small', 512, 5],
        ['l-medium', 4096, 40],
        ['l-large', 8192, 80],
      ] as const) {
        await create({ name, id: name, ram, vcpus: 1, disk });
      }
      await create({
        name: 'l-private',
        id: 'l-private',
        ram: 128,
        vcpus: 1,
        disk: 1,
        'os-flavor-access:is_public': false,
      });
    });
    const ids = (body: { flavors: { id: string }[] }) =>
      body.flavors.map((f) => f.id).filter((id) => id.startsWith('l-'));

    it("sorts by flavor id by default, and by any of Nova's sort keys", async () => {
      expect(ids((await t.call('GET', '/v2.1/flavors')).body)).toEqual(['l-large', 'l-medium', 'l-small']);
      expect(ids((await t.call('GET', '/v2.1/flavors?sort_key=memory_mb&sort_dir=desc')).body)).toEqual([
        'l-large',
        'l-medium',
        'l-small',
      ]);
      expect(ids((await t.call('GET', '/v2.1/flavors?sort_key=memory_mb')).body)).toEqual([
        'l-small',
        'l-medium',
        'l-large',
      ]);
      const bad = await t.call('GET', '/v2.1/flavors?sort_key=color');
      expect(bad.status).toBe(400);
      expect(bad.body.badRequest.message).toMatch(
        /^Invalid input for query parameters sort_key\. Value: color\. 'color' is not one of/,
      );
    });

    it('filters by minRam and minDisk, and refuses what is not a number', async () => {
      expect(ids((await t.call('GET', '/v2.1/flavors/detail?minRam=4096')).body)).toEqual(['l-large', 'l-medium']);
      expect(ids((await t.call('GET', '/v2.1/flavors?minDisk=50&minRam=1')).body)).toEqual(['l-large']);
      const bad = await t.call('GET', '/v2.1/flavors?minRam=lots');
      expect(bad.body).toEqual({ badRequest: { code: 400, message: 'Invalid minRam filter [lots]' } });
    });

    it('pages with limit and marker, linking to the next page', async () => {
      const first = await t.call('GET', '/v2.1/flavors?sort_key=memory_mb&minRam=512&limit=2');
      expect(first.body.flavors.map((f: { id: string }) => f.id)).toEqual(['l-small', 'vm-tiny']);
      const next = first.body.flavors_links[0];
      expect(next.rel).toBe('next');
      expect(next.href).toBe('http://localhost:80/v2.1/flavors?limit=2&marker=vm-tiny&minRam=512&sort_key=memory_mb');
      const second = await t.call('GET', next.href.replace('http://localhost:80', ''));
      // (gen, of 2048 MB, is private.)
      expect(second.body.flavors.map((f: { id: string }) => f.id)).toEqual(['l-medium', 'l-large']);
      const bad = await t.call('GET', '/v2.1/flavors?marker=nope');
      expect(bad.body).toEqual({ badRequest: { code: 400, message: 'marker [nope] not found' } });
      expect((await t.call('GET', '/v2.1/flavors?limit=-1')).status).toBe(400);
    });

    it('ignores unknown query parameters before 2.75 and refuses them from it', async () => {
      expect((await t.call('GET', '/v2.1/flavors?color=red', undefined, mv('2.74'))).status).toBe(200);
      const strict = await t.call('GET', '/v2.1/flavors?color=red', undefined, mv('2.75'));
      expect(strict.status).toBe(400);
      expect(strict.body.badRequest.message).toBe("Additional properties are not allowed ('color' was unexpected)");
    });

    it('shows private flavors to administrators who ask, and to projects given access', async () => {
      expect(ids((await t.call('GET', '/v2.1/flavors')).body)).not.toContain('l-private');
      expect(ids((await t.call('GET', '/v2.1/flavors?is_public=false')).body)).toEqual(['l-private']);
      expect(ids((await t.call('GET', '/v2.1/flavors?is_public=None')).body)).toContain('l-private');
      expect((await t.call('GET', '/v2.1/flavors?is_public=perhaps')).body).toEqual({
        badRequest: { code: 400, message: 'Invalid is_public filter [perhaps]' },
      });
      // A member cannot widen the list, nor see the private flavor.
      expect(ids((await t.call('GET', '/v2.1/flavors?is_public=false', undefined, MEMBER)).body)).not.toContain(
        'l-private',
      );
      expect((await t.call('GET', '/v2.1/flavors/l-private', undefined, MEMBER)).body).toEqual({
        itemNotFound: { code: 404, message: 'Flavor l-private could not be found.' },
      });
      await t.call('POST', '/v2.1/flavors/l-private/action', { addTenantAccess: { tenant: 'p1' } });
      expect(ids((await t.call('GET', '/v2.1/flavors', undefined, MEMBER)).body)).toContain('l-private');
      expect((await t.call('GET', '/v2.1/flavors/l-private', undefined, MEMBER)).status).toBe(200);
      expect(ids((await t.call('GET', '/v2.1/flavors', undefined, as('bob', 'p2'))).body)).not.toContain('l-private');
    });

    it('lists briefly, with the description from 2.55, and in detail', async () => {
      const brief = (await t.call('GET', '/v2.1/flavors?minRam=8192')).body.flavors[0];
      expect(Object.keys(brief).sort()).toEqual(['id', 'links', 'name']);
      expect(
        (await t.call('GET', '/v2.1/flavors?minRam=8192', undefined, mv('2.55'))).body.flavors[0].description,
      ).toBeNull();
      const detail = (await t.call('GET', '/v2.1/flavors/detail?minRam=8192', undefined, LATEST)).body.flavors[0];
      expect(detail).toMatchObject({ id: 'l-large', ram: 8192, disk: 80, extra_specs: {} });
    });
  });

  it('updates the description from 2.55 only', async () => {
    const old = await t.call('PUT', '/v2.1/flavors/vm-tiny', { flavor: { description: 'tiny' } }, mv('2.54'));
    expect(old.status).toBe(404);
    const r = await t.call('PUT', '/v2.1/flavors/vm-tiny', { flavor: { description: 'tiny' } }, mv('2.55'));
    expect(r.status).toBe(200);
    expect(r.body.flavor).toMatchObject({ id: 'vm-tiny', description: 'tiny' });
    expect((await t.call('PUT', '/v2.1/flavors/vm-tiny', { flavor: { name: 'x' } }, LATEST)).status).toBe(400);
    expect((await t.call('PUT', '/v2.1/flavors/nope', { flavor: { description: null } }, LATEST)).status).toBe(404);
  });

  it('deletes with 202, after which the flavor is gone', async () => {
    await create({ name: 'doomed', id: 'doomed', ram: 1, vcpus: 1, disk: 0 });
    await t.call('POST', '/v2.1/flavors/doomed/os-extra_specs', { extra_specs: { 'hw:cpu_policy': 'shared' } });
    const r = await t.call('DELETE', '/v2.1/flavors/doomed', undefined, ADMIN);
    expect(r.status).toBe(202);
    expect(r.text).toBe('');
    expect((await t.call('GET', '/v2.1/flavors/doomed')).status).toBe(404);
    expect((await t.call('DELETE', '/v2.1/flavors/doomed')).body).toEqual({
      itemNotFound: { code: 404, message: 'Flavor doomed could not be found.' },
    });
    expect(await t.compute.db.selectFrom('flavor_extra_specs').selectAll().execute()).toEqual([]);
  });
});
