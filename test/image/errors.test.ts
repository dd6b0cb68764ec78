// Errors in Glance's (webob's) format, negotiated from Accept as webob does, and the parsing of
// that negotiation on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { negotiateErrorType } from '../../src/image/errors.js';
import { startImage, type TestImage } from '../helpers/image.js';

describe('webob error negotiation', () => {
  it("picks HTML, JSON or plain text as webob's acceptable_offers would", () => {
    expect(negotiateErrorType(undefined)).toBeNull();
    expect(negotiateErrorType('')).toBeNull();
    expect(negotiateErrorType('*/*')).toBe('text/html');
    expect(negotiateErrorType('application/json')).toBe('application/json');
    expect(negotiateErrorType('application/*')).toBe('application/json');
    expect(negotiateErrorType('text/html;q=0.5, application/json')).toBe('application/json');
    expect(negotiateErrorType('application/json;q=0, */*')).toBe('text/html');
    expect(negotiateErrorType('text/*;q=0, */*;q=0.1')).toBe('application/json');
    expect(negotiateErrorType('text/plain')).toBeNull();
    expect(negotiateErrorType('application/xml, image/png')).toBeNull();
    expect(negotiateErrorType('not a media type')).toBe('text/html');
  });
});

describe('image service error bodies', () => {
  let t: TestImage;
  beforeAll(async () => {
    t = await startImage();
  });
  afterAll(async () => {
    await t.close();
  });
  const missing = '/v2/images/f0e7b1b6-0000-4000-8000-000000000000';

  it('renders JSON when asked for JSON', async () => {
    const r = await t.call('GET', missing, undefined, { accept: 'application/json' });
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toEqual({
      message: 'No image found with ID f0e7b1b6-0000-4000-8000-000000000000<br /><br />\n\n\n',
      code: '404 Not Found',
      title: 'Not Found',
    });
  });

  it('renders an HTML page for */* (what python-requests sends), escaped', async () => {
    const r = await t.call('GET', '/v2/images/%3Cb%3E', undefined, { accept: '*/*' });
    expect(r.headers['content-type']).toBe('text/html; charset=UTF-8');
    expect(r.text).toBe(
      '<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n  <h1>404 Not Found</h1>\n' +
        '  No image found with ID &lt;b&gt;<br /><br />\n\n\n\n </body>\n</html>',
    );
  });

  it('renders plain text without an Accept header', async () => {
    const r = await t.call('GET', missing, undefined, { accept: '' });
    expect(r.headers['content-type']).toBe('text/plain; charset=UTF-8');
    expect(r.text).toBe('404 Not Found\n\nNo image found with ID f0e7b1b6-0000-4000-8000-000000000000\n\n   ');
  });

  it("renders 405, 413 and 415 with webob's titles", async () => {
    expect((await t.call('DELETE', '/v2/images')).body).toMatchObject({ code: '405 Method Not Allowed' });
    const img = await t.create({ disk_format: 'raw', container_format: 'bare' });
    expect(
      (await t.call('PUT', `/v2/images/${img.id}/file`, 'x', { 'content-type': 'text/plain' })).body,
    ).toMatchObject({ code: '415 Unsupported Media Type', title: 'Unsupported Media Type' });
    const big = await t.call('POST', '/v2/images', JSON.stringify({ name: 'x'.repeat(200_000) }));
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('413 Request Entity Too Large');
  });

  it('refuses NUL characters before they reach the database', async () => {
    const r = await t.call('POST', '/v2/images', '{"name": "a\\u0000b"}');
    expect(r.status).toBe(400);
    expect((await t.call('GET', '/v2/images?name=a%00b')).status).toBe(400);
  });
});
