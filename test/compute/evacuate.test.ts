// Evacuation as Nova does it (evacuate.py, compute.api.API.evacuate, the conductor's
// rebuild_instance with recreate, the compute manager's rebuild on the destination and
// _destroy_evacuated_instances on the source), through the conductor and compute managers on
// in-test drivers: a server of a host forced down (os-services 2.53) rebuilt from its image on
// another host, the instance holding both hosts' allocations until the source's agent starts
// again and cleans up (its guest destroyed, its allocations taken out, the migration completed);
// the migration's statuses and type (os-migrations); a stopped server kept stopped; the requested
// host scheduled (2.29) or forced (before 2.29, and force until 2.67); no valid host, a forced
// host without room and a failing destination, nothing left claimed; a delete and a reset
// mid-evacuation; an earlier conductor run's claim taken back; Nova's 400s, 403, 404s, 406 and 409s, nothing changed;
// a locked server evacuated (Nova's evacuate does not look at the lock). SQLite and PostgreSQL.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/common/config.js';
import { destroyEvacuatedInstances } from '../../src/compute/manager/index.js';
import { setSystemMetadata } from '../../src/compute/objects/instance_system_metadata.js';
import { until } from '../helpers/jobs.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { moveProbes } from '../helpers/moves.js';
import { startServersCloud, TestDriver, testNode, type ServersCloud } from '../helpers/servers.js';

const HOSTS = ['ev1', 'ev2', 'ev3'] as const;
type Host = (typeof HOSTS)[number];

function evacuateSuite(name: string, extra: () => Promise<Partial<Config>>, skip: string | null = null) {
  describe.skipIf(skip !== null)(`evacuate (${name})${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: ServersCloud;
    const drivers = Object.fromEntries(HOSTS.map((h) => [h, new TestDriver([testNode(h)])])) as Record<
      Host,
      TestDriver
    >;
    const rp: Record<string, string> = {};

    beforeAll(async () => {
      // The in-test hosts never beat: up for the whole suite, unless forced down.
      t = await startServersCloud({ serviceDownTime: 3600, ...(await extra()) });
      await t.flavor('vm-tiny', 1024, 1, 1);
      for (const h of HOSTS) {
        rp[h] = await t.hypervisor({ host: h });
        t.manager(h, drivers[h]);
      }
      // Too small for the flavor: Placement never offers it, a forced evacuation finds no room.
      rp.evsmall = await t.hypervisor({ host: 'evsmall', memoryMb: 512 });
    }, 60000);
    afterAll(async () => {
      await t?.close();
    });

    const tiny = { VCPU: 1, MEMORY_MB: 1024, DISK_GB: 1 };
    const none = { VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 };
    const act = (id: string, body: unknown, o: { token?: string; version?: string } = {}) =>
      t.nova('POST', `/servers/${id}/action`, body, o);
    const evacuate = (id: string, fields: Record<string, unknown> = {}, version = 'latest') =>
      act(id, { evacuate: fields }, { version });
    const message = (r: { body: any }) => (Object.values(r.body ?? {})[0] as any)?.message;
    const usages = async () =>
      Object.fromEntries(
        await Promise.all(
          HOSTS.map(async (h) => [h, (await t.placement('GET', `/resource_providers/${rp[h]}/usages`)).body.usages]),
        ),
      );
    const { allocations, migrations, migrationStatus, inStatus, settled, events } = moveProbes(() => t);
    /** Runs `fn` with the destinations' spawns held until it calls `release` (or ends). */
    const withSpawnsHeld = async (fn: (release: () => void) => Promise<void>) => {
      let release = () => {};
      const gate = new Promise<void>((r) => (release = r));
      drivers.ev2.spawnGate = gate;
      drivers.ev3.spawnGate = gate;
      try {
        await fn(release);
      } finally {
        release();
        drivers.ev2.spawnGate = null;
        drivers.ev3.spawnGate = null;
      }
    };
    const serviceId = async (host: string) =>
      (await t.nova('GET', `/os-services?binary=nova-compute&host=${host}`, undefined, { version: '2.53' })).body
        .services[0].id as string;
    const forceDown = async (host: string, down: boolean) => {
      const r = await t.nova(
        'PUT',
        `/os-services/${await serviceId(host)}`,
        { forced_down: down },
        { version: '2.53' },
      );
      expect(r.status).toBe(200);
    };
    const setService = (host: string, status: 'enable' | 'disable') =>
      t.nova('PUT', `/os-services/${status}`, { host, binary: 'nova-compute' }, { version: '2.1' });
    /** The source's agent starts again. */
    const restart = async (host: Host) => {
      await forceDown(host, false);
      await destroyEvacuatedInstances(t.db, new Map([[host, t.managerEnv(host, drivers[host])]]));
    };
    const bootOn = async (name: string, host: string) => {
      const id = await t.boot({ name, availability_zone: `nova:${host}` });
      await t.waitFor(id, ['ACTIVE']);
      return id;
    };

    /** ev1 forced down, its server `id` evacuated: the migration, once its destination spawns. */
    const evacuatedUntilSpawning = async (id: string) => {
      await forceDown('ev1', true);
      expect((await evacuate(id)).status).toBe(200);
      await inStatus(id, 'pre-migrating');
      const [m] = await migrations(id);
      await until('spawning', async () => drivers[m.dest_compute as Host].calls.includes(`spawn ${id} ${m.dest_node}`));
      return m;
    };

    it('rebuilds the server of a host forced down on another host; the source cleans up once it is back', async () => {
      await setService('ev3', 'disable');
      const id = await bootOn('ev-move', 'ev1');
      const before = (await t.nova('GET', `/servers/${id}`)).body.server;
      await forceDown('ev1', true);
      const r = await evacuate(id);
      expect([r.status, r.body]).toEqual([200, null]);
      expect(await settled(id)).toEqual(['ACTIVE', 'ev2', 'ev2']);
      const s = (await t.nova('GET', `/servers/${id}`)).body.server;
      expect([s['OS-EXT-STS:power_state'], s['OS-EXT-STS:vm_state'], s['OS-EXT-AZ:availability_zone']]).toEqual([
        1,
        'active',
        'nova',
      ]);
      expect(s['OS-SRV-USG:launched_at'] > before['OS-SRV-USG:launched_at']).toBe(true);
      const [m] = await migrations(id);
      expect(m).toMatchObject({
        status: 'done',
        migration_type: 'evacuation',
        source_compute: 'ev1',
        source_node: 'ev1',
        dest_compute: 'ev2',
        dest_node: 'ev2',
        old_instance_type_id: null,
        new_instance_type_id: null,
        instance_uuid: id,
      });
      expect(m.links).toBeUndefined();
      // Rebuilt from its image; the source, down, still has its guest.
      expect(drivers.ev2.guests_.get(id)).toMatchObject({ power: 1, spec: { imageRef: t.imageId, node: 'ev2' } });
      expect(drivers.ev1.guests_.has(id)).toBe(true);
      // Both hosts are the instance's own until the source is back.
      expect(await allocations(id)).toEqual({ [rp.ev1!]: tiny, [rp.ev2!]: tiny });
      expect(await allocations(m.uuid)).toEqual({});
      expect(await usages()).toEqual({ ev1: tiny, ev2: tiny, ev3: none });
      expect(await events(id, 'evacuate')).toEqual([
        ['compute_rebuild_instance', 'Success'],
        ['rebuild_server', 'Success'],
      ]);
      const typed = (await t.nova('GET', `/os-migrations?migration_type=evacuation&instance_uuid=${id}`)).body;
      expect(typed.migrations.map((x: any) => x.id)).toEqual([m.id]);
      const live = (await t.nova('GET', `/os-migrations?migration_type=live-migration&instance_uuid=${id}`)).body;
      expect(live.migrations).toEqual([]);
      const old = (await t.nova('GET', `/os-migrations?instance_uuid=${id}`, undefined, { version: '2.22' })).body;
      expect(old.migrations[0].migration_type).toBeUndefined();

      await restart('ev1');
      expect(drivers.ev1.guests_.has(id)).toBe(false);
      expect(drivers.ev1.calls).toContain(`destroy ${id}`);
      expect(await allocations(id)).toEqual({ [rp.ev2!]: tiny });
      expect(await migrationStatus(id)).toBe('completed');
      expect(await usages()).toEqual({ ev1: none, ev2: tiny, ev3: none });
      // Started again: nothing left to do.
      await restart('ev1');
      expect(await allocations(id)).toEqual({ [rp.ev2!]: tiny });
      await t.remove(id);
      expect(await usages()).toEqual({ ev1: none, ev2: none, ev3: none });
      await setService('ev3', 'enable');
    });

    it('keeps a stopped server stopped; one in ERROR comes back ACTIVE', async () => {
      const stopped = await bootOn('ev-stopped', 'ev1');
      expect((await act(stopped, { 'os-stop': null })).status).toBe(202);
      await t.waitFor(stopped, ['SHUTOFF']);
      const broken = await bootOn('ev-error', 'ev1');
      expect((await act(broken, { 'os-resetState': { state: 'error' } })).status).toBe(202);
      await forceDown('ev1', true);
      expect((await evacuate(stopped)).status).toBe(200);
      expect((await evacuate(broken)).status).toBe(200);
      const [status, host] = await settled(stopped);
      expect(status).toBe('SHUTOFF');
      expect((await t.nova('GET', `/servers/${stopped}`)).body.server['OS-EXT-STS:power_state']).toBe(4);
      expect(drivers[host as Host].guests_.get(stopped)?.power).toBe(4);
      const [brokenStatus, brokenHost] = await settled(broken);
      expect([brokenStatus, brokenHost === 'ev1']).toEqual(['ACTIVE', false]);
      expect(drivers[brokenHost as Host].guests_.get(broken)?.power).toBe(1);
      await restart('ev1');
      for (const id of [stopped, broken]) {
        expect(Object.keys(await allocations(id))).not.toContain(rp.ev1);
        await t.remove(id);
      }
    });

    it('takes a requested host through the scheduler from 2.29, and as it is when forced or before 2.29', async () => {
      const id = await bootOn('ev-host', 'ev1');
      await forceDown('ev1', true);
      expect((await evacuate(id, { host: 'ev3' })).status).toBe(200);
      expect(await settled(id)).toEqual(['ACTIVE', 'ev3', 'ev3']);
      expect((await migrations(id))[0]).toMatchObject({ status: 'done', dest_compute: 'ev3' });
      await restart('ev1');

      // Unforced, a disabled host is the ComputeFilter's to refuse: no valid host.
      await forceDown('ev3', true);
      await setService('ev2', 'disable');
      expect((await evacuate(id, { host: 'ev2' })).status).toBe(200);
      expect(await settled(id)).toEqual(['ERROR', 'ev3', 'ev3']);
      expect(await migrationStatus(id)).toBe('error');
      expect(await allocations(id)).toEqual({ [rp.ev3!]: tiny });
      // Forced (2.29 to 2.67), the scheduler is not asked: the source's allocations are copied there.
      expect((await evacuate(id, { host: 'ev2', force: 'True' }, '2.67')).status).toBe(200);
      expect(await settled(id)).toEqual(['ACTIVE', 'ev2', 'ev2']);
      expect(await allocations(id)).toEqual({ [rp.ev3!]: tiny, [rp.ev2!]: tiny });
      await setService('ev2', 'enable');
      await restart('ev3');
      expect(await allocations(id)).toEqual({ [rp.ev2!]: tiny });

      // Before 2.29 a named host is forced; the answer tells the new password (before 2.14).
      await forceDown('ev2', true);
      await setService('ev1', 'disable');
      const r = await evacuate(id, { host: 'ev1', onSharedStorage: 'False', adminPass: 's3cret' }, '2.13');
      expect([r.status, r.body]).toEqual([200, { adminPass: 's3cret' }]);
      expect(await settled(id)).toEqual(['ACTIVE', 'ev1', 'ev1']);
      await setService('ev1', 'enable');
      await restart('ev2');
      expect(await allocations(id)).toEqual({ [rp.ev1!]: tiny });
      expect(drivers.ev2.guests_.has(id)).toBe(false);
      await t.remove(id);
    });

    it('leaves a server no host takes where it was: the migration in error, nothing claimed elsewhere', async () => {
      const id = await bootOn('ev-nohost', 'ev1');
      await forceDown('ev1', true);
      // A forced host without room: Nova leaves the vm_state as it was.
      expect((await evacuate(id, { host: 'evsmall', force: true }, '2.67')).status).toBe(200);
      await inStatus(id, 'error');
      expect(await settled(id)).toEqual(['ACTIVE', 'ev1', 'ev1']);
      let s = (await t.nova('GET', `/servers/${id}`)).body.server;
      expect(s.fault).toBeUndefined();
      const fault = await t.db
        .selectFrom('instance_faults')
        .select('message')
        .where('instance_uuid', '=', id)
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      expect(fault.message).toBe(
        `No valid host was found. Unable to move instance ${id} to host evsmall. There is not enough capacity on the host for the instance.`,
      );
      expect(await allocations(id)).toEqual({ [rp.ev1!]: tiny });
      expect((await t.placement('GET', `/resource_providers/${rp.evsmall}/usages`)).body.usages).toEqual(none);
      // No host at all: the scheduler's refusal puts it in ERROR.
      await setService('ev2', 'disable');
      await setService('ev3', 'disable');
      expect((await evacuate(id)).status).toBe(200);
      expect(await settled(id)).toEqual(['ERROR', 'ev1', 'ev1']);
      s = (await t.nova('GET', `/servers/${id}`)).body.server;
      expect(s.fault.message).toBe('No valid host was found. There are not enough hosts available.');
      expect(s.fault.details).toContain('ComputeFilter removed 2 host(s)');
      expect((await migrations(id)).map((m) => m.status)).toEqual(['error', 'error']);
      expect(await allocations(id)).toEqual({ [rp.ev1!]: tiny });
      expect(await usages()).toEqual({ ev1: tiny, ev2: none, ev3: none });
      expect(await events(id, 'evacuate')).toEqual([['rebuild_server', 'Error']]);
      // An evacuation that failed is none of the source's to clean up.
      await restart('ev1');
      expect(drivers.ev1.guests_.has(id)).toBe(true);
      expect(await allocations(id)).toEqual({ [rp.ev1!]: tiny });
      await setService('ev2', 'enable');
      await setService('ev3', 'enable');
      await t.remove(id);
    });

    it('puts the server in ERROR when the destination fails, its claim there taken back', async () => {
      const id = await bootOn('ev-fails', 'ev1');
      await forceDown('ev1', true);
      drivers.ev2.failSpawn.add('ev2');
      drivers.ev3.failSpawn.add('ev3');
      try {
        expect((await evacuate(id)).status).toBe(200);
        await inStatus(id, 'failed');
        expect(await settled(id)).toEqual(['ERROR', 'ev1', 'ev1']);
      } finally {
        drivers.ev2.failSpawn.clear();
        drivers.ev3.failSpawn.clear();
      }
      const [m] = await migrations(id);
      const fault = (await t.nova('GET', `/servers/${id}`)).body.server.fault;
      expect(fault.message).toBe(`no room for ${id} on ${m.dest_node}`);
      expect(await events(id, 'evacuate')).toEqual([
        ['compute_rebuild_instance', 'Error'],
        ['rebuild_server', 'Success'],
      ]);
      await until('the claim taken back', async () => Object.keys(await allocations(id)).length === 1);
      expect(await allocations(id)).toEqual({ [rp.ev1!]: tiny });
      expect(drivers[m.dest_compute as Host].guests_.has(id)).toBe(false);
      // Told the disk is on shared storage, where no host of concord keeps one.
      const r = await evacuate(id, { onSharedStorage: true }, '2.13');
      expect([r.status, r.body]).toEqual([200, { adminPass: null }]);
      await until('failed again', async () => (await migrations(id)).every((x) => x.status === 'failed'));
      expect(await settled(id)).toEqual(['ERROR', 'ev1', 'ev1']);
      expect((await t.nova('GET', `/servers/${id}`)).body.server.fault.message).toBe(
        'Invalid state of instance files on shared storage',
      );
      await until('the claim taken back', async () => Object.keys(await allocations(id)).length === 1);
      await restart('ev1');
      expect(await allocations(id)).toEqual({ [rp.ev1!]: tiny });
      await t.remove(id);
      expect(await usages()).toEqual({ ev1: none, ev2: none, ev3: none });
    });

    it('frees everything when the server is deleted while its destination rebuilds it', async () => {
      const id = await bootOn('ev-deleted', 'ev1');
      try {
        await withSpawnsHeld(async (release) => {
          const m = await evacuatedUntilSpawning(id);
          expect(Object.keys(await allocations(id)).length).toBe(2);
          // Its host down: deleted at once, everything it holds released.
          await t.remove(id);
          release();
          await inStatus(id, 'failed');
          await until('the guest made there destroyed', async () => !drivers[m.dest_compute as Host].guests_.has(id));
          expect(await allocations(id)).toEqual({});
          expect(await usages()).toEqual({ ev1: none, ev2: none, ev3: none });
        });
      } finally {
        await forceDown('ev1', false);
      }
    });

    it('ends the evacuation of a server reset meanwhile: its source keeps it, nothing claimed elsewhere', async () => {
      const id = await bootOn('ev-reset', 'ev1');
      await withSpawnsHeld(async (release) => {
        const m = await evacuatedUntilSpawning(id);
        expect((await act(id, { 'os-resetState': { state: 'active' } })).status).toBe(202);
        release();
        await inStatus(id, 'failed');
        await until('the guest made there destroyed', async () => !drivers[m.dest_compute as Host].guests_.has(id));
        await until('the claim taken back', async () => Object.keys(await allocations(id)).length === 1);
        expect(await allocations(id)).toEqual({ [rp.ev1!]: tiny });
        expect(await settled(id)).toEqual(['ACTIVE', 'ev1', 'ev1']);
      });
      await restart('ev1');
      expect(drivers.ev1.guests_.has(id)).toBe(true);
      expect(await allocations(id)).toEqual({ [rp.ev1!]: tiny });
      await t.remove(id);
    });

    it("takes back an earlier conductor run's claim before it schedules again", async () => {
      const id = await bootOn('ev-rerun', 'ev1');
      // What a conductor that died after claiming ev3 leaves: the instance holding ev3 too.
      const held = (await t.placement('GET', `/allocations/${id}`)).body;
      const put = await t.placement('PUT', `/allocations/${id}`, {
        allocations: { [rp.ev1!]: { resources: tiny }, [rp.ev3!]: { resources: tiny } },
        project_id: held.project_id,
        user_id: held.user_id,
        consumer_generation: held.consumer_generation,
        consumer_type: 'INSTANCE',
      });
      expect(put.status).toBe(204);
      await forceDown('ev1', true);
      await setService('ev3', 'disable');
      expect((await evacuate(id)).status).toBe(200);
      expect(await settled(id)).toEqual(['ACTIVE', 'ev2', 'ev2']);
      expect(await allocations(id)).toEqual({ [rp.ev1!]: tiny, [rp.ev2!]: tiny });
      await setService('ev3', 'enable');
      await restart('ev1');
      await t.remove(id);
      expect(await usages()).toEqual({ ev1: none, ev2: none, ev3: none });
    });

    it('answers bad requests as Nova does, nothing changed', async () => {
      const id = await bootOn('ev-bad', 'ev1');
      const bad = async (fields: unknown, version = 'latest', token?: string) => {
        const r = await act(id, { evacuate: fields }, { version, ...(token ? { token } : {}) });
        return [r.status, message(r)];
      };
      // The body per microversion.
      expect((await bad({}, '2.13'))[0]).toBe(400);
      expect((await bad({ onSharedStorage: false }, '2.14'))[0]).toBe(400);
      expect((await bad({ host: 'ev2', force: true }, '2.28'))[0]).toBe(400);
      expect((await bad({ host: 'ev2', force: true }, '2.68'))[0]).toBe(400);
      expect((await bad({ force: 'maybe' }, '2.29'))[0]).toBe(400);
      expect((await bad({ host: 'no/such' }))[0]).toBe(400);
      expect((await bad({ host: '' }))[0]).toBe(400);
      expect((await bad({ adminPass: 7 }))[0]).toBe(400);
      expect((await bad(null))[0]).toBe(400);
      expect((await bad({}, '2.95'))[0]).toBe(406);
      const masked = await bad({ adminPass: 'hunter2', what: 1 });
      expect([masked[0], JSON.stringify(masked[1]).includes('hunter2')]).toEqual([400, false]);
      expect(await bad({ force: true }, '2.29')).toEqual([400, "Can't force to a non-provided destination"]);
      expect(await bad({ onSharedStorage: true, adminPass: 'x' }, '2.13')).toEqual([
        400,
        "admin password can't be changed on existing disk",
      ]);
      const missing = await act(crypto.randomUUID(), { evacuate: {} });
      expect(missing.status).toBe(404);
      const own = await t.boot({ name: 'ev-member' }, { token: t.demo });
      await t.waitFor(own, ['ACTIVE']);
      const r = await act(own, { evacuate: {} }, { token: t.demo });
      expect([r.status, message(r)]).toEqual([403, "Policy doesn't allow os_compute_api:os-evacuate to be performed."]);
      await t.remove(own);
      expect(await bad({ host: 'nowhere' })).toEqual([404, 'Compute host nowhere not found.']);
      expect(await bad({ host: 'ev1' })).toEqual([400, "The target host can't be the same one."]);
      // Its host still up.
      expect(await bad({})).toEqual([400, 'Compute service of ev1 is still in use.']);
      await forceDown('ev1', true);
      try {
        expect((await act(id, { pause: null })).status).toBe(202);
        await t.waitFor(id, ['PAUSED']);
        expect(await bad({})).toEqual([409, `Cannot 'evacuate' instance ${id} while it is in vm_state paused`]);
        expect((await act(id, { unpause: null })).status).toBe(202);
        await t.waitFor(id, ['ACTIVE']);
        await setSystemMetadata(t.db, id, 'image_hw_tpm_version', '2.0');
        expect(await bad({ host: 'ev2' })).toEqual([
          400,
          `Operation 'evacuate' not supported for vTPM-enabled instance (${id}).`,
        ]);
        await t.db
          .deleteFrom('instance_system_metadata')
          .where('instance_uuid', '=', id)
          .where('key', '=', 'image_hw_tpm_version')
          .execute();
        expect(await migrations(id)).toEqual([]);
        const s = (await t.nova('GET', `/servers/${id}`)).body.server;
        expect([s.status, s['OS-EXT-STS:task_state'], s['OS-EXT-SRV-ATTR:host']]).toEqual(['ACTIVE', null, 'ev1']);
        // One evacuation at a time: the second finds the first's task state.
        await withSpawnsHeld(async () => {
          expect((await evacuate(id)).status).toBe(200);
          expect(await bad({})).toEqual([409, `Cannot 'evacuate' instance ${id} while it is in task_state rebuilding`]);
          expect((await t.nova('GET', `/servers/${id}`)).body.server.status).toBe('REBUILD');
        });
        await settled(id);
        expect((await migrations(id)).length).toBe(1);
      } finally {
        await restart('ev1');
      }
      await t.remove(id);
    });
  });
}

evacuateSuite('SQLite', async () => ({}));

const skipPg = postgresUnavailable();
let pg: PgCluster | undefined;
afterAll(() => pg?.stop());
evacuateSuite(
  'PostgreSQL',
  async () => ({ databaseConnection: await (pg ??= await startPostgres()).createDatabase('evacuate_test') }),
  skipPg,
);

describe('evacuate by members (a policy that lets them)', () => {
  let t: ServersCloud;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'concord-evacuate-policy-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, 'os_compute_api:os-evacuate: "role:member"\n');
    t = await startServersCloud({ serviceDownTime: 3600, computePolicyFile: file });
    await t.flavor('vm-tiny', 1024, 1, 1);
    for (const host of ['ep1', 'ep2']) {
      await t.hypervisor({ host });
      t.manager(host, new TestDriver([testNode(host)]));
    }
  }, 60000);
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("evacuates a member's locked server: Nova's evacuate does not look at the lock", async () => {
    const as = { token: t.demo };
    const own = await t.boot({ name: 'ep-own' }, as);
    await t.waitFor(own, ['ACTIVE']);
    const host = (await t.nova('GET', `/servers/${own}`)).body.server['OS-EXT-SRV-ATTR:host'] as string;
    const other = host === 'ep1' ? 'ep2' : 'ep1';
    const theirs = await t.boot({ name: 'ep-theirs', availability_zone: `nova:${other}` });
    await t.waitFor(theirs, ['ACTIVE']);
    expect((await t.nova('POST', `/servers/${own}/action`, { lock: null }, as)).status).toBe(202);
    // Another project's server stays out of sight.
    expect((await t.nova('POST', `/servers/${theirs}/action`, { evacuate: {} }, as)).status).toBe(404);
    const up = await t.nova('POST', `/servers/${own}/action`, { evacuate: {} }, as);
    expect([up.status, up.body.badRequest.message]).toEqual([400, `Compute service of ${host} is still in use.`]);
    const service = (await t.nova('GET', `/os-services?host=${host}`, undefined, { version: '2.53' })).body.services[0];
    const down = await t.nova('PUT', `/os-services/${service.id}`, { forced_down: true }, { version: '2.53' });
    expect(down.status).toBe(200);
    expect((await t.nova('POST', `/servers/${own}/action`, { evacuate: {} }, as)).status).toBe(200);
    await until('moved', async () => {
      const s = (await t.nova('GET', `/servers/${own}`, undefined, as)).body.server;
      return s.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null;
    });
    const moved = (await t.nova('GET', `/servers/${own}`)).body.server;
    expect([moved['OS-EXT-SRV-ATTR:host'], moved.locked]).toEqual([other, true]);
  });
});
