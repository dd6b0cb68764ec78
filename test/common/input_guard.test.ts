// The input guard every service shares: NUL, lone surrogates and bytes that are not UTF-8 are a
// 400 in the service's own error format before any handler runs; everything else passes through
// unchanged (including astral characters, written raw or as surrogate-pair escapes). Malformed
// escapes in the path (invalid UTF-8 among them) fail in Fastify's router, before any hook.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, servicePlugin } from '../../src/common/http/app.js';
import { createLogger } from '../../src/common/log.js';

describe('input guard', () => {
  let app: FastifyInstance;
  const seen: unknown[] = [];

  beforeAll(async () => {
    const log = createLogger({ name: 'test' });
    log.level = 'silent';
    app = createServer({ logger: log });
    await app.register(
      servicePlugin({
        name: 'echo',
        authenticate: async () => ({}) as never,
        formatError: (err) => ({ contentType: 'application/json', body: JSON.stringify({ echo_error: err.message }) }),
        routes: {
          '/things/:id': {
            PUT: async (req) => {
              seen.push(req.body);
              return { id: (req.params as { id: string }).id, body: req.body, query: req.query };
            },
          },
        },
      }),
    );
    await app.ready();
  });
  afterAll(() => app.close());

  const put = async (url: string, payload: string | Buffer = '{}') => {
    seen.length = 0;
    const res = await app.inject({ method: 'PUT', url, payload, headers: { 'content-type': 'application/json' } });
    return { status: res.statusCode, body: res.json<Record<string, any>>(), handled: seen.length > 0 };
  };

  it.each([
    ['NUL in the path', '/things/a%00b', '{}', 'NUL'],
    ['NUL in the query', '/things/a?name=x%00', '{}', 'NUL'],
    ['NUL escaped in a JSON string', '/things/a', '{"name": "a\\u0000b"}', 'NUL'],
    ['NUL escaped in a JSON key', '/things/a', '{"\\u0000": 1}', 'NUL'],
    ['a raw NUL in the body', '/things/a', '{"name": "a\u0000b"}', 'NUL'],
    ['a lone high surrogate escape', '/things/a', '{"name": "\\ud800"}', 'surrogate'],
    ['a lone low surrogate escape', '/things/a', '{"name": "x\\uDC00y"}', 'surrogate'],
    ['a high surrogate before a non-surrogate escape', '/things/a', '{"name": "\\ud83d\\u0041"}', 'surrogate'],
    ['a high surrogate at the end of the body', '/things/a', '"\\ud83d', 'surrogate'],
    ['an encoded surrogate in the query', '/things/a?name=%ED%A0%80', '{}', 'UTF-8'],
    ['invalid UTF-8 in the query', '/things/a?q=%FF', '{}', 'UTF-8'],
    [
      'invalid UTF-8 in the body',
      '/things/a',
      Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      'UTF-8',
    ],
  ])("refuses %s with a 400 in the service's format, before the handler", async (_what, url, payload, word) => {
    const r = await put(url, payload);
    expect(r.status).toBe(400);
    expect(r.body.echo_error).toContain(word);
    expect(r.handled).toBe(false);
  });

  it.each([
    ['an escaped backslash before u0000', '{"name": "\\\\u0000"}', { name: '\\u0000' }],
    ['a surrogate pair escape', '{"name": "\\ud83d\\ude00"}', { name: '😀' }],
    ['raw astral and accented characters', '{"name": "é😀"}', { name: 'é😀' }],
    ['other escapes', '{"name": "\\n\\"\\u00e9"}', { name: '\n"é' }],
  ])('accepts %s unchanged', async (_what, payload, parsed) => {
    const r = await put('/things/%C3%A9%F0%9F%98%80?q=%E2%82%AC', payload);
    expect(r.status).toBe(200);
    expect(r.body.id).toBe('é😀');
    expect(r.body.query).toEqual({ q: '€' });
    expect(JSON.parse(r.body.body)).toEqual(parsed);
  });
});
