// Boots racing for little capacity across real processes: two `concord up` processes on one
// PostgreSQL database and data directory, each with its API and its conductor; servers created
// through both at once; compute managers in this process. Placement's claims decide: exactly the
// capacity ACTIVE, the rest NoValidHost, the usages those of the ACTIVE servers, both conductors
// at work. Needs `npm run build`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/common/config.js';
import { openDatabase, type Database } from '../../src/common/db/index.js';
import { JobQueue, jobsConfig, Worker } from '../../src/common/jobs/index.js';
import { httpTransport, serviceClients, Session } from '../../src/common/clients/index.js';
import { createLogger } from '../../src/common/log.js';
import type { ComputeDB } from '../../src/compute/db/schema.js';
import { managerHandlers } from '../../src/compute/manager/index.js';
import { startCloud, type Cloud } from '../helpers/cloud.js';
import { until } from '../helpers/jobs.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { TestDriver } from '../helpers/servers.js';

const skipPg = postgresUnavailable();
const ENV = { CONCORD_JOBS__POLL_INTERVAL: '0.1', CONCORD_JOBS__CONCURRENCY: '2', CONCORD_LOG_LEVEL: 'warn' };

describe.skipIf(skipPg)(`servers across processes${skipPg ? ` (skipped: ${skipPg})` : ''}`, () => {
  let pg: PgCluster;
  let dataDir: string;
  const clouds: Cloud[] = [];
  let database: Database<ComputeDB>;
  let worker: Worker | undefined;

  beforeAll(async () => {
    pg = await startPostgres();
    const url = await pg.createDatabase('servers_race');
    dataDir = mkdtempSync(join(tmpdir(), 'concord-servers-race-'));
    for (let i = 0; i < 2; i++) {
      clouds.push(await startCloud({ dataDir, env: ENV, extraArgs: ['--database-url', url] }));
    }
    database = openDatabase<ComputeDB>(url);
  }, 90000);
  afterAll(async () => {
    await worker?.stop();
    await database?.close();
    for (const c of clouds) {
      await c.stop();
      c.cleanup();
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    pg?.stop();
  });

  it('gives exactly the capacity to the winners, whichever API and conductor each boot went through', async () => {
    const [a, b] = clouds as [Cloud, Cloud];
    const login = async (base: string) => {
      const r = await fetch(`${base}/identity/v3/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: {
              methods: ['password'],
              password: { user: { name: 'admin', domain: { id: 'default' }, password: a.credentials.admin_password } },
            },
            scope: { project: { name: 'admin', domain: { id: 'default' } } },
          },
        }),
      });
      return r.headers.get('x-subject-token')!;
    };
    const tokens = [await login(a.base), await login(b.base)];
    const call = async (i: number, method: string, path: string, body?: unknown, service = 'compute/v2.1') => {
      const r = await fetch(`${clouds[i]!.base}/${service}${path}`, {
        method,
        headers: {
          'x-auth-token': tokens[i]!,
          'content-type': 'application/json',
          'openstack-api-version': service === 'placement' ? 'placement 1.39' : 'compute 2.93',
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: r.status, body: r.status === 204 ? null : await r.json() };
    };
    expect(
      (await call(0, 'POST', '/flavors', { flavor: { name: 'vm-tiny', id: 'vm-tiny', ram: 1024, vcpus: 1, disk: 1 } }))
        .status,
    ).toBe(200);
    const image = (await call(0, 'GET', '/v2/images', undefined, 'image')).body.images[0].id;

    // The hypervisor as its agent would report it: service, compute node, provider with 3 vCPUs.
    const ts = new Date().toISOString();
    const rp = crypto.randomUUID();
    const svc = await database.db
      .insertInto('services')
      .values({
        uuid: crypto.randomUUID(),
        host: 'race',
        binary: 'nova-compute',
        topic: 'compute',
        report_count: 1,
        disabled: 0,
        disabled_reason: null,
        last_seen_up: ts,
        forced_down: 0,
        version: 61,
        created_at: ts,
        updated_at: ts,
        deleted_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto('compute_nodes')
      .values({
        uuid: rp,
        service_id: svc.id,
        host: 'race',
        hypervisor_hostname: 'race',
        hypervisor_type: 'fake',
        hypervisor_version: 1,
        vcpus: 3,
        memory_mb: 65536,
        local_gb: 100,
        vcpus_used: 0,
        memory_mb_used: 0,
        local_gb_used: 0,
        free_ram_mb: null,
        free_disk_gb: null,
        current_workload: 0,
        running_vms: 0,
        disk_available_least: null,
        host_ip: null,
        cpu_info: '{}',
        supported_instances: '[["x86_64","fake","hvm"]]',
        stats: '{}',
        cpu_allocation_ratio: 1,
        ram_allocation_ratio: 1,
        disk_allocation_ratio: 1,
        created_at: ts,
        updated_at: ts,
        deleted_at: null,
      })
      .execute();
    expect((await call(0, 'POST', '/resource_providers', { name: 'race', uuid: rp }, 'placement')).status).toBe(200);
    expect(
      (
        await call(
          0,
          'PUT',
          `/resource_providers/${rp}/inventories`,
          {
            resource_provider_generation: 0,
            inventories: { VCPU: { total: 3 }, MEMORY_MB: { total: 65536 }, DISK_GB: { total: 100 } },
          },
          'placement',
        )
      ).status,
    ).toBe(200);

    const config = loadConfig(undefined, {}, { jobPollInterval: 0.1 });
    const log = createLogger({ name: 'test' });
    log.level = 'silent';
    const session = new Session({
      transport: httpTransport(),
      authUrl: `${a.base}/identity`,
      log,
      credentials: {
        username: 'nova',
        password: a.credentials.service_password,
        projectName: 'service',
        userDomainName: 'Default',
        projectDomainName: 'Default',
      },
    });
    const jobs = new JobQueue(database as unknown as Database<unknown>, 'compute', jobsConfig(config));
    worker = new Worker(jobs, {
      log,
      targets: ['race'],
      handlers: managerHandlers({
        database,
        jobs,
        host: 'race',
        driver: new TestDriver(),
        clients: serviceClients(session, config),
        config,
        log,
        reportResources: async () => {},
      }),
    });
    worker.start();

    const boots = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(i % 2, 'POST', '/servers', {
          server: { name: `race-${i}`, imageRef: image, flavorRef: 'vm-tiny', networks: 'none' },
        }),
      ),
    );
    expect(boots.map((r) => r.status)).toEqual(Array(10).fill(202));
    const ids = boots.map((r) => r.body.server.id as string);
    const statuses = new Map<string, any>();
    await until(
      'every boot settled',
      async () => {
        for (const id of ids) statuses.set(id, (await call(0, 'GET', `/servers/${id}`)).body.server);
        return [...statuses.values()].every((s) => s.status === 'ACTIVE' || s.status === 'ERROR');
      },
      60000,
    );
    const servers = [...statuses.values()];
    expect(servers.filter((s) => s.status === 'ACTIVE')).toHaveLength(3);
    for (const s of servers.filter((x) => x.status === 'ERROR')) {
      expect(s.fault.message).toBe('No valid host was found. There are not enough hosts available.');
    }
    expect((await call(1, 'GET', `/resource_providers/${rp}/usages`, undefined, 'placement')).body.usages).toEqual({
      VCPU: 3,
      MEMORY_MB: 3072,
      DISK_GB: 3,
    });
    // Both processes' conductors scheduled some of them.
    const owners = await sql<{
      lease_owner: string;
    }>`SELECT lease_owner FROM compute_jobs WHERE kind = 'build_instances'`.execute(database.db);
    const pids = new Set(owners.rows.map((o) => o.lease_owner.split(':')[1]));
    expect(pids).toEqual(new Set([String(a.pid), String(b.pid)]));
  }, 120000);
});
