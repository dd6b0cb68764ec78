// Nova's image proxy (/images, /images/detail, /images/{id}, /images/{id}/metadata) over Glance
// v2: Nova's view of an image (status and progress from Glance's, minRam/minDisk, extra
// properties as metadata, the snapshot's server, the size), its filters and pages, deletion as
// the caller with Glance's refusals, metadata merged, replaced and deleted under the
// metadata_items quota; all of it a 404 from 2.36 on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServersCloud, type ServersCloud } from '../helpers/servers.js';

const V = { version: '2.35' };

describe('the /images proxy', () => {
  let t: ServersCloud;
  let active = '';
  let queued = '';
  const server = '9f1b7c3e-5b1f-4b43-9d1c-6a3c1f3e2a10';

  const glanceImage = async (body: Record<string, unknown>, token = t.demo) =>
    (await t.local.call('POST', '/image/v2/images', token, body)).body.id as string;

  beforeAll(async () => {
    t = await startServersCloud();
    active = await glanceImage({
      name: 'proxy-active',
      disk_format: 'raw',
      container_format: 'bare',
      min_ram: 128,
      min_disk: 2,
      instance_uuid: server,
      image_type: 'snapshot',
      os_distro: 'cirros',
    });
    await t.local.call('PUT', `/image/v2/images/${active}/file`, t.demo, 'x'.repeat(42), {
      'content-type': 'application/octet-stream',
    });
    queued = await glanceImage({ name: 'proxy-queued' });
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const nova = (method: string, path: string, body?: unknown, token?: string) =>
    t.nova(method, path, body, { ...V, token: token ?? t.demo });

  it("shows a Glance image in Nova's view", async () => {
    const r = await nova('GET', `/images/${active}`);
    expect(r.status).toBe(200);
    const image = r.body.image;
    expect(image).toMatchObject({
      id: active,
      name: 'proxy-active',
      status: 'ACTIVE',
      progress: 100,
      minRam: 128,
      minDisk: 2,
      'OS-EXT-IMG-SIZE:size': 42,
      metadata: { instance_uuid: server, image_type: 'snapshot', os_distro: 'cirros' },
      server: { id: server },
    });
    expect(image.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(image.links.map((l: any) => l.rel)).toEqual(['self', 'bookmark', 'alternate']);
    expect(image.links[0].href).toMatch(new RegExp(`/compute/v2\\.1/images/${active}$`));
    expect(image.links[2]).toMatchObject({ type: 'application/vnd.openstack.image' });
    expect(image.server.links[0].href).toMatch(new RegExp(`/compute/v2\\.1/servers/${server}$`));
    const q = (await nova('GET', `/images/${queued}`)).body.image;
    expect([q.status, q.progress, q.metadata, q.server]).toEqual(['SAVING', 25, {}, undefined]);
  });

  it('answers 404 for an unknown image, and for all of it from 2.36', async () => {
    const r = await nova('GET', '/images/5c7f8a86-64f2-4ac5-9d67-2b7a2b4e1a11');
    expect([r.status, r.body.itemNotFound?.message]).toEqual([404, 'Image not found.']);
    for (const path of ['/images', '/images/detail', `/images/${active}`, `/images/${active}/metadata`]) {
      expect((await t.nova('GET', path, undefined, { version: '2.36', token: t.demo })).status).toBe(404);
    }
  });

  it('lists with filters and pages', async () => {
    const names = async (query: string, detail = false) =>
      ((await nova('GET', `/images${detail ? '/detail' : ''}?${query}`)).body.images as any[]).map((i) => i.name);
    expect(await names('name=proxy-active')).toEqual(['proxy-active']);
    expect(await names('status=ACTIVE&name=proxy-active', true)).toEqual(['proxy-active']);
    expect(await names('status=SAVING&name=proxy-active', true)).toEqual([]);
    expect(await names('type=snapshot')).toEqual(['proxy-active']);
    expect(await names(`server=http://x/compute/v2.1/servers/${server}`, true)).toEqual(['proxy-active']);
    expect(await names('minRam=100&name=proxy-active')).toEqual(['proxy-active']);
    expect(await names('minRam=256&name=proxy-active')).toEqual([]);
    expect(await names('changes-since=2000-01-01T00:00:00Z&name=proxy-queued', true)).toEqual(['proxy-queued']);
    const page = (await nova('GET', '/images?limit=1')).body;
    expect(page.images).toHaveLength(1);
    expect(Object.keys(page.images[0]).sort()).toEqual(['id', 'links', 'name']);
    expect(page.images_links[0].href).toContain(`marker=${page.images[0].id}`);
  });

  it('merges, replaces, shows and deletes metadata under the quota', async () => {
    const path = `/images/${queued}/metadata`;
    expect((await nova('POST', path, { metadata: { a: '1', b: '2' } })).body.metadata).toEqual({ a: '1', b: '2' });
    expect((await nova('PUT', `${path}/c`, { meta: { c: '3' } })).body.meta).toEqual({ c: '3' });
    expect((await nova('GET', `${path}/c`)).body.meta).toEqual({ c: '3' });
    const mismatch = await nova('PUT', `${path}/c`, { meta: { d: '4' } });
    expect([mismatch.status, mismatch.body.badRequest.message]).toEqual([400, 'Request body and URI mismatch']);
    expect((await nova('PUT', path, { metadata: { b: '9', e: '5' } })).body.metadata).toEqual({ b: '9', e: '5' });
    expect((await nova('GET', path)).body.metadata).toEqual({ b: '9', e: '5' });
    expect((await nova('DELETE', `${path}/b`)).status).toBe(204);
    expect((await nova('GET', `${path}/b`)).status).toBe(404);
    expect((await nova('DELETE', `${path}/b`)).status).toBe(404);
    await t.nova('PUT', `/os-quota-sets/${t.demoProject}`, { quota_set: { metadata_items: 2 } });
    const over = await nova('POST', path, { metadata: { f: '1', g: '2' } });
    expect(over.status).toBe(403);
    expect((await nova('GET', path)).body.metadata).toEqual({ e: '5' });
    await t.nova('PUT', `/os-quota-sets/${t.demoProject}`, { quota_set: { metadata_items: 128 } });
  });

  it("deletes as the caller, with Glance's refusals", async () => {
    const theirs = await glanceImage({ name: 'admin-owned', visibility: 'public', protected: true }, t.admin);
    const refused = await nova('DELETE', `/images/${theirs}`);
    expect(refused.status).toBe(403);
    const mine = await glanceImage({ name: 'to-delete' });
    expect((await nova('DELETE', `/images/${mine}`)).status).toBe(204);
    expect((await nova('GET', `/images/${mine}`)).status).toBe(404);
    expect((await nova('DELETE', `/images/${mine}`)).status).toBe(404);
  });
});
