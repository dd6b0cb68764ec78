// The cloud of `concord up`, built in-process on a fresh data dir and driven with inject(): the
// same app, services, bootstrap and in-process Keystone authentication, without a socket.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/common/config.js';
import { createLogger } from '../../src/common/log.js';
import { buildCloud, type AllInOne } from '../../src/cli/cloud.js';
import { resolveRuntime } from '../../src/cli/runtime.js';

export interface Reply {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

export interface LocalCloud {
  cloud: AllInOne;
  dataDir: string;
  /** A request with `token` as X-Auth-Token ('' for none); JSON in and out. */
  call(method: string, url: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** A project-scoped token for a Default-domain user (401 throws). */
  login(user: string, password: string, project: string): Promise<string>;
  close(): Promise<void>;
}

export const BASE = 'http://cloud.test';

export async function startLocalCloud(config: Partial<Config> = {}): Promise<LocalCloud> {
  const dataDir = mkdtempSync(join(tmpdir(), 'concord-aio-'));
  // No simulated hypervisors unless the test asks for them (the other services' tests see an empty Placement).
  const runtime = resolveRuntime({ dataDir }, { fakeHypervisors: 0, ...config }, {});
  const log = createLogger({ name: 'test' });
  log.level = 'silent';
  const cloud = await buildCloud({ runtime, log, publicBase: BASE });

  async function call(
    method: string,
    url: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const res = await cloud.app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(token ? { 'x-auth-token': token } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    let parsed: unknown = res.body;
    try {
      parsed = res.body ? JSON.parse(res.body) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.statusCode, body: parsed, headers: res.headers };
  }

  async function login(user: string, password: string, project: string): Promise<string> {
    const r = await call('POST', '/identity/v3/auth/tokens', '', {
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
        scope: { project: { name: project, domain: { id: 'default' } } },
      },
    });
    if (r.status !== 201) throw new Error(`login ${user}@${project}: ${r.status} ${JSON.stringify(r.body)}`);
    return String(r.headers['x-subject-token']);
  }

  return {
    cloud,
    dataDir,
    call,
    login,
    async close() {
      await cloud.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
