// The compute service's frame: version discovery without a token, microversions read from and
// answered in both of Nova's headers, Nova's fault bodies for what no handler answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, startCompute, type TestCompute } from '../helpers/compute.js';

describe('compute service', () => {
  let t: TestCompute;
  beforeAll(async () => {
    t = await startCompute();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists the API versions at the root, to anyone, outside microversion control', async () => {
    const r = await t.call('GET', '/', undefined, {});
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      versions: [
        {
          id: 'v2.1',
          status: 'CURRENT',
          version: '2.93',
          min_version: '2.1',
          updated: '2013-07-23T11:33:21Z',
          links: [{ rel: 'self', href: 'http://localhost:80/v2.1/' }],
        },
      ],
    });
    expect(r.headers['openstack-api-version']).toBeUndefined();
  });

  it('shows the v2.1 document at /v2.1 and /v2.1/ without a token', async () => {
    for (const url of ['/v2.1', '/v2.1/']) {
      const r = await t.call('GET', url, undefined, {});
      expect(r.status).toBe(200);
      expect(r.body.version).toMatchObject({ id: 'v2.1', status: 'CURRENT', version: '2.93', min_version: '2.1' });
      expect(r.body.version.links[0]).toEqual({ rel: 'self', href: 'http://localhost:80/v2.1/' });
      expect(r.body.version['media-types'][0].type).toBe('application/vnd.openstack.compute+json;version=2.1');
    }
  });

  it('answers the negotiated microversion in both headers, with both in Vary', async () => {
    const plain = await t.call('GET', '/v2.1/');
    expect(plain.headers['openstack-api-version']).toBe('compute 2.1');
    expect(plain.headers['x-openstack-nova-api-version']).toBe('2.1');
    expect(plain.headers.vary).toBe('OpenStack-API-Version, X-OpenStack-Nova-API-Version');
    const legacy = await t.call('GET', '/v2.1/', undefined, { 'x-openstack-nova-api-version': '2.55' });
    expect(legacy.headers['openstack-api-version']).toBe('compute 2.55');
    expect(legacy.headers['x-openstack-nova-api-version']).toBe('2.55');
    // The standard header wins over the legacy one.
    const both = await t.call('GET', '/v2.1/', undefined, {
      'openstack-api-version': 'compute 2.60',
      'x-openstack-nova-api-version': '2.55',
    });
    expect(both.headers['x-openstack-nova-api-version']).toBe('2.60');
    const latest = await t.call('GET', '/v2.1/', undefined, { 'openstack-api-version': 'compute latest' });
    expect(latest.headers['openstack-api-version']).toBe('compute 2.93');
    // A version for another service is not one for compute.
    const other = await t.call('GET', '/v2.1/', undefined, { 'openstack-api-version': 'placement 1.39' });
    expect(other.headers['openstack-api-version']).toBe('compute 2.1');
  });

  it("refuses a malformed version with 400 and one it does not serve with 406, in Nova's words", async () => {
    const bad = await t.call('GET', '/v2.1/', undefined, { 'openstack-api-version': 'compute 2.x' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      badRequest: {
        code: 400,
        message: 'API Version String 2.x is of invalid format. Must be of format MajorNum.MinorNum.',
      },
    });
    const high = await t.call('GET', '/v2.1/', undefined, { 'x-openstack-nova-api-version': '2.94' });
    expect(high.status).toBe(406);
    expect(high.body).toEqual({
      computeFault: {
        code: 406,
        message: 'Version 2.94 is not supported by the API. Minimum is 2.1 and maximum is 2.93.',
      },
    });
    expect(high.headers['openstack-api-version']).toBe('compute 2.1');
  });

  it("answers unknown paths and methods with Nova's fault bodies", async () => {
    const missing = await t.call('GET', '/v2.1/no-such-thing');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    expect(missing.headers['content-type']).toBe('application/json; charset=UTF-8');
    const method = await t.call('DELETE', '/v2.1/');
    expect(method.status).toBe(405);
    expect(method.body.badMethod.code).toBe(405);
  });

  it('refuses requests without a token as keystonemiddleware does, before anything else', async () => {
    const r = await t.call('GET', '/v2.1/no-such-thing', undefined, {
      'x-auth-token': '',
      'openstack-api-version': 'compute 9.9',
    });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({
      error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' },
    });
    // A member gets past authentication.
    expect((await t.call('GET', '/v2.1/no-such-thing', undefined, as('u', 'p'))).status).toBe(404);
  });
});
