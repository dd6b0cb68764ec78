// What the API asks a host's virt driver and waits for, beside the console: a server's diagnostics
// (server_diagnostics.py) and a hypervisor's uptime (hypervisors.py), each a call job the host's
// agent answers. Diagnostics: the driver's dict before 2.48, the standard body from it;
// administrators only; 404 for an unknown or another project's server; 409 without a host, with
// the host's service down or a guest that is not running (its power state named); 501 for a
// driver without them; 504 when the host does not answer within [DEFAULT] rpc_response_timeout,
// 502 when it fails. Uptime: the route until 2.87 (400 for a host that is down, 501, 504, 502);
// a show from 2.88 (null where the host cannot answer); never asked by a list. No call's row is
// left in compute_jobs.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET_HOST_UPTIME } from '../../src/compute/objects/host_uptime.js';
import { GET_DIAGNOSTICS, GET_INSTANCE_DIAGNOSTICS } from '../../src/compute/objects/instance_diagnostics.js';
import type { GuestSpec } from '../../src/compute/virt/driver.js';
import { FakeDriver, fakeDriverOptions } from '../../src/compute/virt/fake.js';
import { startServersCloud, TestDriver, testNode, type ServersCloud } from '../helpers/servers.js';

/** The fake driver, failing when told to, counting the uptimes asked of it. */
class FlakyDriver extends FakeDriver {
  failing = false;
  uptimes = 0;
  override async instanceDiagnostics(guest: GuestSpec) {
    if (this.failing) throw new Error('the hypervisor went away');
    return super.instanceDiagnostics(guest);
  }
  override async hostUptime() {
    this.uptimes++;
    if (this.failing) throw new Error('the hypervisor went away');
    return super.hostUptime();
  }
}

const UPTIME = /^ \d\d:\d\d:\d\d up \d+ min, {2}0 users, {2}load average: 0\.00, 0\.00, 0\.00$/;

describe('server diagnostics and hypervisor uptime', () => {
  let t: ServersCloud;
  let driver: FlakyDriver;
  const plain = new TestDriver([testNode('plain')]);

  beforeAll(async () => {
    // Service rows written by the test do not beat: they must stay up for the whole file.
    t = await startServersCloud({ rpcResponseTimeout: 2, serviceDownTime: 3600 });
    const flavor = await t.nova('POST', '/flavors', {
      flavor: {
        name: 'vm-disks',
        id: 'vm-disks',
        ram: 2048,
        vcpus: 2,
        disk: 1,
        swap: 512,
        'OS-FLV-EXT-DATA:ephemeral': 1,
      },
    });
    expect(flavor.status).toBe(200);
    await t.flavor('vm-tiny', 1024, 1, 1);
    await t.flavor('vm-wide', 1024, 10, 1);
    await t.hypervisor({ host: 'diag1', vcpus: 8, memoryMb: 8192 });
    await t.hypervisor({ host: 'slow' });
    await t.hypervisor({ host: 'plain' });
    // Up, but no agent takes its jobs; and a host whose service is down.
    await t.hypervisor({ host: 'mute', disabled: true });
    await t.hypervisor({ host: 'gone', disabled: true, lastSeenAgo: 7200 });
    driver = new FlakyDriver(fakeDriverOptions(t.config, 'diag1'));
    t.manager('diag1', driver);
    t.manager('slow', new FakeDriver({ ...fakeDriverOptions(t.config, 'slow'), spawnDelay: 3 }));
    t.manager('plain', plain);
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const diagnostics = (id: string, version = 'latest', token = t.admin) =>
    t.nova('GET', `/servers/${id}/diagnostics`, undefined, { token, version });
  const CALLS = [GET_DIAGNOSTICS, GET_INSTANCE_DIAGNOSTICS, GET_HOST_UPTIME];
  const callRows = async () =>
    Number(
      (
        await sql<{ n: number }>`SELECT count(*) AS n FROM compute_jobs WHERE kind IN (${sql.join(CALLS)})`.execute(
          t.db,
        )
      ).rows[0]!.n,
    );
  const boot = async (name: string, host: string, flavorRef = 'vm-tiny') => {
    const id = await t.boot({ name, flavorRef, availability_zone: `nova:${host}` });
    await t.waitFor(id, ['ACTIVE']);
    return id;
  };
  const setHost = (id: string, host: string) =>
    t.db.updateTable('instances').set({ host }).where('uuid', '=', id).execute();
  const heartbeat = (host: string, at: string) =>
    t.db.updateTable('services').set({ last_seen_up: at }).where('host', '=', host).execute();

  it("answers the host driver's diagnostics: its own dict before 2.48, the standard body from it", async () => {
    const id = await boot('diag', 'diag1', 'vm-disks');
    const disk = { read_bytes: 262144, read_requests: 112, write_bytes: 5778432, write_requests: 488, errors_count: 1 };
    const cpu = { time: 17300000000, utilisation: 15 };
    for (const version of ['2.48', 'latest']) {
      const r = await diagnostics(id, version);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        state: 'running',
        driver: 'libvirt',
        hypervisor: 'kvm',
        hypervisor_os: 'ubuntu',
        uptime: expect.any(Number),
        config_drive: false,
        num_cpus: 2,
        num_nics: 0,
        num_disks: 3,
        disk_details: [disk, disk, disk],
        cpu_details: [
          { id: 0, ...cpu },
          { id: 1, ...cpu },
        ],
        nic_details: [],
        memory_details: { maximum: 2048, used: 0 },
      });
      expect(r.body.uptime).toBeGreaterThanOrEqual(0);
    }
    for (const version of ['2.1', '2.47']) {
      const r = await diagnostics(id, version);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ cpu0_time: 17300000000, cpu1_time: 17300000000, memory: 2048 * 1024 });
      expect(Object.keys(r.body).filter((k) => k.endsWith('_read'))).toEqual(['vda_read', 'vdb_read', 'vdc_read']);
    }
    expect(await callRows()).toBe(0);
    await t.remove(id);
  });

  it("is for administrators; another project's or an unknown server is not found", async () => {
    const own = await t.boot({ name: 'diag-own' }, { token: t.demo });
    await t.waitFor(own, ['ACTIVE']);
    const refused = await diagnostics(own, 'latest', t.demo);
    expect([refused.status, refused.body]).toEqual([
      403,
      {
        forbidden: {
          code: 403,
          message: "Policy doesn't allow os_compute_api:os-server-diagnostics to be performed.",
        },
      },
    ]);
    const admins = await boot('diag-admins', 'diag1');
    expect((await diagnostics(admins, 'latest', t.demo)).status).toBe(404);
    const missing = crypto.randomUUID();
    expect((await diagnostics(missing)).body).toEqual({
      itemNotFound: { code: 404, message: `Instance ${missing} could not be found.` },
    });
    await t.remove(own);
    await t.remove(admins);
  });

  it('answers 409 for a server without a host, not running or still building, or whose host is down', async () => {
    // No host could take it: ERROR, never placed.
    const unplaced = await t.boot({ name: 'diag-unplaced', flavorRef: 'vm-wide' });
    await t.waitFor(unplaced, ['ERROR']);
    expect((await diagnostics(unplaced)).body).toEqual({
      conflictingRequest: { code: 409, message: `Instance ${unplaced} is not ready` },
    });

    const id = await boot('diag-stopped', 'diag1');
    expect((await t.nova('POST', `/servers/${id}/action`, { 'os-stop': null })).status).toBe(202);
    await t.waitFor(id, ['SHUTOFF']);
    for (const version of ['2.1', 'latest']) {
      expect((await diagnostics(id, version)).body).toEqual({
        conflictingRequest: {
          code: 409,
          message: `Cannot 'get_diagnostics' instance ${id} while it is in power state shutdown`,
        },
      });
    }

    // Placed on its host, whose driver is still spawning it: no power state yet.
    const building = await t.boot({ name: 'diag-building', availability_zone: 'nova:slow' });
    let placed = false;
    for (let i = 0; i < 200 && !placed; i++) {
      const row = await t.db.selectFrom('instances').select('host').where('uuid', '=', building).executeTakeFirst();
      placed = row?.host === 'slow';
      if (!placed) await new Promise((r) => setTimeout(r, 20));
    }
    expect(placed).toBe(true);
    expect((await diagnostics(building)).body).toEqual({
      conflictingRequest: {
        code: 409,
        message: `Cannot 'get_diagnostics' instance ${building} while it is in power state pending`,
      },
    });
    await t.waitFor(building, ['ACTIVE']);

    // The host's service missed its heartbeats: refused at once, nothing asked of it.
    const running = await boot('diag-down', 'diag1');
    await heartbeat('diag1', '2000-01-01T00:00:00.000Z');
    const down = await diagnostics(running);
    await heartbeat('diag1', new Date().toISOString());
    expect(down.body).toEqual({ conflictingRequest: { code: 409, message: 'Service is unavailable at this time.' } });
    expect(await callRows()).toBe(0);
    for (const s of [unplaced, id, building, running]) await t.remove(s);
  });

  it('answers 501 for a driver without diagnostics, 504 when the host is mute, 502 when it fails', async () => {
    const elsewhere = await boot('diag-plain', 'plain');
    for (const version of ['2.1', 'latest']) {
      expect((await diagnostics(elsewhere, version)).body).toEqual({
        notImplemented: { code: 501, message: 'The requested functionality is not supported.' },
      });
    }

    const id = await boot('diag-flaky', 'diag1');
    driver.failing = true;
    const failed = await diagnostics(id);
    driver.failing = false;
    expect(failed.body).toEqual({
      computeFault: { code: 502, message: 'The compute host of the instance failed to answer.' },
    });

    // A host that takes no jobs: the API gives up after rpc_response_timeout (2 s here).
    await setHost(id, 'mute');
    const started = Date.now();
    const mute = await diagnostics(id, '2.1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    await setHost(id, 'diag1');
    expect(mute.body).toEqual({
      computeFault: { code: 504, message: 'The compute host of the instance did not answer in time.' },
    });
    expect(await callRows()).toBe(0);
    await t.remove(id);
    await t.remove(elsewhere);
  });

  describe('hypervisor uptime', () => {
    const byName = async (version: string) =>
      Object.fromEntries(
        (await t.nova('GET', '/os-hypervisors', undefined, { version })).body.hypervisors.map(
          (h: { id: string; hypervisor_hostname: string }) => [h.hypervisor_hostname, h.id],
        ),
      ) as Record<string, string>;
    const uptime = (id: string, version: string, token = t.admin) =>
      t.nova('GET', `/os-hypervisors/${id}/uptime`, undefined, { version, token });
    const show = async (id: string) =>
      (await t.nova('GET', `/os-hypervisors/${id}`, undefined, { version: '2.88' })).body.hypervisor;

    it("answers the host's uptime on its route until 2.87, and in a show from 2.88", async () => {
      const ids = await byName('2.1');
      const r = await uptime(ids.diag1!, '2.1');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        hypervisor: {
          id: ids.diag1,
          hypervisor_hostname: 'diag1',
          state: 'up',
          status: 'enabled',
          uptime: expect.any(String),
        },
      });
      expect(r.body.hypervisor.uptime).toMatch(UPTIME);
      const uuids = await byName('2.53');
      expect((await uptime(uuids.diag1!, '2.87')).body.hypervisor).toMatchObject({ id: uuids.diag1, uptime: UPTIME });
      expect((await uptime(uuids.diag1!, '2.88')).status).toBe(404);

      expect(await show(uuids.diag1!)).toMatchObject({ hypervisor_hostname: 'diag1', uptime: UPTIME });
      const before = (await t.nova('GET', `/os-hypervisors/${uuids.diag1}`, undefined, { version: '2.87' })).body;
      expect(before.hypervisor).not.toHaveProperty('uptime');
      expect(await callRows()).toBe(0);

      const refused = await uptime(ids.diag1!, '2.1', t.demo);
      expect(refused.body.forbidden.message).toBe(
        "Policy doesn't allow os_compute_api:os-hypervisors:uptime to be performed.",
      );
    });

    it('asks no host while listing: every detail says none', async () => {
      const asked = driver.uptimes;
      const started = Date.now();
      const detail = await t.nova('GET', '/os-hypervisors/detail', undefined, { version: '2.88' });
      // The mute host would hold the list for rpc_response_timeout.
      expect(Date.now() - started).toBeLessThan(2000);
      expect(detail.body.hypervisors.map((h: { uptime: unknown }) => h.uptime)).toEqual(
        detail.body.hypervisors.map(() => null),
      );
      expect(detail.body.hypervisors).toHaveLength(5);
      expect(driver.uptimes).toBe(asked);
    });

    it("answers Nova's errors where the host cannot tell; a show says none", async () => {
      const ids = await byName('2.53');
      // Down: 400, nothing asked.
      expect((await uptime(ids.gone!, '2.53')).body).toEqual({
        badRequest: { code: 400, message: 'Compute service of gone is unavailable at this time.' },
      });
      // A driver without uptime.
      expect((await uptime(ids.plain!, '2.53')).body).toEqual({
        notImplemented: { code: 501, message: 'The requested functionality is not supported.' },
      });
      driver.failing = true;
      const failed = await uptime(ids.diag1!, '2.53');
      const shownFailed = await show(ids.diag1!);
      driver.failing = false;
      expect(failed.body).toEqual({
        computeFault: { code: 502, message: 'The compute host of the hypervisor failed to answer.' },
      });
      const started = Date.now();
      const mute = await uptime(ids.mute!, '2.53');
      expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
      expect(mute.body).toEqual({
        computeFault: { code: 504, message: 'The compute host of the hypervisor did not answer in time.' },
      });
      expect(shownFailed).toMatchObject({ hypervisor_hostname: 'diag1', uptime: null });
      for (const host of ['gone', 'plain', 'mute']) {
        expect(await show(ids[host]!)).toMatchObject({ hypervisor_hostname: host, uptime: null });
      }
      expect(await callRows()).toBe(0);
    });
  });
});
