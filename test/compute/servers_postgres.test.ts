// Servers on PostgreSQL (every service of the cloud in one PostgreSQL database): boots scheduled
// and built, lists filtered (tags too) and sorted, a NoValidHost explained, boots racing for little capacity
// (conductor claims and Placement's row locks), deletes; console output (a call job) and a rescue.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/jobs.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { startServersCloud, TestDriver, type ServersCloud } from '../helpers/servers.js';

const skipPg = postgresUnavailable();

describe.skipIf(skipPg)(`servers on PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () => {
  let pg: PgCluster;
  let t: ServersCloud;
  let node = '';
  beforeAll(async () => {
    pg = await startPostgres();
    t = await startServersCloud({ databaseConnection: await pg.createDatabase('servers_test') });
    await t.flavor('vm-tiny', 1024, 1, 1);
    node = await t.hypervisor({ host: 'pg1', vcpus: 3, memoryMb: 8192 });
    t.manager('pg1', new TestDriver());
  }, 60000);
  afterAll(async () => {
    await t?.close();
    pg?.stop();
  });

  it('boots, lists, explains, races and deletes', async () => {
    expect(t.database.engine).toBe('postgres');
    const ids = await Promise.all(
      Array.from({ length: 5 }, (_, i) => t.boot({ name: `pg-${i}`, tags: i % 2 ? ['odd'] : ['even', 'x'] })),
    );
    const final = await Promise.all(ids.map((id) => t.waitFor(id, ['ACTIVE', 'ERROR'], 60000)));
    expect(final.filter((s) => s.status === 'ACTIVE')).toHaveLength(3);
    expect((await t.placement('GET', `/resource_providers/${node}/usages`)).body.usages).toEqual({
      VCPU: 3,
      MEMORY_MB: 3072,
      DISK_GB: 3,
    });
    const failed = final.find((s) => s.status === 'ERROR');
    expect(failed.fault.details).toMatch(
      /Claim on pg1 \(pg1\) refused by Placement|Placement returned 0 allocation candidate/,
    );
    const listed = await t.nova('GET', '/servers/detail?status=ACTIVE&sort_key=display_name&sort_dir=asc&limit=2');
    expect(listed.body.servers.map((s: any) => s.name)).toEqual(
      final
        .filter((s) => s.status === 'ACTIVE')
        .map((s) => s.name as string)
        .sort()
        .slice(0, 2),
    );
    expect(listed.body.servers_links).toHaveLength(1);
    const tagged = async (query: string) =>
      ((await t.nova('GET', `/servers?${query}`)).body.servers as { name: string }[]).map((s) => s.name).sort();
    expect(await tagged('tags=even,x&tags-any=x,y')).toEqual(['pg-0', 'pg-2', 'pg-4']);
    expect(await tagged('not-tags=x,even&not-tags-any=y')).toEqual(['pg-1', 'pg-3']);
    expect(await tagged('not-tags-any=odd,even')).toEqual([]);
    for (const id of ids) await t.remove(id);
    expect((await t.placement('GET', `/resource_providers/${node}/usages`)).body.usages).toEqual({
      VCPU: 0,
      MEMORY_MB: 0,
      DISK_GB: 0,
    });
    expect((await t.nova('GET', '/servers')).body.servers).toEqual([]);
  }, 120000);

  it('answers a console from the host and rescues, the password in no row once the job has ended', async () => {
    const id = await t.boot({ name: 'pg-rescue' });
    await t.waitFor(id, ['ACTIVE'], 60000);
    const out = await t.nova('POST', `/servers/${id}/action`, { 'os-getConsoleOutput': { length: 1 } });
    expect([out.status, out.body]).toEqual([200, { output: 'last line' }]);
    const r = await t.nova('POST', `/servers/${id}/action`, { rescue: { adminPass: 'Pg-Pass-1' } });
    expect(r.status).toBe(200);
    await t.waitFor(id, ['RESCUE'], 60000);
    const jobs = async () =>
      (
        await sql<{ kind: string; state: string; secret: string | null; result: string | null }>`
          SELECT kind, state, secret, result FROM compute_jobs
          WHERE kind IN ('rescue_instance', 'get_console_output')`.execute(t.db)
      ).rows;
    await until('the rescue job to end', async () => (await jobs())[0]?.state === 'succeeded');
    expect(await jobs()).toEqual([{ kind: 'rescue_instance', state: 'succeeded', secret: null, result: null }]);
    await t.remove(id);
  }, 120000);
});
