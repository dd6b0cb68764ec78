// An in-process identity service for tests: fresh SQLite (or PostgreSQL when `databaseUrl` is
// given) in a temp dir, bootstrapped, requests through Fastify's inject() (no sockets).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/common/config.js';
import { createLogger } from '../../src/common/log.js';
import { createServer } from '../../src/common/http/app.js';
import type { Enforcer } from '../../src/common/policy/index.js';
import {
  createIdentity,
  identityPlugin,
  bootstrapIdentity,
  identityEnforcer,
  type IdentityInstance,
} from '../../src/identity/index.js';
import type { BootstrapResult } from '../../src/identity/bootstrap.js';

export const ADMIN_PASSWORD = 'admin-secret';
export const SERVICE_PASSWORD = 'service-secret';
export const DEMO_PASSWORD = 'demo-secret';

export interface Reply {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

export interface LoginOptions {
  user: string;
  password: string;
  /** Project name in the Default domain, or an explicit scope object (or 'unscoped'). */
  project?: string;
  scope?: unknown;
}

export interface TestIdentity {
  app: FastifyInstance;
  identity: IdentityInstance;
  boot: BootstrapResult;
  /** Where the service is mounted ('' or e.g. '/identity'). */
  prefix: string;
  /** A project-scoped admin token. */
  adminToken: string;
  /** JSON request, as admin unless headers give another X-Auth-Token ('' for none). */
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** POST /v3/auth/tokens with a password for a Default-domain user; the reply with `token`. */
  login(o: LoginOptions): Promise<Reply & { token: string }>;
  close(): Promise<void>;
}

export function passwordAuth(user: string, password: string, scope?: unknown) {
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { name: user, domain: { id: 'default' }, password } } },
      ...(scope !== undefined ? { scope } : {}),
    },
  };
}

export async function startIdentity(
  opts: {
    databaseUrl?: string;
    config?: Partial<Config>;
    policy?: Enforcer;
    prefix?: string;
  } = {},
): Promise<TestIdentity> {
  const dir = mkdtempSync(join(tmpdir(), 'concord-identity-test-'));
  const config = loadConfig(
    undefined,
    {},
    {
      ...opts.config,
      ...(opts.databaseUrl ? { identityDatabaseConnection: opts.databaseUrl } : {}),
    },
  );
  const log = createLogger({ name: 'test' });
  log.level = 'silent';
  const policy = opts.policy ?? identityEnforcer({ config, configDir: dir, log });
  const identity = await createIdentity({ config, dataDir: dir, log, policy });
  const prefix = opts.prefix ?? '';
  const boot = await bootstrapIdentity(identity, {
    adminPassword: ADMIN_PASSWORD,
    demoPassword: DEMO_PASSWORD,
    servicePassword: SERVICE_PASSWORD,
    publicUrl: 'http://localhost/identity',
    services: [{ name: 'placement', type: 'placement', url: 'http://localhost/placement' }],
  });
  const app = createServer({ logger: log });
  await app.register(identityPlugin(identity), prefix ? { prefix } : {});
  await app.ready();

  async function raw(method: string, url: string, body: unknown, headers: Record<string, string>): Promise<Reply> {
    const h: Record<string, string> = {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    };
    if (h['x-auth-token'] === '') delete h['x-auth-token'];
    const res = await app.inject({
      method: method as 'GET',
      url: `${prefix}${url}`,
      headers: h,
      // A string or Buffer goes as it is (text that is not JSON, bytes that are not UTF-8).
      ...(body !== undefined
        ? { payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) }
        : {}),
    });
    let parsed: unknown = res.body;
    try {
      parsed = res.body ? JSON.parse(res.body) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.statusCode, body: parsed, headers: res.headers };
  }

  async function login(o: LoginOptions) {
    const scope = o.scope ?? (o.project ? { project: { name: o.project, domain: { id: 'default' } } } : undefined);
    const r = await raw('POST', '/v3/auth/tokens', passwordAuth(o.user, o.password, scope), {});
    const token = r.headers['x-subject-token'];
    return { ...r, token: typeof token === 'string' ? token : '' };
  }

  const admin = await login({ user: 'admin', password: ADMIN_PASSWORD, project: 'admin' });
  if (admin.status !== 201) throw new Error(`admin login failed: ${JSON.stringify(admin.body)}`);
  return {
    app,
    identity,
    boot,
    prefix,
    adminToken: admin.token,
    call: (method, url, body, headers = {}) => raw(method, url, body, { 'x-auth-token': admin.token, ...headers }),
    login,
    async close() {
      await app.close();
      await identity.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
