// Live migration as Nova does it (migrate_server.py _migrate_live, the conductor's
// LiveMigrationTask, the compute manager's live migration steps), through the conductor and two
// compute managers on in-test drivers: the source's allocations held by the migration and the
// destination's by the instance while the guest moves (Placement usages of both hosts), the
// statuses accepted → queued → preparing → running → completed, os-migrations and the server's
// migrations, force-complete and abort (running, and from 2.65 queued or preparing), the forced
// host of 2.30–2.67, the pre-checks' 400 before 2.34 and the migration in error from it, failures
// rolled back to the source, Nova's 400s, 404s and 409s; on SQLite and PostgreSQL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/jobs.js';
import type { Config } from '../../src/common/config.js';
import type { Worker } from '../../src/common/jobs/index.js';
import { rollbackLiveMigration } from '../../src/compute/conductor/live_migrate.js';
import { getInstance } from '../../src/compute/objects/instance.js';
import { getMigration } from '../../src/compute/objects/migration.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { moveProbes } from '../helpers/moves.js';
import { startServersCloud, TestDriver, testNode, type ServersCloud } from '../helpers/servers.js';

function liveMigrationSuite(name: string, extra: () => Promise<Partial<Config>>, skip: string | null = null) {
  describe.skipIf(skip !== null)(`live migration (${name})${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: ServersCloud;
    const drivers = { lm1: new TestDriver([testNode('lm1')]), lm2: new TestDriver([testNode('lm2')]) };
    const rp: Record<string, string> = {};
    const managers: Record<string, Worker> = {};

    beforeAll(async () => {
      // The in-test hosts never beat: up for the whole suite.
      t = await startServersCloud({ serviceDownTime: 3600, ...(await extra()) });
      await t.flavor('vm-tiny', 1024, 1, 1);
      rp.lm1 = await t.hypervisor({ host: 'lm1' });
      rp.lm2 = await t.hypervisor({ host: 'lm2' });
      managers.lm1 = t.manager('lm1', drivers.lm1);
      managers.lm2 = t.manager('lm2', drivers.lm2);
    }, 60000);
    afterAll(async () => {
      await t?.close();
    });

    const act = (id: string, body: unknown, o: { token?: string; version?: string } = {}) =>
      t.nova('POST', `/servers/${id}/action`, body, o);
    const live = (id: string, body: Record<string, unknown>, version = 'latest') =>
      act(id, { 'os-migrateLive': { block_migration: 'auto', host: null, ...body } }, { version });
    const usages = async () => ({
      lm1: (await t.placement('GET', `/resource_providers/${rp.lm1}/usages`)).body.usages,
      lm2: (await t.placement('GET', `/resource_providers/${rp.lm2}/usages`)).body.usages,
    });
    const { allocations, migrations, migrationStatus, inStatus, settled, events } = moveProbes(() => t);
    const tiny = { VCPU: 1, MEMORY_MB: 1024, DISK_GB: 1 };
    const none = { VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 };
    const message = (r: { body: any }) => (Object.values(r.body ?? {})[0] as any)?.message;
    const setService = (host: string, status: 'enable' | 'disable') =>
      t.nova('PUT', `/os-services/${status}`, { host, binary: 'nova-compute' }, { version: '2.1' });
    const bootOn = async (name: string, host: string) => {
      const id = await t.boot({ name, availability_zone: `nova:${host}` });
      await t.waitFor(id, ['ACTIVE']);
      return id;
    };

    it('moves a running server to the other host, the destination claimed for the instance', async () => {
      const id = await bootOn('lm-move', 'lm1');
      expect(await usages()).toEqual({ lm1: tiny, lm2: none });
      expect((await live(id, {})).status).toBe(202);
      expect(await settled(id)).toEqual(['ACTIVE', 'lm2', 'lm2']);
      const [m] = await migrations(id);
      expect(m).toMatchObject({
        status: 'completed',
        migration_type: 'live-migration',
        source_compute: 'lm1',
        source_node: 'lm1',
        dest_compute: 'lm2',
        dest_node: 'lm2',
        instance_uuid: id,
      });
      expect(m.old_instance_type_id).toBe(m.new_instance_type_id);
      expect(m.links).toBeUndefined();
      expect(await usages()).toEqual({ lm1: none, lm2: tiny });
      expect(await allocations(m.uuid)).toEqual({});
      expect(await allocations(id)).toEqual({ [rp.lm2!]: tiny });
      expect(drivers.lm1.guests_.has(id)).toBe(false);
      expect(drivers.lm2.guests_.get(id)?.power).toBe(1);
      expect(await events(id, 'live-migration')).toEqual([
        ['compute_live_migration', 'Success'],
        ['compute_post_live_migration_at_destination', 'Success'],
        ['compute_pre_live_migration', 'Success'],
        ['conductor_live_migrate_instance', 'Success'],
      ]);
      expect((await t.nova('GET', `/servers/${id}/migrations`)).body).toEqual({ migrations: [] });
      expect((await t.nova('GET', `/servers/${id}/migrations/${m.id}`)).body.itemNotFound.message).toBe(
        `Live migration ${m.id} for server ${id} is not in progress.`,
      );
      await t.remove(id);
      expect(await usages()).toEqual({ lm1: none, lm2: none });
    });

    it('shows the moving server and its migration, both hosts claimed, until forced to complete', async () => {
      const id = await bootOn('lm-force', 'lm1');
      drivers.lm1.liveMigrationMs = 60000;
      try {
        expect((await live(id, { host: 'lm2' })).status).toBe(202);
        await inStatus(id, 'running');
        const s = (await t.nova('GET', `/servers/${id}`)).body.server;
        expect([s.status, s['OS-EXT-STS:task_state'], s['OS-EXT-SRV-ATTR:host']]).toEqual([
          'MIGRATING',
          'migrating',
          'lm1',
        ]);
        // The source's allocations are the migration's, the destination's the instance's.
        const [m] = await migrations(id);
        expect(await usages()).toEqual({ lm1: tiny, lm2: tiny });
        expect(await allocations(m.uuid)).toEqual({ [rp.lm1!]: tiny });
        expect(await allocations(id)).toEqual({ [rp.lm2!]: tiny });
        expect(m.links.map((l: any) => [l.rel, new URL(l.href).pathname])).toEqual([
          ['self', `/compute/v2.1/servers/${id}/migrations/${m.id}`],
          ['bookmark', `/compute/servers/${id}/migrations/${m.id}`],
        ]);
        const old = (await t.nova('GET', `/os-migrations?instance_uuid=${id}`, undefined, { version: '2.22' })).body
          .migrations[0];
        expect([old.links, old.migration_type]).toEqual([undefined, undefined]);
        const listed = (await t.nova('GET', `/servers/${id}/migrations`)).body.migrations;
        expect(listed).toEqual([
          {
            created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
            dest_compute: 'lm2',
            dest_host: null,
            dest_node: 'lm2',
            disk_processed_bytes: null,
            disk_remaining_bytes: null,
            disk_total_bytes: null,
            id: m.id,
            memory_processed_bytes: null,
            memory_remaining_bytes: null,
            memory_total_bytes: null,
            server_uuid: id,
            source_compute: 'lm1',
            source_node: 'lm1',
            status: 'running',
            updated_at: expect.any(String),
            uuid: m.uuid,
            user_id: m.user_id,
            project_id: t.adminProject,
          },
        ]);
        const shown = await t.nova('GET', `/servers/${id}/migrations/${m.id}`, undefined, { version: '2.23' });
        expect(shown.body.migration).toEqual(
          Object.fromEntries(Object.entries(listed[0]).filter(([k]) => !['uuid', 'user_id', 'project_id'].includes(k))),
        );
        const forced = `/servers/${id}/migrations/${m.id}/action`;
        expect((await t.nova('POST', forced, { force_complete: null }, { version: '2.21' })).status).toBe(404);
        expect(message(await t.nova('POST', forced, { force_complete: {} }))).toMatch(/^Invalid input for field/);
        expect(message(await t.nova('POST', forced, { complete: null }))).toBe('There is no such action: complete');
        expect((await t.nova('POST', forced, { force_complete: null }, { version: '2.22' })).status).toBe(202);
        expect(await settled(id)).toEqual(['ACTIVE', 'lm2', 'lm2']);
        expect(await migrationStatus(id)).toBe('completed');
        expect(await usages()).toEqual({ lm1: none, lm2: tiny });
        expect(await events(id, 'live_migration_force_complete')).toEqual([
          ['compute_live_migration_force_complete', 'Success'],
        ]);
      } finally {
        drivers.lm1.liveMigrationMs = 0;
      }
      await t.remove(id);
    });

    it('aborts a running migration: the server stays on its host, the destination cleaned up', async () => {
      const id = await bootOn('lm-abort', 'lm1');
      drivers.lm1.liveMigrationMs = 60000;
      try {
        expect((await live(id, {})).status).toBe(202);
        await inStatus(id, 'running');
        const [m] = await migrations(id);
        expect(
          (await t.nova('DELETE', `/servers/${id}/migrations/${m.id}`, undefined, { version: '2.23' })).status,
        ).toBe(404);
        expect(
          (await t.nova('DELETE', `/servers/${id}/migrations/${m.id}`, undefined, { version: '2.24' })).status,
        ).toBe(202);
        expect(await settled(id)).toEqual(['ACTIVE', 'lm1', 'lm1']);
        expect(await migrationStatus(id)).toBe('cancelled');
        expect(await usages()).toEqual({ lm1: tiny, lm2: none });
        expect(await allocations(m.uuid)).toEqual({});
        expect(drivers.lm1.guests_.get(id)?.power).toBe(1);
        await until('the destination cleaned up', async () =>
          drivers.lm2.calls.includes(`rollback-live-migration-at-destination ${id}`),
        );
        expect(drivers.lm2.guests_.has(id)).toBe(false);
        expect(await events(id, 'live_migration_cancel')).toEqual([['compute_live_migration_abort', 'Success']]);
        await until('the rollback event', async () =>
          (await events(id, 'live-migration')).some(
            (e: string[]) => e[0] === 'compute_rollback_live_migration_at_destination',
          ),
        );
      } finally {
        drivers.lm1.liveMigrationMs = 0;
      }
      await t.remove(id);
    });

    it("leaves a later migration alone when an earlier one's rollback runs again", async () => {
      const id = await bootOn('lm-stale', 'lm1');
      drivers.lm1.liveMigrationMs = 60000;
      try {
        expect((await live(id, {})).status).toBe(202);
        await inStatus(id, 'running');
        const [first] = await migrations(id);
        expect((await t.nova('DELETE', `/servers/${id}/migrations/${first.id}`)).status).toBe(202);
        expect(await settled(id)).toEqual(['ACTIVE', 'lm1', 'lm1']);
        expect((await live(id, {})).status).toBe(202);
        await inStatus(id, 'running');
        // The first abort's rollback once more, as a job run again after its worker died.
        const env = t.managerEnv('lm1', drivers.lm1);
        const instance = await getInstance(t.db, id, { projectId: null });
        const stale = await getMigration(t.db, first.uuid);
        const again = await rollbackLiveMigration(
          { db: t.db, jobs: env.jobs, placement: env.clients.placement },
          instance,
          stale!,
          { status: 'cancelled', from: ['queued', 'preparing'], requestId: 'req-stale', event: 'x', host: 'lm1' },
        );
        expect(again).toBe(true);
        const s = (await t.nova('GET', `/servers/${id}`)).body.server;
        expect([s.status, s['OS-EXT-STS:task_state']]).toEqual(['MIGRATING', 'migrating']);
        expect(await usages()).toEqual({ lm1: tiny, lm2: tiny });
        const [second] = await migrations(id);
        expect(second.status).toBe('running');
        expect((await t.nova('DELETE', `/servers/${id}/migrations/${second.id}`)).status).toBe(202);
        expect(await settled(id)).toEqual(['ACTIVE', 'lm1', 'lm1']);
      } finally {
        drivers.lm1.liveMigrationMs = 0;
      }
      expect(await usages()).toEqual({ lm1: tiny, lm2: none });
      await t.remove(id);
    });

    it('aborts a queued or preparing migration from 2.65, not before', async () => {
      const id = await bootOn('lm-queued', 'lm1');
      // The destination's agent away: its pre_live_migration job waits, the migration queued.
      await managers.lm2!.stop();
      expect((await live(id, { host: 'lm2' })).status).toBe(202);
      await inStatus(id, 'queued');
      let [m] = await migrations(id);
      const abort = (version: string) => t.nova('DELETE', `/servers/${id}/migrations/${m.id}`, undefined, { version });
      expect([(await abort('2.64')).status, message(await abort('2.64'))]).toEqual([
        400,
        `Migration ${m.id} state of instance ${id} is queued. Cannot abort live migration while the migration is in this state.`,
      ]);
      expect((await abort('2.65')).status).toBe(202);
      expect(await settled(id)).toEqual(['ACTIVE', 'lm1', 'lm1']);
      expect(await migrationStatus(id)).toBe('cancelled');
      expect(await usages()).toEqual({ lm1: tiny, lm2: none });
      // Back, the destination finds the migration cancelled and does nothing of it.
      managers.lm2 = t.manager('lm2', drivers.lm2);
      await until('the destination cleaned up', async () =>
        drivers.lm2.calls.includes(`rollback-live-migration-at-destination ${id}`),
      );
      expect(drivers.lm2.calls).not.toContain(`pre-live-migration ${id} lm2`);

      // Preparing: the destination's preparation held until the abort is through.
      let release!: () => void;
      drivers.lm2.preLiveMigrationGate = new Promise<void>((r) => (release = r));
      try {
        expect((await live(id, { host: 'lm2' })).status).toBe(202);
        await until('preparing', async () => (await migrations(id)).some((x) => x.status === 'preparing'));
        m = (await migrations(id)).find((x) => x.status === 'preparing');
        expect((await abort('2.65')).status).toBe(202);
        expect(await settled(id)).toEqual(['ACTIVE', 'lm1', 'lm1']);
      } finally {
        release();
        drivers.lm2.preLiveMigrationGate = null;
      }
      await until('the migration cancelled', async () => (await migrations(id)).every((x) => x.status === 'cancelled'));
      // The preparation, done after the abort, is undone by the destination itself.
      await until('the preparation undone', async () =>
        (await events(id, 'live-migration')).some((e: string[]) => e[0] === 'compute_pre_live_migration'),
      );
      expect(drivers.lm1.calls.filter((c) => c.startsWith(`live-migration ${id}`))).toEqual([]);
      expect(drivers.lm2.guests_.has(id)).toBe(false);
      expect(await usages()).toEqual({ lm1: tiny, lm2: none });
      await t.remove(id);
    });

    it('migrates a paused server paused', async () => {
      const id = await bootOn('lm-paused', 'lm1');
      expect((await act(id, { pause: null })).status).toBe(202);
      await t.waitFor(id, ['PAUSED']);
      expect((await live(id, { block_migration: true })).status).toBe(202);
      expect(await settled(id)).toEqual(['PAUSED', 'lm2', 'lm2']);
      expect(drivers.lm2.guests_.get(id)?.power).toBe(3);
      expect(drivers.lm1.calls).toContain(`live-migration ${id} lm2 true`);
      await t.remove(id);
    });

    it('waits for the pre-checks before 2.34 (a refusal is a 400), not from it (the migration in error)', async () => {
      const id = await bootOn('lm-checks', 'lm1');
      const [conductorWaited, conductorAsync] = ['conductor_migrate_server', 'conductor_live_migrate_instance'];
      const unchanged = async () => {
        expect(await settled(id)).toEqual(['ACTIVE', 'lm1', 'lm1']);
        expect(await usages()).toEqual({ lm1: tiny, lm2: none });
        expect(await allocations(id)).toEqual({ [rp.lm1!]: tiny });
        for (const m of await migrations(id)) {
          expect(m.status).toBe('error');
          expect(await allocations(m.uuid)).toEqual({});
        }
      };
      const refused = async (body: Record<string, unknown>, version: string) => {
        const r = await live(id, body, version);
        return [r.status, message(r)];
      };
      await setService('lm2', 'disable');
      try {
        // The scheduler's filters apply to a requested host from 2.30 (ComputeFilter: disabled).
        expect(await refused({ host: 'lm2' }, '2.30')).toEqual([
          400,
          'No valid host was found. There are not enough hosts available.',
        ]);
        await unchanged();
        const [e] = (await events(id, 'live-migration')) as string[][];
        expect(e).toEqual([conductorWaited, 'Error']);
        // From 2.34 the same refusal comes after the 202.
        expect((await live(id, { host: 'lm2' }, '2.34')).status).toBe(202);
        await until(
          'both refused',
          async () => (await migrations(id)).filter((m) => m.status === 'error').length === 2,
        );
        await unchanged();
        const actions = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions;
        const last = (await t.nova('GET', `/servers/${id}/os-instance-actions/${actions[0].request_id}`)).body
          .instanceAction;
        expect(last.events.map((x: any) => [x.event, x.result, x.details])).toEqual([
          [conductorAsync, 'Error', 'No valid host was found. There are not enough hosts available.'],
        ]);
        // Forced (any host before 2.30, force from it), a disabled host is taken all the same.
        expect((await live(id, { host: 'lm2', block_migration: false, disk_over_commit: false }, '2.24')).status).toBe(
          202,
        );
        expect(await settled(id)).toEqual(['ACTIVE', 'lm2', 'lm2']);
        expect(await usages()).toEqual({ lm1: none, lm2: tiny });
      } finally {
        await setService('lm2', 'enable');
      }
      expect((await live(id, { host: 'lm1', force: true }, '2.30')).status).toBe(202);
      expect(await settled(id)).toEqual(['ACTIVE', 'lm1', 'lm1']);
      expect(await usages()).toEqual({ lm1: tiny, lm2: none });
      // A forced host is checked as Nova checks it.
      expect(await refused({ host: 'lm1', force: true }, '2.30')).toEqual([
        400,
        `Unable to migrate instance (${id}) to current host (lm1).`,
      ]);
      await t.db.updateTable('compute_nodes').set({ free_ram_mb: 512 }).where('host', '=', 'lm2').execute();
      expect(await refused({ host: 'lm2', force: 'yes' }, '2.33')).toEqual([
        400,
        `Migration pre-check error: Unable to migrate ${id} to lm2: Lack of memory(host:512 <= instance:1024)`,
      ]);
      await t.db.updateTable('compute_nodes').set({ free_ram_mb: 4096 }).where('host', '=', 'lm2').execute();
      // Its own host is no destination for the scheduler either.
      expect(await refused({ host: 'lm1' }, '2.33')).toEqual([
        400,
        'No valid host was found. There are not enough hosts available.',
      ]);
      // The source's service down.
      const old = new Date(Date.now() - 7200 * 1000).toISOString();
      await t.db.updateTable('services').set({ last_seen_up: old }).where('host', '=', 'lm1').execute();
      try {
        expect(await refused({ block_migration: false, disk_over_commit: false }, '2.1')).toEqual([
          400,
          'Compute service of lm1 is unavailable at this time.',
        ]);
      } finally {
        await t.db
          .updateTable('services')
          .set({ last_seen_up: new Date().toISOString() })
          .where('host', '=', 'lm1')
          .execute();
      }
      expect((await refused({ host: 'lm2', block_migration: 'True', disk_over_commit: 'no' }, '2.1'))[0]).toBe(202);
      expect(await settled(id)).toEqual(['ACTIVE', 'lm2', 'lm2']);
      await t.remove(id);
    });

    it('answers bad requests as Nova does, nothing changed', async () => {
      const id = await bootOn('lm-bad', 'lm1');
      const bad = async (body: unknown, version = 'latest', token?: string) => {
        const r = await act(id, body, { version, ...(token ? { token } : {}) });
        return [r.status, message(r)];
      };
      const body = (fields: Record<string, unknown>) => ({ 'os-migrateLive': fields });
      expect((await bad(body({ host: null }), '2.25'))[0]).toBe(400);
      expect((await bad(body({ block_migration: 'auto', host: null }), '2.24'))[0]).toBe(400);
      expect((await bad(body({ block_migration: false, host: null }), '2.24'))[0]).toBe(400);
      expect((await bad(body({ block_migration: false, disk_over_commit: false, host: null }), '2.25'))[0]).toBe(400);
      expect((await bad(body({ block_migration: 'maybe', host: null })))[0]).toBe(400);
      expect((await bad(body({ block_migration: 'auto', host: 'lm2', force: true })))[0]).toBe(400);
      expect((await bad(body({ block_migration: 'auto', host: 'no/such' })))[0]).toBe(400);
      expect(await bad(body({ block_migration: 'auto', host: null, force: true }), '2.67')).toEqual([
        400,
        "Can't force to a non-provided destination",
      ]);
      expect(await bad(body({ block_migration: 'auto', host: 'nowhere' }))).toEqual([
        400,
        'Compute host nowhere could not be found.',
      ]);
      const missing = await t.nova(
        'POST',
        `/servers/${crypto.randomUUID()}/action`,
        body({ block_migration: 'auto', host: null }),
      );
      expect(missing.status).toBe(404);
      const own = await t.boot({ name: 'lm-member' }, { token: t.demo });
      await t.waitFor(own, ['ACTIVE']);
      const r = await act(own, body({ block_migration: 'auto', host: null }), { token: t.demo });
      expect([r.status, message(r)]).toEqual([
        403,
        "Policy doesn't allow os_compute_api:os-migrate-server:migrate_live to be performed.",
      ]);
      await t.remove(own);
      expect((await act(id, { suspend: null })).status).toBe(202);
      await t.waitFor(id, ['SUSPENDED']);
      expect(await bad(body({ block_migration: 'auto', host: null }))).toEqual([
        409,
        `Cannot 'os-migrateLive' instance ${id} while it is in vm_state suspended`,
      ]);
      expect((await act(id, { resume: null })).status).toBe(202);
      await t.waitFor(id, ['ACTIVE']);
      expect(await migrations(id)).toEqual([]);
      // One migration at a time: the second finds the first's task state.
      drivers.lm1.liveMigrationMs = 60000;
      try {
        expect((await live(id, {})).status).toBe(202);
        expect(await bad(body({ block_migration: 'auto', host: null }))).toEqual([
          409,
          `Cannot 'os-migrateLive' instance ${id} while it is in task_state migrating`,
        ]);
        await inStatus(id, 'running');
        const [m] = await migrations(id);
        const other = await bootOn('lm-other', 'lm1');
        const paths = (sid: string, mid: number | string) => `/servers/${sid}/migrations/${mid}`;
        // Another server's migration is none of this one's.
        expect(message(await t.nova('GET', paths(other, m.id)))).toBe(
          `In-progress live migration ${m.id} is not found for server ${other}.`,
        );
        expect((await t.nova('GET', paths(id, 'abc'))).status).toBe(404);
        expect(message(await t.nova('DELETE', paths(other, m.id)))).toBe(
          `Cannot 'abort live migration' instance ${other} while it is in task_state None`,
        );
        expect(message(await t.nova('POST', `${paths(other, m.id)}/action`, { force_complete: null }))).toBe(
          `Cannot 'force_complete' instance ${other} while it is in task_state None`,
        );
        expect([
          (await t.nova('POST', `${paths(id, 9999)}/action`, { force_complete: null })).status,
          message(await t.nova('POST', `${paths(id, 9999)}/action`, { force_complete: null })),
        ]).toEqual([400, `Migration 9999 not found for instance ${id}`]);
        expect([
          (await t.nova('DELETE', paths(id, 9999))).status,
          message(await t.nova('DELETE', paths(id, 9999))),
        ]).toEqual([404, `Migration 9999 not found for instance ${id}`]);
        const member = await t.nova('DELETE', paths(id, m.id), undefined, { token: t.demo });
        expect(member.status).toBe(404);
        await t.remove(other);
        expect((await t.nova('DELETE', paths(id, m.id))).status).toBe(202);
        expect(await settled(id)).toEqual(['ACTIVE', 'lm1', 'lm1']);
        // Over: neither forced to complete nor aborted any more.
        expect(message(await t.nova('DELETE', paths(id, m.id)))).toBe(
          `Cannot 'abort live migration' instance ${id} while it is in task_state None`,
        );
      } finally {
        drivers.lm1.liveMigrationMs = 0;
      }
      expect(await usages()).toEqual({ lm1: tiny, lm2: none });
      await t.remove(id);
    });

    it('rolls a failed migration back to the source: preparation refused, or the move broken off', async () => {
      const id = await bootOn('lm-fail', 'lm1');
      drivers.lm2.failPreLiveMigration.add('lm2');
      try {
        expect((await live(id, {})).status).toBe(202);
        await inStatus(id, 'failed');
        expect(await settled(id)).toEqual(['ACTIVE', 'lm1', 'lm1']);
        expect(await events(id, 'live-migration')).toContainEqual(['compute_pre_live_migration', 'Error']);
      } finally {
        drivers.lm2.failPreLiveMigration.clear();
      }
      expect(await usages()).toEqual({ lm1: tiny, lm2: none });
      drivers.lm1.failLiveMigration = true;
      try {
        expect((await live(id, {})).status).toBe(202);
        await inStatus(id, 'failed');
        expect(await settled(id)).toEqual(['ACTIVE', 'lm1', 'lm1']);
      } finally {
        drivers.lm1.failLiveMigration = false;
      }
      expect(await usages()).toEqual({ lm1: tiny, lm2: none });
      for (const m of await migrations(id)) expect(await allocations(m.uuid)).toEqual({});
      expect(drivers.lm1.guests_.get(id)?.power).toBe(1);
      await until('the destination cleaned up', async () =>
        drivers.lm2.calls.includes(`rollback-live-migration-at-destination ${id}`),
      );
      expect(drivers.lm2.guests_.has(id)).toBe(false);
      await t.remove(id);
    });

    it('frees both hosts when the server is deleted while it moves', async () => {
      const id = await bootOn('lm-deleted', 'lm1');
      drivers.lm1.liveMigrationMs = 60000;
      try {
        expect((await live(id, {})).status).toBe(202);
        await inStatus(id, 'running');
        const [m] = await migrations(id);
        await t.remove(id);
        expect(await usages()).toEqual({ lm1: none, lm2: none });
        expect(await allocations(m.uuid)).toEqual({});
        expect(await migrationStatus(id)).toBe('error');
      } finally {
        drivers.lm1.liveMigrationMs = 0;
      }
    });
  });
}

liveMigrationSuite('SQLite', async () => ({}));

const skipPg = postgresUnavailable();
let pg: PgCluster | undefined;
afterAll(() => pg?.stop());
liveMigrationSuite(
  'PostgreSQL',
  async () => ({ databaseConnection: await (pg ??= await startPostgres()).createDatabase('live_migration_test') }),
  skipPg,
);

describe('live migration by members (a policy that lets them)', () => {
  let t: ServersCloud;
  let dir: string;
  const drivers = { lp1: new TestDriver([testNode('lp1')]), lp2: new TestDriver([testNode('lp2')]) };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'concord-lm-policy-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(
      file,
      [
        'os_compute_api:os-migrate-server:migrate_live: "role:member"',
        'os_compute_api:os-migrations:index: "role:member"',
        'os_compute_api:servers:migrations:index: "role:member"',
        'os_compute_api:servers:migrations:force_complete: "role:member"',
        'os_compute_api:servers:migrations:delete: "role:member"',
      ].join('\n'),
    );
    t = await startServersCloud({ serviceDownTime: 3600, computePolicyFile: file });
    await t.flavor('vm-tiny', 1024, 1, 1);
    await t.hypervisor({ host: 'lp1' });
    await t.hypervisor({ host: 'lp2' });
    t.manager('lp1', drivers.lp1);
    t.manager('lp2', drivers.lp2);
  }, 60000);
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a member's locked server (409), as Nova's check_instance_lock", async () => {
    const id = await t.boot({ name: 'lp-locked' }, { token: t.demo });
    await t.waitFor(id, ['ACTIVE']);
    const as = { token: t.demo };
    expect((await t.nova('POST', `/servers/${id}/action`, { lock: null }, as)).status).toBe(202);
    const body = { 'os-migrateLive': { block_migration: 'auto', host: null } };
    const r = await t.nova('POST', `/servers/${id}/action`, body, as);
    expect([r.status, r.body.conflictingRequest.message]).toEqual([409, `Instance ${id} is locked`]);
    expect((await t.nova('DELETE', `/servers/${id}/migrations/1`, undefined, as)).status).toBe(409);
    expect((await t.nova('POST', `/servers/${id}/migrations/1/action`, { force_complete: null }, as)).status).toBe(409);
    expect((await t.nova('POST', `/servers/${id}/action`, { unlock: null }, as)).status).toBe(202);
    expect((await t.nova('POST', `/servers/${id}/action`, body, as)).status).toBe(202);
    await until('moved', async () => {
      const s = (await t.nova('GET', `/servers/${id}`, undefined, as)).body.server;
      return s.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null;
    });
    await t.remove(id);
  });
});
