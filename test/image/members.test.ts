// Visibility and sharing: who sees, lists and changes which image, and the member API around
// shared images (only the owner adds and removes members, only a member changes its own status).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, PATCH_TYPE, startImage, type TestImage } from '../helpers/image.js';

const A = as('pa');
const B = as('pb');
const C = as('pc');

describe('image visibility and members', () => {
  let t: TestImage;
  const img: Record<string, string> = {};

  beforeAll(async () => {
    t = await startImage();
    for (const [name, visibility] of [
      ['private', 'private'],
      ['pending', 'shared'],
      ['accepted', 'shared'],
      ['rejected', 'shared'],
      ['community', 'community'],
      ['unshared', 'shared'],
    ] as const) {
      img[name] = (await t.create({ name, visibility }, A)).id;
    }
    img.public = (await t.create({ name: 'public', visibility: 'public', owner: 'pa' })).id;
    for (const status of ['pending', 'accepted', 'rejected']) {
      expect((await t.call('POST', `/v2/images/${img[status]}/members`, { member: 'pb' }, A)).status).toBe(200);
      if (status !== 'pending') {
        expect((await t.call('PUT', `/v2/images/${img[status]}/members/pb`, { status }, B)).status).toBe(200);
      }
    }
  });
  afterAll(async () => {
    await t.close();
  });

  const visible = async (headers: Record<string, string>) => {
    const out: string[] = [];
    for (const [name, id] of Object.entries(img)) {
      const r = await t.call('GET', `/v2/images/${id}`, undefined, headers);
      expect([200, 404], `${name}: ${r.text}`).toContain(r.status);
      if (r.status === 200) out.push(name);
    }
    return out.sort();
  };
  const listed = async (query: string, headers: Record<string, string>) =>
    (await t.call('GET', `/v2/images${query}`, undefined, headers)).body.images
      .map((i: { name: string }) => i.name)
      .sort();

  it('shows each image to whom Glance shows it, 404 to everyone else', async () => {
    expect(await visible(A)).toEqual(['accepted', 'community', 'pending', 'private', 'public', 'rejected', 'unshared']);
    expect(await visible(B)).toEqual(['accepted', 'community', 'pending', 'public', 'rejected']);
    expect(await visible(C)).toEqual(['community', 'public']);
  });

  it('lists shared images to members by member_status (accepted by default)', async () => {
    expect(await listed('', B)).toEqual(['accepted', 'public']);
    expect(await listed('?member_status=pending', B)).toEqual(['pending', 'public']);
    expect(await listed('?member_status=rejected&visibility=shared', B)).toEqual(['rejected']);
    expect(await listed('?member_status=all&visibility=shared', B)).toEqual(['accepted', 'pending', 'rejected']);
    expect(await listed('?visibility=private', B)).toEqual([]);
    expect(await listed('', C)).toEqual(['public']);
    expect(await listed('', A)).toEqual(
      ['accepted', 'pending', 'private', 'public', 'rejected', 'unshared', 'community'].sort(),
    );
  });

  it("keeps another project's images unchangeable: 404 when hidden, 403 when only visible", async () => {
    const op = JSON.stringify([{ op: 'replace', path: '/name', value: 'hacked' }]);
    const patch = (id: string, h: Record<string, string>) =>
      t.call('PATCH', `/v2/images/${id}`, op, { ...h, 'content-type': PATCH_TYPE });
    expect((await patch(img.private!, B)).status).toBe(404);
    expect((await patch(img.accepted!, B)).status).toBe(403);
    expect((await patch(img.public!, C)).status).toBe(403);
    expect((await t.call('DELETE', `/v2/images/${img.private}`, undefined, B)).status).toBe(404);
    expect((await t.call('DELETE', `/v2/images/${img.public}`, undefined, B)).status).toBe(403);
    expect((await t.call('PUT', `/v2/images/${img.private}/tags/x`, undefined, B)).status).toBe(404);
    expect((await t.call('PUT', `/v2/images/${img.accepted}/tags/x`, undefined, B)).status).toBe(403);
    expect((await t.upload(img.private!, Buffer.from('x'), B)).status).toBe(404);
    expect((await t.call('GET', `/v2/images/${img.private}/file`, undefined, B)).status).toBe(404);
    expect((await t.call('GET', `/v2/images/${img.private}`, undefined, A)).body.name).toBe('private');
    expect((await t.call('GET', `/v2/images/${img.accepted}`, undefined, A)).body.tags).toEqual([]);
  });

  it('lets only the owner add members, to shared images, once', async () => {
    const url = `/v2/images/${img.unshared}/members`;
    expect((await t.call('POST', url, { member: 'pc' }, B)).status).toBe(404);
    expect((await t.call('POST', `/v2/images/${img.accepted}/members`, { member: 'pc' }, B)).status).toBe(403);
    const notShared = await t.call('POST', `/v2/images/${img.private}/members`, { member: 'pc' }, A);
    expect(notShared.status).toBe(403);
    const added = await t.call('POST', url, { member: 'pc' }, A);
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({
      member_id: 'pc',
      image_id: img.unshared,
      status: 'pending',
      schema: '/v2/schemas/member',
    });
    const dup = await t.call('POST', url, { member: 'pc' }, A);
    expect(dup.status).toBe(409);
    expect(dup.body.message).toContain(`Member pc is duplicated for image ${img.unshared}`);
    for (const [body, message] of [
      [{}, 'Member to be added not specified'],
      [{ member: '' }, "Member can't be empty"],
      [[], 'Expected a member in the form'],
      [{ member: 5 }, 'Expected a member in the form'],
    ] as const) {
      const r = await t.call('POST', url, body, A);
      expect(r.status).toBe(400);
      expect(r.body.message).toContain(message);
    }
    expect((await t.call('GET', `/v2/images/${img.unshared}`, undefined, C)).status).toBe(200);
  });

  it('lists all members to the owner and only its own membership to a member', async () => {
    const all = (await t.call('GET', `/v2/images/${img.accepted}/members`, undefined, A)).body;
    expect(all.schema).toBe('/v2/schemas/members');
    expect(all.members.map((m: { member_id: string }) => m.member_id)).toEqual(['pb']);
    await t.call('POST', `/v2/images/${img.accepted}/members`, { member: 'pz' }, A);
    const own = (await t.call('GET', `/v2/images/${img.accepted}/members`, undefined, B)).body.members;
    expect(own.map((m: { member_id: string; status: string }) => [m.member_id, m.status])).toEqual([
      ['pb', 'accepted'],
    ]);
    expect((await t.call('GET', `/v2/images/${img.accepted}/members`, undefined, A)).body.members).toHaveLength(2);
    expect((await t.call('GET', `/v2/images/${img.accepted}/members/pz`, undefined, B)).status).toBe(404);
    expect((await t.call('GET', `/v2/images/${img.accepted}/members/pb`, undefined, B)).body.status).toBe('accepted');
    expect((await t.call('GET', `/v2/images/${img.private}/members`, undefined, A)).status).toBe(403);
    expect((await t.call('GET', `/v2/images/${img.private}/members/pb`, undefined, A)).status).toBe(404);
    expect((await t.call('GET', `/v2/images/${img.accepted}/members`, undefined, C)).status).toBe(404);
  });

  it('lets only a member change its own status', async () => {
    const url = `/v2/images/${img.pending}/members/pb`;
    expect((await t.call('PUT', url, { status: 'accepted' }, A)).status).toBe(403);
    expect((await t.call('PUT', url, { status: 'accepted' }, C)).status).toBe(404);
    const bad = await t.call('PUT', url, { status: 'maybe' }, B);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('Status must be "pending", "accepted" or "rejected".');
    expect((await t.call('PUT', url, {}, B)).body.message).toContain('Status not specified');
    expect((await t.call('PUT', `/v2/images/${img.accepted}/members/pz`, { status: 'accepted' }, B)).status).toBe(404);
    expect((await t.call('GET', url, undefined, B)).body.status).toBe('pending');
    const ok = await t.call('PUT', url, { status: 'accepted' }, B);
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('accepted');
    expect(await listed('', B)).toContain('pending');
    expect((await t.call('PUT', url, { status: 'pending' }, B)).status).toBe(200);
  });

  it('lets only the owner remove members, after which the image is hidden again', async () => {
    const url = `/v2/images/${img.rejected}/members/pb`;
    expect((await t.call('DELETE', url, undefined, B)).status).toBe(403);
    expect((await t.call('DELETE', url, undefined, C)).status).toBe(404);
    expect((await t.call('DELETE', url, undefined, A)).status).toBe(204);
    expect((await t.call('DELETE', url, undefined, A)).status).toBe(404);
    expect((await t.call('GET', `/v2/images/${img.rejected}`, undefined, B)).status).toBe(404);
  });

  it('hides a shared image from its members when it becomes private', async () => {
    const id = (await t.create({ visibility: 'shared' }, A)).id;
    await t.call('POST', `/v2/images/${id}/members`, { member: 'pb' }, A);
    expect((await t.call('GET', `/v2/images/${id}`, undefined, B)).status).toBe(200);
    const op = JSON.stringify([{ op: 'replace', path: '/visibility', value: 'private' }]);
    expect((await t.call('PATCH', `/v2/images/${id}`, op, { ...A, 'content-type': PATCH_TYPE })).status).toBe(200);
    expect((await t.call('GET', `/v2/images/${id}`, undefined, B)).status).toBe(404);
  });

  it("lets administrators see and manage every image's members", async () => {
    const admin = { 'x-auth-token': 'admin:admin', 'x-roles': 'admin', accept: 'application/json' };
    expect((await t.call('GET', `/v2/images/${img.accepted}/members`, undefined, admin)).body.members).toHaveLength(2);
    expect((await t.call('PUT', `/v2/images/${img.accepted}/members/pz`, { status: 'rejected' }, admin)).status).toBe(
      200,
    );
  });
});
