// OS-DCF:diskConfig as Nova Zed keeps it (auto_disk_config on the instance): taken on create,
// rebuild, resize and update, shown by show, detail and the create and rebuild answers, given to
// the host's driver with the guest; an image's auto_disk_config property makes AUTO the default
// ("true") or refuses it ("disabled") on create, rebuild and — from the image the server was last
// built from — resize; bad values answered 400 as Nova's schema; a resize without it and a cold
// migration set MANUAL, as Nova's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/jobs.js';
import { startServersCloud, TestDriver, testNode, type ServersCloud } from '../helpers/servers.js';

describe('OS-DCF:diskConfig', () => {
  let t: ServersCloud;
  const drivers = { dc1: new TestDriver([testNode('dc1')]), dc2: new TestDriver([testNode('dc2')]) };
  const images: Record<string, string> = {};

  beforeAll(async () => {
    t = await startServersCloud({ quotaInstances: -1, quotaCores: -1, quotaRam: -1 });
    await t.flavor('vm-tiny', 1024, 1, 1);
    await t.flavor('vm-small', 1024, 1, 2);
    await t.hypervisor({ host: 'dc1', vcpus: 8, memoryMb: 16384 });
    await t.hypervisor({ host: 'dc2', vcpus: 8, memoryMb: 16384 });
    t.manager('dc1', drivers.dc1);
    t.manager('dc2', drivers.dc2);
    for (const [name, property] of [
      ['auto', 'True'],
      ['disabled', ' Disabled '],
    ] as const) {
      const r = await t.image({ name, auto_disk_config: property });
      images[name] = r;
    }
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const act = (id: string, body: unknown) => t.nova('POST', `/servers/${id}/action`, body);
  const message = (r: { body: any }) => (Object.values(r.body ?? {})[0] as any)?.message as string;
  const shown = async (id: string) => (await t.nova('GET', `/servers/${id}`)).body.server['OS-DCF:diskConfig'];
  const listed = async (id: string) =>
    (await t.nova('GET', '/servers/detail')).body.servers.find((s: any) => s.id === id)['OS-DCF:diskConfig'];
  /** The guest as the driver of the server's host last got it. */
  const guest = async (id: string) => {
    const host = (await t.nova('GET', `/servers/${id}`)).body.server['OS-EXT-SRV-ATTR:host'] as 'dc1' | 'dc2';
    return drivers[host].guests_.get(id)?.spec;
  };
  const create = (server: Record<string, unknown>) =>
    t.nova('POST', '/servers', {
      server: { name: 'dc', imageRef: t.imageId, flavorRef: 'vm-tiny', networks: 'none', ...server },
    });
  const settled = async (id: string, statuses: string[]) => {
    let s: any;
    await until(`server ${id} in ${statuses.join('|')}`, async () => {
      s = (await t.nova('GET', `/servers/${id}`)).body.server;
      return statuses.includes(s.status) && s['OS-EXT-STS:task_state'] === null;
    });
    return s;
  };
  const count = async () => (await t.nova('GET', '/servers')).body.servers.length as number;

  it('keeps what a create asks (MANUAL without it), answers it and gives it to the driver', async () => {
    const auto = await create({ 'OS-DCF:diskConfig': 'AUTO' });
    expect([auto.status, auto.body.server['OS-DCF:diskConfig']]).toEqual([202, 'AUTO']);
    const id = auto.body.server.id as string;
    await t.waitFor(id, ['ACTIVE']);
    expect([await shown(id), await listed(id), (await guest(id))?.autoDiskConfig]).toEqual(['AUTO', 'AUTO', true]);
    const plain = await create({});
    expect(plain.body.server['OS-DCF:diskConfig']).toBe('MANUAL');
    await t.waitFor(plain.body.server.id, ['ACTIVE']);
    expect([await shown(plain.body.server.id), (await guest(plain.body.server.id))?.autoDiskConfig]).toEqual([
      'MANUAL',
      false,
    ]);
    for (const s of [id, plain.body.server.id]) await t.remove(s);
  });

  it("takes an image's auto_disk_config as the default, and refuses AUTO where it is disabled", async () => {
    const byImage = await create({ imageRef: images.auto });
    expect(byImage.body.server['OS-DCF:diskConfig']).toBe('AUTO');
    const manual = await create({ imageRef: images.auto, 'OS-DCF:diskConfig': 'MANUAL' });
    expect(manual.body.server['OS-DCF:diskConfig']).toBe('MANUAL');
    const before = await count();
    const refused = await create({ imageRef: images.disabled, 'OS-DCF:diskConfig': 'AUTO' });
    expect([refused.status, message(refused)]).toEqual([
      400,
      `Requested image ${images.disabled} has automatic disk resize disabled.`,
    ]);
    expect(await count()).toBe(before);
    const off = await create({ imageRef: images.disabled });
    expect([off.status, off.body.server['OS-DCF:diskConfig']]).toEqual([202, 'MANUAL']);
    for (const r of [byImage, manual, off]) {
      await t.waitFor(r.body.server.id, ['ACTIVE']);
      await t.remove(r.body.server.id);
    }
  });

  it("refuses values Nova's schema refuses, on create, update, rebuild and resize, nothing changed", async () => {
    const id = await t.boot({ name: 'dc-bad' });
    await t.waitFor(id, ['ACTIVE']);
    const before = await count();
    for (const value of ['auto', '', 'NONE', 1, null]) {
      const bad = (r: { status: number; body: any }) => {
        expect([r.status, JSON.stringify(value)]).toEqual([400, JSON.stringify(value)]);
        expect(message(r)).toMatch(/^Invalid input for field\/attribute OS-DCF:diskConfig\. Value: /);
      };
      bad(await create({ 'OS-DCF:diskConfig': value }));
      bad(await t.nova('PUT', `/servers/${id}`, { server: { 'OS-DCF:diskConfig': value } }));
      bad(await act(id, { rebuild: { imageRef: t.imageId, 'OS-DCF:diskConfig': value } }));
      bad(await act(id, { resize: { flavorRef: 'vm-small', 'OS-DCF:diskConfig': value } }));
    }
    expect(await count()).toBe(before);
    const s = (await t.nova('GET', `/servers/${id}`)).body.server;
    expect([s.status, s['OS-DCF:diskConfig'], s.flavor.original_name]).toEqual(['ACTIVE', 'MANUAL', 'vm-tiny']);
    await t.remove(id);
  });

  it('changes with an update, as it comes', async () => {
    const id = await t.boot({ name: 'dc-update', imageRef: images.disabled });
    await t.waitFor(id, ['ACTIVE']);
    const r = await t.nova('PUT', `/servers/${id}`, { server: { 'OS-DCF:diskConfig': 'AUTO' } });
    expect([r.status, r.body.server['OS-DCF:diskConfig']]).toEqual([200, 'AUTO']);
    expect(await shown(id)).toBe('AUTO');
    await t.nova('PUT', `/servers/${id}`, { server: { 'OS-DCF:diskConfig': 'MANUAL' } });
    expect(await shown(id)).toBe('MANUAL');
    await t.remove(id);
  });

  it("rebuilds with what is asked, else the new image's default; the new image decides a later resize", async () => {
    const id = await t.boot({ name: 'dc-rebuild' });
    await t.waitFor(id, ['ACTIVE']);
    const rebuilt = await act(id, { rebuild: { imageRef: images.auto, 'OS-DCF:diskConfig': 'MANUAL' } });
    expect([rebuilt.status, rebuilt.body.server['OS-DCF:diskConfig']]).toEqual([202, 'MANUAL']);
    await settled(id, ['ACTIVE']);
    expect([await shown(id), (await guest(id))?.autoDiskConfig]).toEqual(['MANUAL', false]);
    // Not asked: the image's true.
    expect((await act(id, { rebuild: { imageRef: images.auto } })).body.server['OS-DCF:diskConfig']).toBe('AUTO');
    await settled(id, ['ACTIVE']);
    expect([await shown(id), (await guest(id))?.autoDiskConfig]).toEqual(['AUTO', true]);
    // AUTO on an image that disables it: refused, the server as it was.
    const refused = await act(id, { rebuild: { imageRef: images.disabled, 'OS-DCF:diskConfig': 'AUTO' } });
    expect([refused.status, message(refused)]).toEqual([
      400,
      `Requested image ${images.disabled} has automatic disk resize disabled.`,
    ]);
    let s = (await t.nova('GET', `/servers/${id}`)).body.server;
    expect([s.status, s.image.id, s['OS-DCF:diskConfig']]).toEqual(['ACTIVE', images.auto, 'AUTO']);
    // Rebuilt from it (MANUAL, its default), the server's resizes answer to it.
    expect((await act(id, { rebuild: { imageRef: images.disabled } })).body.server['OS-DCF:diskConfig']).toBe('MANUAL');
    await settled(id, ['ACTIVE']);
    const resize = await act(id, { resize: { flavorRef: 'vm-small', 'OS-DCF:diskConfig': 'AUTO' } });
    expect([resize.status, message(resize)]).toEqual([
      400,
      `Requested image ${images.disabled} has automatic disk resize disabled.`,
    ]);
    s = await settled(id, ['ACTIVE']);
    expect([
      s.flavor.original_name,
      (await t.nova('GET', `/os-migrations?instance_uuid=${id}`)).body.migrations,
    ]).toEqual(['vm-tiny', []]);
    await t.remove(id);
  });

  it('resizes to what is asked (MANUAL without it), a cold migration to MANUAL, as Nova', async () => {
    const id = await t.boot({ name: 'dc-resize', availability_zone: 'nova:dc1' });
    await t.waitFor(id, ['ACTIVE']);
    expect((await act(id, { resize: { flavorRef: 'vm-small', 'OS-DCF:diskConfig': 'AUTO' } })).status).toBe(202);
    await settled(id, ['VERIFY_RESIZE']);
    expect([await shown(id), (await guest(id))?.node, (await guest(id))?.autoDiskConfig]).toEqual([
      'AUTO',
      'dc2',
      true,
    ]);
    expect((await act(id, { confirmResize: null })).status).toBe(204);
    await settled(id, ['ACTIVE']);
    expect((await act(id, { migrate: null })).status).toBe(202);
    await settled(id, ['VERIFY_RESIZE']);
    expect([await shown(id), (await guest(id))?.autoDiskConfig]).toEqual(['MANUAL', false]);
    expect((await act(id, { confirmResize: null })).status).toBe(204);
    await settled(id, ['ACTIVE']);
    await t.nova('PUT', `/servers/${id}`, { server: { 'OS-DCF:diskConfig': 'AUTO' } });
    expect((await act(id, { resize: { flavorRef: 'vm-tiny' } })).status).toBe(202);
    await settled(id, ['VERIFY_RESIZE']);
    expect(await shown(id)).toBe('MANUAL');
    await t.remove(id);
  });
});
