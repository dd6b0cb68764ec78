// The compute schema on both engines: every table the compute service and its workers use, in
// Nova's names (and the service's job queue), migrated once and again (a second start is a no-op), and an instance with its
// embedded flavor readable as an operator would query it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { startCompute, type TestCompute } from '../helpers/compute.js';
import { migrate } from '../../src/common/db/index.js';
import { computeMigrations } from '../../src/compute/db/migrations.js';
import { getFlavor } from '../../src/compute/objects/flavor.js';
import { flavorPrimitive } from '../../src/compute/objects/instance_flavor.js';

const TABLES = [
  'aggregate_hosts',
  'aggregate_metadata',
  'aggregates',
  'compute_jobs',
  'compute_nodes',
  'compute_periodic_tasks',
  'flavor_extra_specs',
  'flavor_projects',
  'flavors',
  'instance_actions',
  'instance_actions_events',
  'instance_extra',
  'instance_faults',
  'instance_group_member',
  'instance_group_policy',
  'instance_groups',
  'instance_metadata',
  'instance_system_metadata',
  'instances',
  'key_pairs',
  'migrations',
  'project_user_quotas',
  'quota_classes',
  'quotas',
  'request_specs',
  'services',
  'tags',
];

const skipPg = postgresUnavailable();
let pg: PgCluster | undefined;
const ENGINES = [
  { name: 'SQLite', skip: null as string | null, url: async () => undefined },
  { name: 'PostgreSQL', skip: skipPg, url: async () => (pg ??= await startPostgres()).createDatabase('compute_db') },
];
afterAll(() => pg?.stop());

describe.each(ENGINES)('compute database ($name)', ({ skip, url }) => {
  let t: TestCompute;
  beforeAll(async () => {
    if (skip) return;
    const databaseUrl = await url();
    t = await startCompute(databaseUrl ? { databaseUrl } : {});
  });
  afterAll(async () => {
    await t?.close();
  });

  it.skipIf(skip)(
    `has Nova's tables, and migrating again changes nothing${skip ? ` (skipped: ${skip})` : ''}`,
    async () => {
      const tables = (await t.compute.db.introspection.getTables())
        .map((x) => x.name)
        .filter((n) => !n.startsWith('compute_migrations'));
      expect(tables.sort()).toEqual(TABLES);
      await migrate(
        { db: t.compute.db, exclusive: (_name, fn) => fn() },
        computeMigrations(t.compute.engine),
        'compute',
      );
      const nodes = (await t.compute.db.introspection.getTables()).find((x) => x.name === 'compute_nodes')!;
      expect(nodes.columns.map((c) => c.name)).toEqual(
        expect.arrayContaining(['host', 'hypervisor_hostname', 'uuid', 'deleted']),
      );
    },
  );

  it.skipIf(skip)("keeps an instance's flavor as Nova serialises it, and refuses a child of no instance", async () => {
    const db = t.compute.db;
    const ts = new Date().toISOString();
    await t.call('POST', '/v2.1/flavors', { flavor: { name: 'vm-tiny', id: 'vm-tiny', ram: 1024, vcpus: 1, disk: 1 } });
    await t.call('POST', '/v2.1/flavors/vm-tiny/os-extra_specs', { extra_specs: { 'hw:cpu_policy': 'shared' } });
    const cur = flavorPrimitive(await getFlavor(db, 'vm-tiny', { isAdmin: true, projectId: null }));
    await db
      .insertInto('instances')
      .values({
        uuid: '6a8f1d2e-0b1c-4d3e-8f9a-0b1c2d3e4f50',
        user_id: 'u',
        project_id: 'p',
        host: 'h1',
        node: 'n1',
        vcpus: 1,
        memory_mb: 1024,
        root_gb: 1,
        created_at: ts,
        updated_at: null,
        deleted_at: null,
      } as never)
      .execute();
    const flavor = { cur, old: null, new: null };
    await db
      .insertInto('instance_extra')
      .values({
        instance_uuid: '6a8f1d2e-0b1c-4d3e-8f9a-0b1c2d3e4f50',
        flavor: JSON.stringify(flavor),
        created_at: ts,
        updated_at: null,
        deleted_at: null,
      })
      .execute();
    const row = await sql<{
      flavor: string;
    }>`select flavor from instance_extra where instance_uuid = ${'6a8f1d2e-0b1c-4d3e-8f9a-0b1c2d3e4f50'}`.execute(db);
    const stored = JSON.parse(row.rows[0]!.flavor);
    expect(stored).toEqual(flavor);
    expect(stored.cur).toMatchObject({
      'nova_object.name': 'Flavor',
      'nova_object.version': '1.2',
      'nova_object.data': {
        flavorid: 'vm-tiny',
        vcpus: 1,
        memory_mb: 1024,
        root_gb: 1,
        extra_specs: { 'hw:cpu_policy': 'shared' },
      },
    });
    expect(stored.cur['nova_object.data'].created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await expect(
      db
        .insertInto('instance_extra')
        .values({
          instance_uuid: '00000000-0000-0000-0000-000000000000',
          created_at: ts,
          updated_at: null,
          deleted_at: null,
        } as never)
        .execute(),
    ).rejects.toThrow();
  });
});
