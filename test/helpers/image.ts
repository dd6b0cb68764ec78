// An in-process image service for tests: fresh SQLite (or PostgreSQL when `databaseUrl` is given)
// and data directory in a temp dir, noauth2 (token "USER:PROJECT", roles from X-Roles), requests
// through Fastify's inject() unless a test listens on a port.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/common/config.js';
import { createLogger } from '../../src/common/log.js';
import { createServer } from '../../src/common/http/app.js';
import { noauth2 } from '../../src/common/http/auth.js';
import { createImage, imageEnforcer, imagePlugin, type ImageInstance } from '../../src/image/index.js';

export interface Reply {
  status: number;
  body: any;
  text: string;
  raw: Buffer;
  headers: Record<string, unknown>;
}

/** noauth2 headers for a user of `project` with `roles` (admin: "admin" in project "admin"). */
export function as(project: string, roles: string[] = ['member', 'reader']): Record<string, string> {
  return { 'x-auth-token': `user-${project}:${project}`, 'x-roles': roles.join(','), accept: 'application/json' };
}
export const ADMIN = { 'x-auth-token': 'admin:admin', 'x-roles': 'admin,member,reader', accept: 'application/json' };
export const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';

export interface TestImage {
  app: FastifyInstance;
  image: ImageInstance;
  dataDir: string;
  /** A request; a JSON-able body is sent as JSON unless a string or Buffer; admin unless headers say. */
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** PUT /v2/images/ID/file with these bytes (or this stream). */
  upload(id: string, data: Buffer | Readable, headers?: Record<string, string>): Promise<Reply>;
  /** Creates an image as `headers`' caller; its JSON. */
  create(body?: Record<string, unknown>, headers?: Record<string, string>): Promise<any>;
  /** Listens on a free local port (once) and returns the base URL, for tests that need sockets. */
  address(): Promise<string>;
  /** The files in the data directory (image data and anything left behind). */
  storedFiles(): string[];
  close(): Promise<void>;
}

function reply(res: { statusCode: number; headers: Record<string, unknown>; rawPayload: Buffer; body: string }): Reply {
  let parsed: unknown = res.body;
  try {
    parsed = res.body ? JSON.parse(res.body) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.statusCode, body: parsed, text: res.body, raw: res.rawPayload, headers: res.headers };
}

export async function startImage(opts: { databaseUrl?: string; config?: Partial<Config> } = {}): Promise<TestImage> {
  const dir = mkdtempSync(join(tmpdir(), 'concord-image-test-'));
  const config = loadConfig(
    undefined,
    {},
    {
      ...opts.config,
      ...(opts.databaseUrl ? { imageDatabaseConnection: opts.databaseUrl } : {}),
    },
  );
  const log = createLogger({ name: 'test' });
  log.level = process.env.CONCORD_TEST_LOG ?? 'silent';
  const image = await createImage({
    config,
    dataDir: dir,
    log,
    policy: imageEnforcer({ config, configDir: dir, log }),
  });
  const app = createServer({ logger: log });
  await app.register(imagePlugin(image, noauth2));
  await app.ready();
  const dataDir = join(dir, 'images');

  const t: TestImage = {
    app,
    image,
    dataDir,
    async call(method, url, body, headers = {}) {
      const isRaw = typeof body === 'string' || Buffer.isBuffer(body);
      const res = await app.inject({
        method: method as 'GET',
        url,
        headers: {
          ...ADMIN,
          ...(body !== undefined && !isRaw ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { payload: isRaw ? body : JSON.stringify(body) } : {}),
      });
      return reply(res);
    },
    async upload(id, data, headers = {}) {
      const res = await app.inject({
        method: 'PUT',
        url: `/v2/images/${id}/file`,
        headers: { ...ADMIN, 'content-type': 'application/octet-stream', ...headers },
        payload: data,
      });
      return reply(res);
    },
    async create(body = {}, headers = ADMIN) {
      const r = await t.call('POST', '/v2/images', body, headers);
      if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
      return r.body;
    },
    async address() {
      const bound = app.server.address();
      if (bound && typeof bound === 'object') return `http://127.0.0.1:${bound.port}`;
      return app.listen({ port: 0, host: '127.0.0.1' });
    },
    storedFiles: () => readdirSync(dataDir).sort(),
    async close() {
      await app.close();
      await image.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
