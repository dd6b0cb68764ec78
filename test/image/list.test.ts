// GET /v2/images: Glance's filters, both sorting syntaxes, limit/marker pagination with next
// links (followed to the end), and the 400s for what it cannot read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startImage, type TestImage } from '../helpers/image.js';

describe('image list', () => {
  let t: TestImage;
  const ids: Record<string, string> = {};
  const P1 = as('p1');

  beforeAll(async () => {
    t = await startImage();
    const specs: [string, Record<string, unknown>, Buffer?][] = [
      [
        'alpha',
        { disk_format: 'raw', container_format: 'bare', tags: ['linux', 'x86'], os_distro: 'ubuntu' },
        Buffer.alloc(100),
      ],
      [
        'beta',
        { disk_format: 'qcow2', container_format: 'bare', tags: ['linux'], os_distro: 'cirros' },
        Buffer.alloc(300),
      ],
      ['gamma', { disk_format: 'iso', container_format: 'bare', protected: true }],
      ['delta', { visibility: 'private', os_hidden: true }],
      ['epsilon', { visibility: 'community' }],
    ];
    for (const [name, body, data] of specs) {
      const img = await t.create({ name, ...body }, P1);
      ids[name] = img.id;
      if (data) expect((await t.upload(img.id, data, P1)).status).toBe(204);
      // Distinct creation times make created_at ordering deterministic.
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  afterAll(async () => {
    await t.close();
  });

  const names = async (query: string, headers = P1) => {
    const r = await t.call('GET', `/v2/images${query}`, undefined, headers);
    expect(r.status, `${query}: ${r.text}`).toBe(200);
    return r.body.images.map((i: { name: string }) => i.name);
  };

  it('lists newest first, without hidden images, community ones only to their owner', async () => {
    expect(await names('')).toEqual(['epsilon', 'gamma', 'beta', 'alpha']);
    expect(await names('', as('p2'))).toEqual([]);
    expect(await names('?visibility=community', as('p2'))).toEqual(['epsilon']);
    expect(await names('?os_hidden=true')).toEqual(['delta']);
    expect(await names('?os_hidden=TRUE')).toEqual(['delta']);
  });

  it('filters by attributes, tags, sizes and properties', async () => {
    expect(await names('?name=beta')).toEqual(['beta']);
    expect(await names('?name=in:alpha,gamma,"x,y"')).toEqual(['gamma', 'alpha']);
    expect(await names('?name=eq:alpha')).toEqual(['alpha']);
    expect(await names('?status=active')).toEqual(['beta', 'alpha']);
    expect(await names('?status=in:active,queued&disk_format=iso')).toEqual(['gamma']);
    expect(await names('?disk_format=qcow2')).toEqual(['beta']);
    expect(await names('?container_format=bare&sort=name:asc')).toEqual(['alpha', 'beta', 'gamma']);
    expect(await names('?visibility=private&os_hidden=true')).toEqual(['delta']);
    expect(await names('?visibility=shared')).toEqual(['gamma', 'beta', 'alpha']);
    expect(await names('?visibility=all')).toEqual(['epsilon', 'gamma', 'beta', 'alpha']);
    expect(await names('?owner=p1&protected=true')).toEqual(['gamma']);
    expect(await names('?protected=false&sort_key=name&sort_dir=asc')).toEqual(['alpha', 'beta', 'epsilon']);
    expect(await names('?tag=linux')).toEqual(['beta', 'alpha']);
    expect(await names('?tag=linux&tag=x86')).toEqual(['alpha']);
    expect(await names('?tag=nope')).toEqual([]);
    expect(await names('?size_min=200')).toEqual(['beta']);
    expect(await names('?size_max=200')).toEqual(['alpha']);
    expect(await names('?size=300')).toEqual(['beta']);
    expect(await names('?size=lots')).toEqual([]);
    expect(await names('?os_distro=cirros')).toEqual(['beta']);
    expect(await names('?os_distro=nothing')).toEqual([]);
    expect(await names(`?id=${ids.alpha}`)).toEqual(['alpha']);
    expect(await names('?created_at=gte:2000-01-01T00:00:00Z&sort=name')).toEqual([
      'gamma',
      'epsilon',
      'beta',
      'alpha',
    ]);
    expect(await names('?created_at=lt:2999-01-01&updated_at=neq:2000-01-01T00:00:00%2B02:00&name=beta')).toEqual([
      'beta',
    ]);
    expect(await names('?updated_at=lt:2000-01-01T00:00:00Z')).toEqual([]);
  });

  it('sorts by several keys in either syntax', async () => {
    expect(await names('?sort=disk_format:asc,name:desc')).toEqual(['epsilon', 'gamma', 'beta', 'alpha']);
    expect(await names('?sort_key=size&sort_dir=desc&sort_key=name&sort_dir=asc')).toEqual([
      'beta',
      'alpha',
      'epsilon',
      'gamma',
    ]);
    expect(await names('?sort_key=status&sort_key=name&sort_dir=asc')).toEqual(['alpha', 'beta', 'epsilon', 'gamma']);
  });

  it('pages with limit and marker, and next links lead through every image once', async () => {
    const first = await t.call('GET', '/v2/images?limit=2&sort=name:asc', undefined, P1);
    expect(first.body.images.map((i: { name: string }) => i.name)).toEqual(['alpha', 'beta']);
    expect(first.body.first).toBe('/v2/images?limit=2&sort=name%3Aasc');
    expect(first.body.next).toBe(`/v2/images?limit=2&sort=name%3Aasc&marker=${ids.beta}`);
    expect(first.body.schema).toBe('/v2/schemas/images');
    const seen: string[] = [];
    let url: string | undefined = '/v2/images?limit=1&sort_key=name&sort_dir=desc';
    while (url) {
      const r = await t.call('GET', url, undefined, P1);
      seen.push(...r.body.images.map((i: { name: string }) => i.name));
      url = r.body.next;
      expect(seen.length).toBeLessThan(10);
    }
    expect(seen).toEqual(['gamma', 'epsilon', 'beta', 'alpha']);
    const sized: string[] = [];
    url = '/v2/images?limit=1&sort=size:asc';
    while (url) {
      const r = await t.call('GET', url, undefined, P1);
      sized.push(...r.body.images.map((i: { name: string }) => i.name));
      url = r.body.next;
    }
    // No size counts as 0; ties go by created_at and id, in the one direction given.
    expect(sized).toEqual(['gamma', 'epsilon', 'alpha', 'beta']);
    expect((await t.call('GET', '/v2/images?limit=0', undefined, P1)).body.images).toEqual([]);
  });

  it('refuses what Glance cannot read with 400', async () => {
    const bad: [string, string][] = [
      ['limit=x', 'limit param must be an integer'],
      ['limit=-1', 'limit param must be positive'],
      ['sort_key=owner', 'Invalid sort key: owner.'],
      ['sort_dir=up', 'Invalid sort direction: up'],
      ['sort=name&sort_key=name', 'Old and new sorting syntax cannot be combined'],
      ['sort_key=name&sort_key=id&sort_key=size&sort_dir=asc&sort_dir=desc', 'Number of sort dirs does not match'],
      ['visibility=everyone', 'Invalid visibility value: everyone'],
      ['member_status=maybe', 'Invalid status: maybe'],
      ['os_hidden=maybe', "Invalid value 'maybe' for 'os_hidden' filter."],
      ['protected=1', "Invalid value '1' for 'protected' filter."],
      ['size_min=big', 'Unable to filter on a range with a non-numeric value.'],
      ['name=like:a', "Unable to filter by unknown operator 'like'."],
      ['created_at=yesterday', 'Bad "created_at" query filter format.'],
      ['created_at=around:2024-01-01T00:00:00Z', 'Unable to filter using the specified operator.'],
      ['changes-since=2020-01-01', 'The "changes-since" filter is no longer available on v2.'],
      ['marker=f0e7b1b6-0000-4000-8000-000000000000', 'No image found with ID f0e7b1b6-0000-4000-8000-000000000000'],
    ];
    for (const [query, message] of bad) {
      const r = await t.call('GET', `/v2/images?${query}`, undefined, P1);
      expect(r.status, query).toBe(400);
      expect(r.body.message, query).toContain(message);
    }
    const hidden = await t.call('GET', `/v2/images?marker=${ids.delta}`, undefined, as('p2'));
    expect(hidden.status).toBe(403);
  });

  it("lets administrators list every project's images", async () => {
    const mine = await t.create({ name: 'admins', visibility: 'private' });
    expect(
      await names('?sort=name:asc', { 'x-auth-token': 'admin:admin', 'x-roles': 'admin', accept: 'application/json' }),
    ).toEqual(['admins', 'alpha', 'beta', 'gamma']);
    await t.call('DELETE', `/v2/images/${mine.id}`);
  });

  it('needs at least the reader role to list', async () => {
    const r = await t.call('GET', '/v2/images', undefined, as('p1', []));
    expect(r.status).toBe(403);
    expect(r.body.message).toContain('You are not authorized to complete get_images action.');
  });
});
