// Resize as Nova does it, through the conductor and two compute managers on in-test drivers:
// the source's allocations held by the migration and the new flavor claimed on the destination
// (Placement usages of both hosts at each step), VERIFY_RESIZE with the old and new flavors in
// instance_extra, confirm and revert, os-migrations, the events of each action; bad requests as
// Nova answers them; no host; a reschedule to an alternate after prep_resize failed; a delete in
// VERIFY_RESIZE or during a resize leaving no allocation or guest behind; the confirm window's
// periodic confirmation; nova-manage's audit knowing the migration as a consumer.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditAllocations } from '../../src/compute/manage/audit.js';
import { confirmOverdueResizes } from '../../src/compute/objects/instance_resize.js';
import { until } from '../helpers/jobs.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { startServersCloud, TestDriver, testNode, type ServersCloud } from '../helpers/servers.js';

function resizeSuite(name: string, extra: () => Promise<Record<string, unknown>>, skip: string | null = null) {
  describe.skipIf(skip !== null)(`resize (${name})${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: ServersCloud;
    const src = new TestDriver([testNode('rs1')]);
    const dst = new TestDriver([testNode('rs2')]);
    const rp: Record<string, string> = {};

    beforeAll(async () => {
      t = await startServersCloud(await extra());
      await t.flavor('vm-tiny', 1024, 1, 1);
      await t.flavor('vm-small', 2048, 2, 2);
      await t.flavor('vm-nodisk', 1024, 1, 0);
      await t.flavor('vm-huge', 16384, 1, 1);
      rp.rs1 = await t.hypervisor({ host: 'rs1' });
      rp.rs2 = await t.hypervisor({ host: 'rs2', memoryMb: 2048 + 1024 });
      t.manager('rs1', src);
      t.manager('rs2', dst);
    }, 60000);
    afterAll(async () => {
      await t?.close();
    });

    const act = (id: string, body: unknown, token?: string) =>
      t.nova('POST', `/servers/${id}/action`, body, token ? { token } : {});
    const usages = async () => ({
      rs1: (await t.placement('GET', `/resource_providers/${rp.rs1}/usages`)).body.usages,
      rs2: (await t.placement('GET', `/resource_providers/${rp.rs2}/usages`)).body.usages,
    });
    const use = (vcpu: number, ram: number, disk: number) => ({ VCPU: vcpu, MEMORY_MB: ram, DISK_GB: disk });
    const flavorsOf = async (id: string) => {
      const row = await t.db
        .selectFrom('instance_extra')
        .select('flavor')
        .where('instance_uuid', '=', id)
        .executeTakeFirstOrThrow();
      const f = JSON.parse(row.flavor!);
      const name = (x: any) => (x === null ? null : x['nova_object.data'].name);
      return { cur: name(f.cur), old: name(f.old), new: name(f.new) };
    };
    const migrationOf = async (id: string) =>
      (await t.nova('GET', `/os-migrations?instance_uuid=${id}`)).body.migrations[0];
    const events = async (id: string, action: string) => {
      const actions = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions;
      const a = actions.find((x: any) => x.action === action);
      const shown = (await t.nova('GET', `/servers/${id}/os-instance-actions/${a.request_id}`)).body.instanceAction;
      return shown.events.map((e: any) => [e.event, e.result]).sort();
    };
    const settledStatus = async (id: string, statuses: string[]) => {
      let s: any;
      await until(`server ${id} in ${statuses.join('|')}`, async () => {
        s = (await t.nova('GET', `/servers/${id}`)).body.server;
        return statuses.includes(s.status) && s['OS-EXT-STS:task_state'] === null;
      });
      return s;
    };

    it('resizes to another host, holding both flavors until confirmed', async () => {
      const id = await t.boot({ name: 'grow', availability_zone: 'nova:rs1' });
      await t.waitFor(id, ['ACTIVE']);
      expect(await usages()).toEqual({ rs1: use(1, 1024, 1), rs2: use(0, 0, 0) });

      expect((await act(id, { resize: { flavorRef: 'vm-small' } })).status).toBe(202);
      const s = await settledStatus(id, ['VERIFY_RESIZE', 'ERROR', 'ACTIVE']);
      expect([s.status, s['OS-EXT-SRV-ATTR:host'], s.flavor.original_name, s['OS-EXT-STS:power_state']]).toEqual([
        'VERIFY_RESIZE',
        'rs2',
        'vm-small',
        1,
      ]);
      // The old flavor on the source is the migration's, the new on the destination the instance's.
      const m = await migrationOf(id);
      expect(m).toMatchObject({
        status: 'finished',
        source_compute: 'rs1',
        source_node: 'rs1',
        dest_compute: 'rs2',
        dest_node: 'rs2',
        dest_host: '127.0.0.1',
        migration_type: 'resize',
        instance_uuid: id,
      });
      expect(await usages()).toEqual({ rs1: use(1, 1024, 1), rs2: use(2, 2048, 2) });
      expect((await t.placement('GET', `/allocations/${m.uuid}`)).body.allocations).toEqual({
        [rp.rs1!]: { generation: expect.any(Number), resources: use(1, 1024, 1) },
      });
      expect(await flavorsOf(id)).toEqual({ cur: 'vm-small', old: 'vm-tiny', new: 'vm-small' });
      expect(dst.guests_.get(id)?.spec.flavor.memoryMb).toBe(2048);
      expect(src.guests_.get(id)?.power).toBe(4);
      expect(await events(id, 'resize')).toEqual([
        ['compute_finish_resize', 'Success'],
        ['compute_prep_resize', 'Success'],
        ['compute_resize_instance', 'Success'],
        ['conductor_migrate_server', 'Success'],
      ]);
      // A resized server has no live migration to show.
      expect((await t.nova('GET', `/servers/${id}/migrations`)).body).toEqual({ migrations: [] });
      expect((await t.nova('GET', `/servers/${id}/migrations/${m.id}`)).status).toBe(404);
      // Another resize waits for this one's confirmation.
      expect((await act(id, { resize: { flavorRef: 'vm-tiny' } })).body.conflictingRequest.message).toBe(
        `Cannot 'resize' instance ${id} while it is in vm_state resized`,
      );

      expect((await act(id, { confirmResize: null })).status).toBe(204);
      const c = await settledStatus(id, ['ACTIVE']);
      expect(c['OS-EXT-SRV-ATTR:host']).toBe('rs2');
      await until('migration confirmed', async () => (await migrationOf(id)).status === 'confirmed');
      expect(await usages()).toEqual({ rs1: use(0, 0, 0), rs2: use(2, 2048, 2) });
      expect((await t.placement('GET', `/allocations/${m.uuid}`)).body.allocations).toEqual({});
      expect(await flavorsOf(id)).toEqual({ cur: 'vm-small', old: null, new: null });
      expect(src.guests_.has(id)).toBe(false);
      expect(await events(id, 'confirmResize')).toEqual([['compute_confirm_resize', 'Success']]);
      expect((await act(id, { confirmResize: null })).body.conflictingRequest.message).toBe(
        `Cannot 'confirmResize' instance ${id} while it is in vm_state active`,
      );
      await t.remove(id);
      expect(await usages()).toEqual({ rs1: use(0, 0, 0), rs2: use(0, 0, 0) });
    });

    it('reverts to the source with the old flavor and allocations, a stopped server stopped', async () => {
      const id = await t.boot({ name: 'undo', availability_zone: 'nova:rs1' });
      await t.waitFor(id, ['ACTIVE']);
      expect((await act(id, { 'os-stop': null })).status).toBe(202);
      await settledStatus(id, ['SHUTOFF']);
      expect((await act(id, { resize: { flavorRef: 'vm-small', 'OS-DCF:diskConfig': 'AUTO' } })).status).toBe(202);
      const s = await settledStatus(id, ['VERIFY_RESIZE', 'ERROR']);
      expect([s.status, s['OS-EXT-STS:power_state'], s['OS-DCF:diskConfig']]).toEqual(['VERIFY_RESIZE', 4, 'AUTO']);
      const m = await migrationOf(id);
      expect(await usages()).toEqual({ rs1: use(1, 1024, 1), rs2: use(2, 2048, 2) });

      expect((await act(id, { revertResize: null })).status).toBe(202);
      const r = await settledStatus(id, ['SHUTOFF', 'ACTIVE', 'ERROR']);
      expect([r.status, r['OS-EXT-SRV-ATTR:host'], r.flavor.original_name]).toEqual(['SHUTOFF', 'rs1', 'vm-tiny']);
      expect((await migrationOf(id)).status).toBe('reverted');
      expect(await usages()).toEqual({ rs1: use(1, 1024, 1), rs2: use(0, 0, 0) });
      expect((await t.placement('GET', `/allocations/${m.uuid}`)).body.allocations).toEqual({});
      expect(await flavorsOf(id)).toEqual({ cur: 'vm-tiny', old: null, new: null });
      expect(dst.guests_.has(id)).toBe(false);
      expect(src.guests_.get(id)?.spec.flavor.memoryMb).toBe(1024);
      expect(await events(id, 'revertResize')).toEqual([
        ['compute_finish_revert_resize', 'Success'],
        ['compute_revert_resize', 'Success'],
      ]);
      await t.remove(id);
    });

    it('refuses what Nova refuses, changing nothing', async () => {
      const id = await t.boot({ name: 'bad', availability_zone: 'nova:rs1' });
      await t.waitFor(id, ['ACTIVE']);
      const bad = async (body: unknown) => {
        const r = await act(id, body);
        return [r.status, r.body.badRequest?.message ?? r.body.conflictingRequest?.message];
      };
      expect(await bad({ resize: { flavorRef: 'nope' } })).toEqual([400, 'Flavor nope could not be found.']);
      expect(await bad({ resize: { flavorRef: 'vm-tiny' } })).toEqual([
        400,
        'When resizing, instances must change flavor!',
      ]);
      expect(await bad({ resize: { flavorRef: 'vm-nodisk' } })).toEqual([
        400,
        'Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.',
      ]);
      expect((await bad({ resize: { flavorRef: 'vm-small', extra: 1 } }))[0]).toBe(400);
      expect((await bad({ resize: {} }))[0]).toBe(400);
      expect(await bad({ confirmResize: null })).toEqual([
        409,
        `Cannot 'confirmResize' instance ${id} while it is in vm_state active`,
      ]);
      expect(await bad({ revertResize: null })).toEqual([
        409,
        `Cannot 'revertResize' instance ${id} while it is in vm_state active`,
      ]);
      // The project's cores would go over its quota: Nova's 403, counting only the growth.
      await t.nova('PUT', `/os-quota-sets/${t.adminProject}`, { quota_set: { cores: 1 } });
      const q = await act(id, { resize: { flavorRef: 'vm-small' } });
      expect([q.status, q.body.forbidden.message]).toEqual([
        403,
        'Quota exceeded for cores: Requested 1, but already used 1 of 1 cores',
      ]);
      await t.nova('PUT', `/os-quota-sets/${t.adminProject}`, { quota_set: { cores: 20 } });
      expect((await t.nova('GET', `/os-migrations?instance_uuid=${id}`)).body.migrations).toEqual([]);
      expect((await t.nova('GET', `/servers/${id}`)).body.server.status).toBe('ACTIVE');
      expect((await t.nova('GET', '/os-migrations', undefined, { token: t.demo })).status).toBe(403);
      await t.remove(id);
    });

    it('puts the server back as it was when no host fits, with the reason', async () => {
      const id = await t.boot({ name: 'toobig', availability_zone: 'nova:rs1' });
      await t.waitFor(id, ['ACTIVE']);
      expect((await act(id, { resize: { flavorRef: 'vm-huge' } })).status).toBe(202);
      await until('migration in error', async () => (await migrationOf(id))?.status === 'error');
      const s = await settledStatus(id, ['ACTIVE']);
      expect([s['OS-EXT-SRV-ATTR:host'], s.flavor.original_name]).toEqual(['rs1', 'vm-tiny']);
      // The fault is recorded (shown only in ERROR, as Nova shows it).
      const fault = await t.db
        .selectFrom('instance_faults')
        .selectAll()
        .where('instance_uuid', '=', id)
        .executeTakeFirst();
      expect(fault?.message).toBe('No valid host was found. There are not enough hosts available.');
      expect(fault?.details).toMatch(/Placement returned 0 allocation candidate/);
      expect(await usages()).toEqual({ rs1: use(1, 1024, 1), rs2: use(0, 0, 0) });
      expect(await flavorsOf(id)).toEqual({ cur: 'vm-tiny', old: null, new: null });
      expect(await events(id, 'resize')).toEqual([['conductor_migrate_server', 'Error']]);
      await t.remove(id);
    });

    const resized = async (name: string) => {
      const id = await t.boot({ name, availability_zone: 'nova:rs1' });
      await t.waitFor(id, ['ACTIVE']);
      expect((await act(id, { resize: { flavorRef: 'vm-small' } })).status).toBe(202);
      expect((await settledStatus(id, ['VERIFY_RESIZE', 'ERROR', 'ACTIVE'])).status).toBe('VERIFY_RESIZE');
      return { id, m: await migrationOf(id) };
    };
    const migrationStatus = async (uuid: string) =>
      (await t.db.selectFrom('migrations').select('status').where('uuid', '=', uuid).executeTakeFirstOrThrow()).status;

    it('confirms the resize of a server deleted in VERIFY_RESIZE, leaving nothing behind', async () => {
      const { id, m } = await resized('deleted-resized');
      await t.remove(id);
      // The source's confirm_resize may finish after the destination's terminate.
      await until('migration confirmed', async () => (await migrationStatus(m.uuid)) === 'confirmed');
      expect(await usages()).toEqual({ rs1: use(0, 0, 0), rs2: use(0, 0, 0) });
      expect((await t.placement('GET', `/allocations/${m.uuid}`)).body.allocations).toEqual({});
      expect([src.guests_.has(id), dst.guests_.has(id)]).toEqual([false, false]);
      const actions = await t.db
        .selectFrom('instance_actions')
        .select('action')
        .where('instance_uuid', '=', id)
        .orderBy('id')
        .execute();
      expect(actions.map((a) => a.action).slice(-2)).toEqual(['confirmResize', 'delete']);
    });

    it("frees the migration's allocations of a server deleted while its resize is under way", async () => {
      const id = await t.boot({ name: 'deleted-moving', availability_zone: 'nova:rs1' });
      await t.waitFor(id, ['ACTIVE']);
      // The destination's prep_resize waits (on the driver) until the server is deleted.
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const nodes = dst.nodes.bind(dst);
      let entered = false;
      let prepped = false;
      dst.nodes = async () => {
        entered = true;
        await gate;
        const n = await nodes();
        prepped = true;
        return n;
      };
      try {
        expect((await act(id, { resize: { flavorRef: 'vm-small' } })).status).toBe(202);
        await until("the destination's prep_resize under way", async () => entered);
        const m = await migrationOf(id);
        expect(m.dest_compute).toBe('rs2');
        expect((await t.nova('GET', `/servers/${id}`)).body.server['OS-EXT-STS:task_state']).toBe('resize_prep');
        // The source's allocations are the migration's, the destination's claim the instance's.
        expect(await usages()).toEqual({ rs1: use(1, 1024, 1), rs2: use(2, 2048, 2) });
        await t.remove(id);
        expect(await usages()).toEqual({ rs1: use(0, 0, 0), rs2: use(0, 0, 0) });
        expect((await t.placement('GET', `/allocations/${m.uuid}`)).body.allocations).toEqual({});
        expect(await migrationStatus(m.uuid)).toBe('error');
        expect(src.guests_.has(id)).toBe(false);
        release();
        await until('prep_resize done', async () => prepped);
        // prep_resize finds the server gone and stops: nothing claimed or spawned again.
        await until('no resize job left', async () => {
          const left = await sql`SELECT id FROM compute_jobs WHERE state IN ('queued', 'running')`.execute(t.db);
          return left.rows.length === 0;
        });
        expect(await usages()).toEqual({ rs1: use(0, 0, 0), rs2: use(0, 0, 0) });
        expect(dst.guests_.has(id)).toBe(false);
      } finally {
        release();
        dst.nodes = nodes;
      }
    });

    it('confirms a resize left unconfirmed past [DEFAULT] resize_confirm_window', async () => {
      const { id, m } = await resized('overdue');
      const jobs = t.managerEnv('rs1', src).jobs;
      await confirmOverdueResizes(t.db, jobs, 60);
      expect(await migrationStatus(m.uuid)).toBe('finished');
      // A minute later, by the periodic task's clock.
      await confirmOverdueResizes(t.db, jobs, 60, Date.now() + 61_000);
      const s = await settledStatus(id, ['ACTIVE']);
      expect(s['OS-EXT-SRV-ATTR:host']).toBe('rs2');
      await until('migration confirmed', async () => (await migrationStatus(m.uuid)) === 'confirmed');
      expect(await usages()).toEqual({ rs1: use(0, 0, 0), rs2: use(2, 2048, 2) });
      expect(await events(id, 'confirmResize')).toEqual([['compute_confirm_resize', 'Success']]);
      await t.remove(id);
    });

    it('audits a resize waiting for confirmation as nova-manage does: the migration is no orphan', async () => {
      const { id, m } = await resized('audited');
      const placement = t.managerEnv('rs1', src).clients.placement;
      const r = await auditAllocations(
        { db: t.db, clients: { placement } },
        { requestId: 'req-audit' },
        { delete: true },
      );
      expect(r.lines.filter((l) => l.includes(m.uuid))).toEqual([]);
      expect(r.code).toBe(0);
      expect((await t.placement('GET', `/allocations/${m.uuid}`)).body.allocations).toEqual({
        [rp.rs1!]: { generation: expect.any(Number), resources: use(1, 1024, 1) },
      });
      expect((await act(id, { confirmResize: null })).status).toBe(204);
      await settledStatus(id, ['ACTIVE']);
      await t.remove(id);
      expect(await usages()).toEqual({ rs1: use(0, 0, 0), rs2: use(0, 0, 0) });
    });

    it('reschedules to an alternate when prep_resize fails on the chosen host', async () => {
      // rs3 is the freest (the weighers' first choice) but its driver manages no such node.
      rp.rs3 = await t.hypervisor({ host: 'rs3', memoryMb: 16384 });
      t.manager('rs3', new TestDriver([testNode('elsewhere')]));
      const id = await t.boot({ name: 'retry', availability_zone: 'nova:rs1' });
      await t.waitFor(id, ['ACTIVE']);
      expect((await act(id, { resize: { flavorRef: 'vm-small' } })).status).toBe(202);
      const s = await settledStatus(id, ['VERIFY_RESIZE', 'ERROR', 'ACTIVE']);
      expect([s.status, s['OS-EXT-SRV-ATTR:host']]).toEqual(['VERIFY_RESIZE', 'rs2']);
      expect((await t.placement('GET', `/resource_providers/${rp.rs3}/usages`)).body.usages).toEqual(use(0, 0, 0));
      expect(await events(id, 'resize')).toEqual([
        ['compute_finish_resize', 'Success'],
        ['compute_prep_resize', 'Error'],
        ['compute_prep_resize', 'Success'],
        ['compute_resize_instance', 'Success'],
        ['conductor_migrate_server', 'Success'],
        ['conductor_migrate_server', 'Success'],
      ]);
      expect((await act(id, { confirmResize: null })).status).toBe(204);
      await settledStatus(id, ['ACTIVE']);
      await t.remove(id);
    });
  });
}

resizeSuite('SQLite', async () => ({}));

const skipPg = postgresUnavailable();
let pg: PgCluster | undefined;
afterAll(() => pg?.stop());
resizeSuite(
  'PostgreSQL',
  async () => ({ databaseConnection: await (pg ??= await startPostgres()).createDatabase('resize_test') }),
  skipPg,
);
