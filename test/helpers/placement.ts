// An in-process Placement for tests: fresh SQLite (or PostgreSQL when `databaseUrl` is given) in a
// temp dir, noauth2, requests through Fastify's inject() (no sockets).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/common/config.js';
import { createLogger } from '../../src/common/log.js';
import { createServer } from '../../src/common/http/app.js';
import { noauth2 } from '../../src/common/http/auth.js';
import { createPlacement, type PlacementInstance } from '../../src/placement/index.js';
import { placementPlugin } from '../../src/placement/service.js';
import { placementEnforcer, placementPolicyMode, type PlacementPolicyMode } from '../../src/placement/policies.js';

export interface TestPlacement {
  app: FastifyInstance;
  placement: PlacementInstance;
  /** JSON request (a Buffer body: raw) as admin at the latest microversion unless headers say otherwise. */
  call(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startPlacement(
  opts: {
    databaseUrl?: string;
    config?: Partial<Config>;
    /** As PLACEMENT_POLICY_MODE for `concord serve placement`; default: the config's [oslo_policy]. */
    policyMode?: PlacementPolicyMode;
  } = {},
): Promise<TestPlacement> {
  const dir = mkdtempSync(join(tmpdir(), 'concord-test-'));
  const policyMode = placementPolicyMode(opts.policyMode);
  const config = loadConfig(
    undefined,
    {},
    {
      ...opts.config,
      ...(opts.databaseUrl ? { placementDatabaseConnection: opts.databaseUrl } : {}),
      ...policyMode.config,
    },
  );
  const log = createLogger({ name: 'test' });
  log.level = 'silent';
  const policy = placementEnforcer({ config, configDir: dir, open: policyMode.open, log });
  const placement = await createPlacement({ config, dataDir: dir, log, policy });
  const app = createServer({ logger: log });
  await app.register(placementPlugin(placement, noauth2));
  await app.ready();
  return {
    app,
    placement,
    async call(method, url, body, headers = {}) {
      const res = await app.inject({
        method: method as 'GET',
        url,
        headers: {
          'x-auth-token': 'admin',
          'openstack-api-version': 'placement latest',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        // A Buffer goes as it is (bytes that are not JSON, or not even UTF-8).
        ...(body !== undefined ? { payload: Buffer.isBuffer(body) ? body : JSON.stringify(body) } : {}),
      });
      let parsed: unknown = res.body;
      try {
        parsed = res.body ? JSON.parse(res.body) : null;
      } catch {
        /* not JSON */
      }
      return { status: res.statusCode, body: parsed, headers: res.headers };
    },
    async close() {
      await app.close();
      await placement.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
