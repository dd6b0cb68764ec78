// An in-process compute service for tests: fresh SQLite (or PostgreSQL when `databaseUrl` is
// given) in a temp dir, mounted at the root as `concord serve compute` mounts it, noauth2 (token
// "USER:PROJECT", roles from X-Roles), requests through Fastify's inject().
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/common/config.js';
import { createLogger } from '../../src/common/log.js';
import { createServer } from '../../src/common/http/app.js';
import { noauth2 } from '../../src/common/http/auth.js';
import { postgresUnavailable, startPostgres, type PgCluster } from './postgres.js';
import { computeEnforcer, computePlugin, createCompute, type ComputeInstance } from '../../src/compute/index.js';

export interface Reply {
  status: number;
  body: any;
  text: string;
  headers: Record<string, unknown>;
}

/** noauth2 headers for a user of `project` with `roles`. */
export function as(user: string, project: string, roles: string[] = ['member', 'reader']): Record<string, string> {
  return { 'x-auth-token': `${user}:${project}`, 'x-roles': roles.join(',') };
}
export const ADMIN = as('admin', 'admin', ['admin', 'member', 'reader']);
/** The latest microversion. */
export const LATEST = { 'openstack-api-version': 'compute latest' };
export const mv = (v: string) => ({ 'openstack-api-version': `compute ${v}` });

export interface TestCompute {
  app: FastifyInstance;
  compute: ComputeInstance;
  dir: string;
  /** A request, with URLs as nova-api at the root sees them (/v2.1/flavors): JSON in and out,
   * as the admin unless `headers` say who. A string or Buffer body is sent as it is. */
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

export async function startCompute(
  opts: { databaseUrl?: string; config?: Partial<Config> } = {},
): Promise<TestCompute> {
  const dir = mkdtempSync(join(tmpdir(), 'concord-compute-test-'));
  const config = loadConfig(
    undefined,
    {},
    {
      ...opts.config,
      ...(opts.databaseUrl ? { computeDatabaseConnection: opts.databaseUrl } : {}),
    },
  );
  const log = createLogger({ name: 'test' });
  log.level = process.env.CONCORD_TEST_LOG ?? 'silent';
  const compute = await createCompute({
    config,
    dataDir: dir,
    log,
    policy: computeEnforcer({ config, configDir: dir, log }),
  });
  const app = createServer({ logger: log });
  await app.register(computePlugin(compute, noauth2));
  await app.ready();
  return {
    app,
    compute,
    dir,
    async call(method, url, body, headers = {}) {
      const res = await app.inject({
        method: method as 'GET',
        url,
        headers: { ...ADMIN, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
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
      return { status: res.statusCode, body: parsed, text: res.body, headers: res.headers };
    },
    async close() {
      await app.close();
      await compute.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The engines a compute test runs on: SQLite, and PostgreSQL in a private cluster (started at
 * the first use, a database per service; `stop` ends it). */
export function computeEngines() {
  const skipPg = postgresUnavailable();
  let pg: Promise<PgCluster> | undefined;
  let n = 0;
  return {
    engines: [
      {
        name: 'SQLite',
        skip: null as string | null,
        start: (opts: { config?: Partial<Config> } = {}) => startCompute(opts),
      },
      {
        name: 'PostgreSQL',
        skip: skipPg,
        start: async (opts: { config?: Partial<Config> } = {}) =>
          startCompute({
            ...opts,
            databaseUrl: await (await (pg ??= startPostgres())).createDatabase(`compute_${++n}`),
          }),
      },
    ],
    stop: async () => {
      (await pg)?.stop();
    },
  };
}

/** A live instance row (what the servers API will write), for usage counts. */
export async function insertInstance(
  t: TestCompute,
  row: {
    project_id: string;
    user_id: string;
    vcpus: number;
    memory_mb: number;
    vm_state?: string;
    deleted?: number;
    hidden?: number;
    launched_at?: string | null;
    terminated_at?: string | null;
    created_at?: string;
    root_gb?: number;
    display_name?: string;
  },
) {
  const uuid = randomUUID();
  await t.compute.db
    .insertInto('instances')
    .values({
      uuid,
      vm_state: 'active',
      root_gb: 1,
      ephemeral_gb: 0,
      created_at: new Date().toISOString(),
      locked: 0,
      cleaned: 0,
      hidden: 0,
      deleted: 0,
      launched_at: null,
      terminated_at: null,
      ...row,
    })
    .execute();
  return uuid;
}

/** A nova-compute service on `host` with one compute node (what a compute agent registers), for
 * the APIs that name hosts. */
export async function insertComputeHost(
  db: TestCompute['compute']['db'],
  host: string,
  opts: { disabled?: boolean; nodeUuid?: string; lastSeenUp?: string | null } = {},
): Promise<string> {
  const ts = new Date().toISOString();
  await db
    .insertInto('services')
    .values({
      uuid: randomUUID(),
      host,
      binary: 'nova-compute',
      topic: 'compute',
      report_count: 1,
      disabled: opts.disabled ? 1 : 0,
      disabled_reason: null,
      last_seen_up: opts.lastSeenUp === undefined ? ts : opts.lastSeenUp,
      forced_down: 0,
      version: 64,
      created_at: ts,
      updated_at: ts,
      deleted_at: null,
    })
    .execute();
  const uuid = opts.nodeUuid ?? randomUUID();
  await db
    .insertInto('compute_nodes')
    .values({
      uuid,
      service_id: null,
      host,
      hypervisor_hostname: host,
      hypervisor_type: 'fake',
      hypervisor_version: 1,
      vcpus: 8,
      memory_mb: 8192,
      local_gb: 100,
      vcpus_used: 0,
      memory_mb_used: 0,
      local_gb_used: 0,
      free_ram_mb: null,
      free_disk_gb: null,
      current_workload: null,
      running_vms: null,
      disk_available_least: null,
      host_ip: null,
      cpu_info: '{}',
      supported_instances: null,
      stats: null,
      cpu_allocation_ratio: null,
      ram_allocation_ratio: null,
      disk_allocation_ratio: null,
      created_at: ts,
      updated_at: null,
      deleted_at: null,
    })
    .execute();
  return uuid;
}
