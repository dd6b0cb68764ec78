// The same_host and different_host scheduler hints (Nova's SameHostFilter and DifferentHostFilter,
// nova/scheduler/filters/affinity_filter.py) with both filters enabled: where a boot lands, what
// a NoValidHost says about them (the fault, `concord explain server`), the hints' schema, and the
// hints kept in the request spec for a reschedule, a cold migration and a live migration (not
// when the live migration's host is forced, nor on a rebuild, as in Nova). Without the filters
// enabled (concord's default, as Nova's) the hints change nothing. On SQLite and PostgreSQL.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/common/config.js';
import { explainServer } from '../../src/compute/explain.js';
import { computeDatabaseUrl } from '../../src/compute/index.js';
import { BIN } from '../helpers/cloud.js';
import { until } from '../helpers/jobs.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { startServersCloud, TestDriver, testNode, type ServersCloud } from '../helpers/servers.js';

const FILTERS = [...loadConfig(undefined, {}, {}).schedulerEnabledFilters, 'SameHostFilter', 'DifferentHostFilter'];

function hintsSuite(name: string, extra: () => Promise<Partial<Config>>, skip: string | null = null) {
  describe.skipIf(skip !== null)(`same_host and different_host (${name})${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: ServersCloud;
    // `big` outweighs the others: a server without hints goes there.
    const hosts = ['big', 'h2', 'h3'];
    const drivers = Object.fromEntries(hosts.map((h) => [h, new TestDriver([testNode(h)])]));
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      // The in-test hosts never beat: up for the whole suite.
      t = await startServersCloud({
        serviceDownTime: 3600,
        quotaInstances: -1,
        quotaCores: -1,
        quotaRam: -1,
        schedulerEnabledFilters: FILTERS,
        ...(await extra()),
      });
      await t.flavor('vm-tiny', 1024, 1, 1);
      await t.hypervisor({ host: 'big', vcpus: 16, memoryMb: 65536, diskGb: 100 });
      await t.hypervisor({ host: 'h2' });
      await t.hypervisor({ host: 'h3' });
      for (const h of hosts) t.manager(h, drivers[h]!);
    }, 60000);
    afterAll(async () => {
      await t?.close();
    });

    const hostOf = async (id: string) => {
      const s = await t.waitFor(id, ['ACTIVE', 'ERROR']);
      return s.status === 'ACTIVE' ? (s['OS-EXT-SRV-ATTR:host'] as string) : `ERROR: ${s.fault?.details}`;
    };
    const bootWith = async (name: string, hints: Record<string, unknown>) => {
      ids[name] = await t.boot({ name }, { hints });
      return hostOf(ids[name]);
    };
    const act = (id: string, body: unknown, version = 'latest') =>
      t.nova('POST', `/servers/${id}/action`, body, { version });
    const message = (r: { body: any }) => (Object.values(r.body ?? {})[0] as any)?.message;
    const migrations = async (id: string) =>
      (await t.nova('GET', `/os-migrations?instance_uuid=${id}`)).body.migrations as any[];
    const settled = async (id: string) => {
      let s: any;
      await until(`server ${id} settled`, async () => {
        s = (await t.nova('GET', `/servers/${id}`)).body.server;
        return s['OS-EXT-STS:task_state'] === null;
      });
      return [s.status, s['OS-EXT-SRV-ATTR:host']];
    };
    /** Cold-migrates (to `host` when given) and confirms; the server's host after. */
    const coldMigrate = async (id: string, host?: string) => {
      const before = (await migrations(id)).length;
      expect((await act(id, { migrate: host ? { host } : null })).status).toBe(202);
      await until('migration over', async () => {
        const ms = await migrations(id);
        return ms.length > before && ['finished', 'error'].includes(ms[0].status);
      });
      const [status, at] = await settled(id);
      if (status === 'VERIFY_RESIZE') {
        expect((await act(id, { confirmResize: null })).status).toBe(204);
        return (await settled(id))[1];
      }
      return `${status} on ${at}: ${(await migrations(id))[0].status}`;
    };

    it('puts a same_host server with the named one and a different_host server away from them', async () => {
      ids.a = await t.boot({ name: 'a', availability_zone: 'nova:h2' });
      expect(await hostOf(ids.a)).toBe('h2');
      ids.p = await t.boot({ name: 'p' });
      expect(await hostOf(ids.p)).toBe('big');
      // One uuid or a list of them, as Nova's schema takes either.
      expect(await bootWith('b', { same_host: ids.a })).toBe('h2');
      expect(await bootWith('c', { same_host: [ids.a] })).toBe('h2');
      expect(await bootWith('e', { different_host: [ids.a, ids.p] })).toBe('h3');
      expect(await bootWith('f', { different_host: ids.p })).not.toBe('big');
      await t.remove(ids.f!);
      // Kept in the request spec as Nova keeps hints: every value a list.
      const spec = await t.db
        .selectFrom('request_specs')
        .select('spec')
        .where('instance_uuid', '=', ids.b!)
        .executeTakeFirstOrThrow();
      expect(JSON.parse(spec.spec).scheduler_hints).toEqual({ same_host: [ids.a] });
    });

    it('says in a NoValidHost which hosts each of them removed and why', async () => {
      // Any string is a same_host (only a list's items must be uuids): no host runs this one.
      const nowhere = await bootWith('nowhere', { same_host: 'no-such-server' });
      expect(nowhere).toContain('SameHostFilter removed 3 host(s), 0 left');
      expect(nowhere).toContain(
        'big (big): runs none of the servers same_host names (no-such-server); none of them runs on a host',
      );
      const apart = await bootWith('apart', { different_host: [ids.a, ids.p, ids.e] });
      expect(apart).toContain('SameHostFilter removed 0 host(s), 3 left');
      expect(apart).toContain('DifferentHostFilter removed 3 host(s), 0 left');
      // h2 runs a, b and c: only a is named.
      expect(apart).toContain(`h2 (h2): runs ${ids.a}, which different_host names`);
      expect(apart).toContain(`big (big): runs ${ids.p}, which different_host names`);
      const out = spawnSync(
        process.execPath,
        [BIN, 'explain', 'server', ids.apart!, '--database-url', computeDatabaseUrl(t.config, t.local.dataDir)],
        {
          encoding: 'utf8',
        },
      );
      expect(out.status, out.stderr).toBe(0);
      expect(out.stdout).toContain('DifferentHostFilter removed 3 host(s), 0 left');
      expect(out.stdout).toContain(`h3 (h3): runs ${ids.e}, which different_host names`);
      await t.remove(ids.nowhere!);
      await t.remove(ids.apart!);
    });

    it("refuses hints that break Nova's schema, nothing created", async () => {
      const before = (await t.nova('GET', '/servers')).body.servers.length;
      for (const hints of [
        { different_host: 'abc' },
        { different_host: ['abc'] },
        { different_host: 5 },
        { same_host: ['abc'] },
        { same_host: 5 },
        { different_cell: 5 },
      ]) {
        const r = await t.nova('POST', '/servers', {
          server: { name: 'bad', imageRef: t.imageId, flavorRef: 'vm-tiny', networks: 'none' },
          'os:scheduler_hints': hints,
        });
        expect([r.status, JSON.stringify(hints)]).toEqual([400, JSON.stringify(hints)]);
        expect(message(r)).toMatch(/^Invalid input for field\/attribute /);
      }
      expect((await t.nova('GET', '/servers')).body.servers.length).toBe(before);
    });

    it('reschedules a failed build to an alternate the hints allow', async () => {
      // big is filtered out; h3 (one server) weighs more than h2 (three) and fails the build.
      drivers.h3!.failSpawn = new Set(['h3']);
      try {
        expect(await bootWith('retry', { different_host: ids.p })).toBe('h2');
      } finally {
        drivers.h3!.failSpawn = new Set();
      }
      const [action] = (await t.nova('GET', `/servers/${ids.retry}/os-instance-actions`)).body.instanceActions;
      const events = (await t.nova('GET', `/servers/${ids.retry}/os-instance-actions/${action.request_id}`)).body
        .instanceAction.events;
      expect(events.map((e: any) => [e.event, e.result, e.host])).toEqual([
        ['conductor_schedule_and_build_instances', 'Success', null],
        ['compute__do_build_and_run_instance', 'Error', 'h3'],
        ['conductor_schedule_and_build_instances', 'Success', null],
        ['compute__do_build_and_run_instance', 'Success', 'h2'],
      ]);
      await t.remove(ids.retry!);
    });

    it('holds a cold migration to them: where the named servers run at the time of the move', async () => {
      // b must stay with a, which only its own host runs: no host.
      expect(await coldMigrate(ids.b!)).toBe('ACTIVE on h2: error');
      const why = await explainServer(t.db, ids.b!);
      expect(why).toContain('SameHostFilter removed 2 host(s), 0 left');
      expect(why).toContain(`h3 (h3): runs none of the servers same_host names (${ids.a}); they run on h2`);
      // a moves to h3; b follows it there, not to big.
      expect(await coldMigrate(ids.a!, 'h3')).toBe('h3');
      expect(await coldMigrate(ids.b!)).toBe('h3');
      // e must avoid a (now on h3, e's host) and p (big): h2.
      expect(await coldMigrate(ids.e!)).toBe('h2');
    });

    it('holds a live migration to them unless its host is forced; a rebuild does not run them', async () => {
      // c (same_host a) is on h2, a on h3: the scheduler sends it to h3, not big.
      expect((await act(ids.c!, { 'os-migrateLive': { block_migration: 'auto', host: null } })).status).toBe(202);
      await until('c moved', async () => (await settled(ids.c!))[1] === 'h3');
      // e (different_host a, p) on h2: big is refused when asked for (2.30, not forced) ...
      const live = (body: Record<string, unknown>) =>
        act(ids.e!, { 'os-migrateLive': { block_migration: 'auto', ...body } }, '2.30');
      const refused = await live({ host: 'big' });
      expect([refused.status, message(refused)]).toEqual([
        400,
        'No valid host was found. There are not enough hosts available.',
      ]);
      expect(await settled(ids.e!)).toEqual(['ACTIVE', 'h2']);
      // ... and taken when forced, the scheduler not asked.
      expect((await live({ host: 'big', force: true })).status).toBe(202);
      await until('e on big', async () => (await settled(ids.e!))[1] === 'big');
      // e now shares big with p: a rebuild with another image stays where it is.
      const image = await t.image({ name: 'next' });
      expect((await act(ids.e!, { rebuild: { imageRef: image } })).status).toBe(202);
      await until('rebuilt', async () => (await settled(ids.e!))[0] === 'ACTIVE');
      const s = (await t.nova('GET', `/servers/${ids.e}`)).body.server;
      expect([s.status, s['OS-EXT-SRV-ATTR:host'], s.image.id]).toEqual(['ACTIVE', 'big', image]);
    });
  });
}

hintsSuite('SQLite', async () => ({}));

const skipPg = postgresUnavailable();
let pg: PgCluster | undefined;
afterAll(() => pg?.stop());
hintsSuite(
  'PostgreSQL',
  async () => ({ databaseConnection: await (pg ??= await startPostgres()).createDatabase('affinity_hints_test') }),
  skipPg,
);

describe('same_host and different_host without their filters', () => {
  let t: ServersCloud;

  beforeAll(async () => {
    t = await startServersCloud({});
    await t.flavor('vm-tiny', 1024, 1, 1);
    await t.hypervisor({ host: 'only' });
    t.manager('only', new TestDriver());
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  it("schedules as if there were no hint (concord's default enabled_filters, as Nova's)", async () => {
    const a = await t.boot({ name: 'a' });
    expect((await t.waitFor(a, ['ACTIVE', 'ERROR'])).status).toBe('ACTIVE');
    const b = await t.boot({ name: 'b' }, { hints: { different_host: a, same_host: crypto.randomUUID() } });
    expect(await t.waitFor(b, ['ACTIVE', 'ERROR'])).toMatchObject({ status: 'ACTIVE', 'OS-EXT-SRV-ATTR:host': 'only' });
  });
});
