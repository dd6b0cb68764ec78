// Shelve, shelveOffload and unshelve as Nova does them, through the conductor and compute managers
// on in-test drivers: the shelved image in Glance and the shelved_* system metadata; SHELVED
// holding its host's allocations, SHELVED_OFFLOADED on no host with none (its quota still
// counted); unshelve on the host (started there) or through the scheduler (2.77's zone, 2.91's
// host and unpinned zone), the image deleted afterwards; NoValidHost, a failed spawn and a
// missing image; the periodic offload; deletes; each action's events; the list's status filter;
// bad requests as Nova answers them; on SQLite and PostgreSQL. An unshelved server then
// cold-migrates as any other. And a host with [DEFAULT] shelved_offload_time = 0, which offloads
// in the same step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offloadShelvedInstances } from '../../src/compute/objects/instance_shelve.js';
import { until } from '../helpers/jobs.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';
import { startServersCloud, TestDriver, testNode, type ServersCloud } from '../helpers/servers.js';

/** What both suites read of their cloud. */
function helpers(t: () => ServersCloud) {
  const act = (id: string, body: unknown, o: { token?: string; version?: string } = {}) =>
    t().nova('POST', `/servers/${id}/action`, body, o);
  /** The server once its status is one of `statuses` and no task is under way. */
  const settled = async (id: string, statuses: string[]) => {
    let s: any;
    await until(
      `server ${id} settled in ${statuses.join('|')} (last: ${s?.status}/${s?.['OS-EXT-STS:task_state']})`,
      async () => {
        s = (await t().nova('GET', `/servers/${id}`)).body.server;
        return statuses.includes(s.status) && s['OS-EXT-STS:task_state'] === null;
      },
    );
    return s;
  };
  const events = async (id: string, action: string) => {
    const actions = (await t().nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions;
    const a = actions.find((x: any) => x.action === action);
    const shown = (await t().nova('GET', `/servers/${id}/os-instance-actions/${a.request_id}`)).body.instanceAction;
    return shown.events.map((e: any) => [e.event, e.result]).sort();
  };
  const glance = (id: string) => t().local.call('GET', `/image/v2/images/${id}`, t().admin);
  const shelvedImages = async (name: string) =>
    (await t().local.call('GET', `/image/v2/images?name=${name}-shelved`, t().admin)).body.images;
  const sysmeta = async (id: string) =>
    Object.fromEntries(
      (
        await t()
          .db.selectFrom('instance_system_metadata')
          .select(['key', 'value'])
          .where('instance_uuid', '=', id)
          .where('deleted', '=', 0)
          .where('key', 'like', 'shelved_%')
          .execute()
      ).map((r) => [r.key, r.value]),
    );
  const allocations = async (id: string) => (await t().placement('GET', `/allocations/${id}`)).body.allocations;
  return { act, settled, events, glance, shelvedImages, sysmeta, allocations };
}

function shelveSuite(name: string, extra: () => Promise<Record<string, unknown>>, skip: string | null = null) {
  describe.skipIf(skip !== null)(
    `shelve (${name}; shelved_offload_time = -1: offloaded when asked)${skip ? ` (skipped: ${skip})` : ''}`,
    () => {
      let t: ServersCloud;
      const d1 = new TestDriver([testNode('sh1')]);
      const d2 = new TestDriver([testNode('sh2')]);
      const rp: Record<string, string> = {};
      const { act, settled, events, glance, shelvedImages, sysmeta, allocations } = helpers(() => t);
      const use = (vcpu: number, ram: number, disk: number) => ({ VCPU: vcpu, MEMORY_MB: ram, DISK_GB: disk });

      beforeAll(async () => {
        t = await startServersCloud({ ...(await extra()), shelvedOffloadTime: -1 });
        await t.flavor('vm-tiny', 1024, 1, 1);
        rp.sh1 = await t.hypervisor({ host: 'sh1' });
        rp.sh2 = await t.hypervisor({ host: 'sh2' });
        t.manager('sh1', d1);
        t.manager('sh2', d2);
      }, 60000);
      afterAll(async () => {
        await t?.close();
      });

      /** An admin's server on `host`, ACTIVE. */
      const bootOn = async (name: string, host: string) => {
        const id = await t.boot({ name, availability_zone: `nova:${host}` });
        await t.waitFor(id, ['ACTIVE']);
        return id;
      };
      const shelved = async (name: string, host: string) => {
        const id = await bootOn(name, host);
        expect((await act(id, { shelve: null })).status).toBe(202);
        await settled(id, ['SHELVED']);
        return id;
      };
      const offloaded = async (name: string, host: string) => {
        const id = await shelved(name, host);
        expect((await act(id, { shelveOffload: null })).status).toBe(202);
        await settled(id, ['SHELVED_OFFLOADED']);
        return id;
      };

      it('shelves into an image, offloads, and unshelves onto the host asked for', async () => {
        const id = await t.boot({ name: 'keep' }, { token: t.demo });
        const booted = await t.waitFor(id, ['ACTIVE']);
        const home = booted['OS-EXT-SRV-ATTR:host'] as string;
        const other = home === 'sh1' ? 'sh2' : 'sh1';
        const drivers: Record<string, TestDriver> = { sh1: d1, sh2: d2 };

        expect((await act(id, { shelve: null }, { token: t.demo })).status).toBe(202);
        const s = await settled(id, ['SHELVED']);
        expect([s['OS-EXT-STS:vm_state'], s['OS-EXT-STS:power_state'], s['OS-EXT-SRV-ATTR:host']]).toEqual([
          'shelved',
          4,
          home,
        ]);
        const [image] = await shelvedImages('keep');
        expect(image).toMatchObject({
          name: 'keep-shelved',
          status: 'active',
          owner: t.demoProject,
          visibility: 'private',
          image_type: 'snapshot',
          instance_uuid: id,
          base_image_ref: t.imageId,
        });
        const meta = await sysmeta(id);
        expect(meta).toMatchObject({ shelved_image_id: image.id, shelved_host: home });
        expect(Date.parse(meta.shelved_at!)).toBeGreaterThan(Date.now() - 60000);
        expect(drivers[home]!.guests_.get(id)?.power).toBe(4);
        // Shelved on its host, the server keeps its resources there.
        expect(Object.keys(await allocations(id))).toEqual([rp[home]]);
        expect(await events(id, 'shelve')).toEqual([['compute_shelve_instance', 'Success']]);
        const listed = await t.nova('GET', '/servers?status=SHELVED', undefined, { token: t.demo });
        expect(listed.body.servers.map((x: any) => x.id)).toEqual([id]);

        // Offloading is the administrator's.
        expect((await act(id, { shelveOffload: null }, { token: t.demo })).status).toBe(403);
        expect((await act(id, { shelveOffload: null })).status).toBe(202);
        const o = await settled(id, ['SHELVED_OFFLOADED']);
        expect([
          o['OS-EXT-STS:vm_state'],
          o['OS-EXT-SRV-ATTR:host'],
          o['OS-EXT-SRV-ATTR:hypervisor_hostname'],
          o['OS-EXT-AZ:availability_zone'],
          o.hostId,
        ]).toEqual(['shelved_offloaded', null, null, '', '']);
        expect(await allocations(id)).toEqual({});
        expect(drivers[home]!.guests_.has(id)).toBe(false);
        expect(await events(id, 'shelveOffload')).toEqual([['compute_shelve_offload_instance', 'Success']]);
        // Its quota still counts, as Nova counts it.
        const limits = (await t.nova('GET', '/limits', undefined, { token: t.demo })).body.limits.absolute;
        expect([limits.totalInstancesUsed, limits.totalCoresUsed, limits.totalRAMUsed]).toEqual([1, 1, 1024]);
        const offloadedList = await t.nova('GET', '/servers/detail?status=shelved_offloaded', undefined, {
          token: t.demo,
        });
        expect(offloadedList.body.servers.map((x: any) => x.status)).toEqual(['SHELVED_OFFLOADED']);

        // A host is the administrator's to name (2.91).
        const denied = await act(id, { unshelve: { host: other } }, { token: t.demo, version: '2.91' });
        expect(denied.status).toBe(403);
        expect((await t.nova('GET', `/servers/${id}`)).body.server['OS-EXT-STS:task_state']).toBeNull();
        expect((await act(id, { unshelve: { host: other } }, { version: '2.91' })).status).toBe(202);
        const u = await settled(id, ['ACTIVE']);
        expect([u['OS-EXT-SRV-ATTR:host'], u['OS-EXT-STS:power_state'], u['OS-EXT-AZ:availability_zone']]).toEqual([
          other,
          1,
          'nova',
        ]);
        expect(Object.keys(await allocations(id))).toEqual([rp[other]]);
        // Spawned from the shelved image, which then goes; the server keeps its own image.
        expect(drivers[other]!.guests_.get(id)?.spec.imageRef).toBe(image.id);
        expect(u.image.id).toBe(t.imageId);
        await until('shelved image deleted', async () => (await glance(image.id)).status === 404);
        expect(await sysmeta(id)).toEqual({});
        expect(await events(id, 'unshelve')).toEqual([
          ['compute_unshelve_instance', 'Success'],
          ['get_image_info', 'Success'],
          ['schedule_instances', 'Success'],
        ]);
        // An unshelved server migrates as any other (tempest's shelve_migrate).
        expect((await act(id, { migrate: null })).status).toBe(202);
        expect((await settled(id, ['VERIFY_RESIZE']))['OS-EXT-SRV-ATTR:host']).toBe(home);
        expect((await act(id, { confirmResize: null })).status).toBe(204);
        await settled(id, ['ACTIVE']);
        await until('source freed', async () => Object.keys(await allocations(id)).join() === rp[home]);
        await t.remove(id);
      });

      it('unshelves a server still on its host by starting it there', async () => {
        const id = await bootOn('stay', 'sh1');
        expect((await act(id, { 'os-stop': null })).status).toBe(202);
        await settled(id, ['SHUTOFF']);
        expect((await act(id, { shelve: {} })).status).toBe(202);
        await settled(id, ['SHELVED']);
        const [image] = await shelvedImages('stay');
        // A zone or a host is for offloaded servers only.
        const az = await act(id, { unshelve: { availability_zone: 'nova' } }, { version: '2.77' });
        const message = `Specifying an availability zone or a host when unshelving server "${id}" with status "shelved" is not supported. The server status must be SHELVED_OFFLOADED.`;
        expect([az.status, az.body.conflictingRequest?.message]).toEqual([409, message]);
        const host = await act(id, { unshelve: { host: 'sh2' } }, { version: '2.91' });
        expect([host.status, host.body.conflictingRequest?.message]).toEqual([409, message]);

        expect((await act(id, { unshelve: null }, { version: '2.1' })).status).toBe(202);
        const s = await settled(id, ['ACTIVE']);
        expect([s['OS-EXT-SRV-ATTR:host'], s['OS-EXT-STS:power_state']]).toEqual(['sh1', 1]);
        expect(d1.guests_.get(id)?.power).toBe(1);
        expect(Object.keys(await allocations(id))).toEqual([rp.sh1]);
        expect(await events(id, 'unshelve')).toEqual([['compute_start_instance', 'Success']]);
        await until('shelved image deleted', async () => (await glance(image.id)).status === 404);
        expect(await sysmeta(id)).toEqual({});
        await t.remove(id);
      });

      it('refuses what Nova refuses, changing nothing', async () => {
        const id = await t.boot({ name: 'picky' }, { token: t.demo });
        await t.waitFor(id, ['ACTIVE']);
        const message = async (r: Promise<{ status: number; body: any }>) => {
          const x = await r;
          return [x.status, Object.values(x.body ?? {})[0] && (Object.values(x.body)[0] as any).message];
        };
        const state = (action: string, vmState: string) =>
          `Cannot '${action}' instance ${id} while it is in vm_state ${vmState}`;
        expect(await message(act(id, { unshelve: null }))).toEqual([409, state('unshelve', 'active')]);
        expect(await message(act(id, { shelveOffload: null }))).toEqual([409, state('shelveOffload', 'active')]);
        const nobody = crypto.randomUUID();
        for (const body of [{ shelve: null }, { shelveOffload: null }, { unshelve: null }]) {
          expect(await message(act(nobody, body))).toEqual([404, `Instance ${nobody} could not be found.`]);
        }
        // A locked server refuses its owner.
        expect((await act(id, { lock: null }, { token: t.demo })).status).toBe(202);
        expect(await message(act(id, { shelve: null }, { token: t.demo }))).toEqual([409, `Instance ${id} is locked`]);
        expect(await shelvedImages('picky')).toEqual([]);
        expect((await act(id, { unlock: null }, { token: t.demo })).status).toBe(202);

        expect((await act(id, { shelve: null }, { token: t.demo })).status).toBe(202);
        await settled(id, ['SHELVED']);
        expect(await message(act(id, { shelve: null }, { token: t.demo }))).toEqual([409, state('shelve', 'shelved')]);
        expect(await shelvedImages('picky')).toHaveLength(1);
        expect((await act(id, { shelveOffload: null })).status).toBe(202);
        await settled(id, ['SHELVED_OFFLOADED']);
        expect(await message(act(id, { shelveOffload: null }))).toEqual([
          409,
          state('shelveOffload', 'shelved_offloaded'),
        ]);

        // Bodies, per microversion.
        for (const [version, body] of [
          ['2.77', { unshelve: {} }],
          ['2.77', { unshelve: { availability_zone: 'nova', host: 'sh1' } }],
          ['2.77', { unshelve: { availability_zone: '' } }],
          ['2.77', { unshelve: { availability_zone: ' nova' } }],
          ['2.77', { unshelve: null, extra: 1 }],
          ['2.91', { unshelve: { foo: 1 } }],
          ['2.91', { unshelve: { host: 1 } }],
          ['2.91', { unshelve: 'sh1' }],
          ['2.91', { unshelve: { availability_zone: 5 } }],
        ] as const) {
          expect((await act(id, body, { version })).status, JSON.stringify([version, body])).toBe(400);
        }
        expect(await message(act(id, { unshelve: { availability_zone: 'nowhere' } }, { version: '2.77' }))).toEqual([
          400,
          'The requested availability zone is not available',
        ]);
        expect(await message(act(id, { unshelve: { host: 'nohost' } }, { version: '2.91' }))).toEqual([
          400,
          'Compute host nohost could not be found.',
        ]);
        const s = (await t.nova('GET', `/servers/${id}`)).body.server;
        expect([s.status, s['OS-EXT-STS:task_state']]).toEqual(['SHELVED_OFFLOADED', null]);
        expect(
          (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions.map((a: any) => a.action),
        ).toEqual(['shelveOffload', 'shelve', 'unlock', 'lock', 'create']);

        // Before 2.77 the body is not read.
        const old = await act(id, { unshelve: { availability_zone: 'nowhere' } }, { token: t.demo, version: '2.76' });
        expect(old.status).toBe(202);
        await settled(id, ['ACTIVE']);
        await t.remove(id);
      });

      it("unshelves into a zone (2.77) and out of it (2.91's null), checking a host against the zone", async () => {
        const agg = await t.nova('POST', '/os-aggregates', {
          aggregate: { name: 'edge', availability_zone: 'az-edge' },
        });
        const aggId = agg.body.aggregate.id;
        expect((await t.nova('POST', `/os-aggregates/${aggId}/action`, { add_host: { host: 'sh2' } })).status).toBe(
          200,
        );
        try {
          const id = await offloaded('zoned', 'sh1');
          const notIn = await act(id, { unshelve: { host: 'sh1', availability_zone: 'az-edge' } }, { version: '2.91' });
          expect([notIn.status, notIn.body.conflictingRequest?.message]).toEqual([
            409,
            'Host "sh1" is not in the availability zone "az-edge".',
          ]);
          expect((await act(id, { unshelve: { availability_zone: 'az-edge' } }, { version: '2.77' })).status).toBe(202);
          const s = await settled(id, ['ACTIVE']);
          expect([s['OS-EXT-SRV-ATTR:host'], s['OS-EXT-AZ:availability_zone']]).toEqual(['sh2', 'az-edge']);

          // Pinned to az-edge now: sh1 is outside it, until the zone is unset.
          expect((await act(id, { shelve: null })).status).toBe(202);
          await settled(id, ['SHELVED']);
          expect((await act(id, { shelveOffload: null })).status).toBe(202);
          await settled(id, ['SHELVED_OFFLOADED']);
          expect((await act(id, { unshelve: { host: 'sh1' } }, { version: '2.91' })).status).toBe(409);
          expect(
            (await act(id, { unshelve: { host: 'sh1', availability_zone: null } }, { version: '2.91' })).status,
          ).toBe(202);
          const back = await settled(id, ['ACTIVE']);
          expect([back['OS-EXT-SRV-ATTR:host'], back['OS-EXT-AZ:availability_zone']]).toEqual(['sh1', 'nova']);
          const spec = await t.db
            .selectFrom('request_specs')
            .select('spec')
            .where('instance_uuid', '=', id)
            .executeTakeFirstOrThrow();
          expect(JSON.parse(spec.spec).availability_zone).toBeNull();
          await t.remove(id);
        } finally {
          await t.nova('POST', `/os-aggregates/${aggId}/action`, { remove_host: { host: 'sh2' } });
          await t.nova('DELETE', `/os-aggregates/${aggId}`);
        }
      });

      it('leaves the server offloaded when no host fits, the event saying why', async () => {
        const id = await offloaded('nohost', 'sh1');
        await t.db.updateTable('services').set({ disabled: 1 }).where('host', '=', 'sh2').execute();
        try {
          expect((await act(id, { unshelve: { host: 'sh2' } }, { version: '2.91' })).status).toBe(202);
          const s = await settled(id, ['SHELVED_OFFLOADED']);
          expect(s['OS-EXT-SRV-ATTR:host']).toBeNull();
          expect(await allocations(id)).toEqual({});
          const actions = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions;
          const shown = (await t.nova('GET', `/servers/${id}/os-instance-actions/${actions[0].request_id}`)).body
            .instanceAction;
          const scheduling = shown.events.find((e: any) => e.event === 'schedule_instances');
          expect([shown.action, shown.message, scheduling.result]).toEqual(['unshelve', 'Error', 'Error']);
          expect(scheduling.details).toBe('No valid host was found. There are not enough hosts available.');
          expect(scheduling.traceback).toContain('sh2 (sh2): service disabled');
          expect((await shelvedImages('nohost')).map((i: any) => i.status)).toEqual(['active']);
        } finally {
          await t.db.updateTable('services').set({ disabled: 0 }).where('host', '=', 'sh2').execute();
        }
        // It can be unshelved again.
        expect((await act(id, { unshelve: null })).status).toBe(202);
        await settled(id, ['ACTIVE']);
        await t.remove(id);
      });

      it('frees the claim of a spawn that failed, leaving the server offloaded with its image', async () => {
        const id = await offloaded('nospawn', 'sh1');
        d2.failSpawn.add('sh2');
        try {
          expect((await act(id, { unshelve: { host: 'sh2' } }, { version: '2.91' })).status).toBe(202);
          const s = await settled(id, ['SHELVED_OFFLOADED']);
          expect([s['OS-EXT-SRV-ATTR:host'], s['OS-EXT-AZ:availability_zone']]).toEqual([null, '']);
          expect(await allocations(id)).toEqual({});
          expect(d2.guests_.has(id)).toBe(false);
          expect(await events(id, 'unshelve')).toEqual([
            ['compute_unshelve_instance', 'Error'],
            ['get_image_info', 'Success'],
            ['schedule_instances', 'Success'],
          ]);
          expect((await shelvedImages('nospawn')).map((i: any) => i.status)).toEqual(['active']);
          expect(Object.keys(await sysmeta(id)).sort()).toEqual(['shelved_at', 'shelved_host', 'shelved_image_id']);
        } finally {
          d2.failSpawn.delete('sh2');
        }
        expect((await act(id, { unshelve: { host: 'sh2' } }, { version: '2.91' })).status).toBe(202);
        expect((await settled(id, ['ACTIVE']))['OS-EXT-SRV-ATTR:host']).toBe('sh2');
        await t.remove(id);
      });

      it('puts the server in ERROR when its shelved image is gone', async () => {
        const id = await offloaded('lost', 'sh1');
        const [image] = await shelvedImages('lost');
        expect((await t.local.call('DELETE', `/image/v2/images/${image.id}`, t.admin)).status).toBe(204);
        expect((await act(id, { unshelve: null })).status).toBe(202);
        const s = await settled(id, ['ERROR']);
        expect(s.fault).toMatchObject({
          code: 404,
          message: `Unshelve attempted but the image ${image.id} cannot be found.`,
        });
        expect(await events(id, 'unshelve')).toEqual([['get_image_info', 'Error']]);
        expect(await allocations(id)).toEqual({});
        await t.remove(id);
      });

      it('deletes the image and starts the guest again when the snapshot fails', async () => {
        const id = await bootOn('nosnap', 'sh1');
        const snap = d1.snapshot.bind(d1);
        d1.snapshot = async () => {
          throw new Error('the disk is busy');
        };
        try {
          expect((await act(id, { shelve: null })).status).toBe(202);
          const s = await settled(id, ['ACTIVE']);
          expect(s['OS-EXT-STS:power_state']).toBe(1);
          expect(d1.guests_.get(id)?.power).toBe(1);
        } finally {
          d1.snapshot = snap;
        }
        expect(await shelvedImages('nosnap')).toEqual([]);
        expect(await events(id, 'shelve')).toEqual([['compute_shelve_instance', 'Error']]);
        expect(await sysmeta(id)).toEqual({});
        await t.remove(id);
      });

      it('deletes shelved servers with their images: on their host, or at once when offloaded', async () => {
        const onHost = await shelved('gone-shelved', 'sh1');
        const away = await offloaded('gone-offloaded', 'sh2');
        const images = [...(await shelvedImages('gone-shelved')), ...(await shelvedImages('gone-offloaded'))];
        expect(images).toHaveLength(2);
        // Offloaded, the server is on no host: deleted at once.
        expect((await t.nova('DELETE', `/servers/${away}`)).status).toBe(204);
        expect((await t.nova('GET', `/servers/${away}`)).status).toBe(404);
        await t.remove(onHost);
        for (const image of images) expect((await glance(image.id)).status).toBe(404);
        expect([await allocations(onHost), await allocations(away)]).toEqual([{}, {}]);
        expect(d1.guests_.has(onHost)).toBe(false);
        expect((await t.placement('GET', `/resource_providers/${rp.sh1}/usages`)).body.usages).toEqual(use(0, 0, 0));
      });

      it("offloads servers shelved longer than shelved_offload_time, events on the shelve's action", async () => {
        const id = await shelved('overdue', 'sh1');
        const jobs = t.managerEnv('sh1', d1).jobs;
        expect(await offloadShelvedInstances(t.db, jobs, ['sh1'], 3600)).toEqual([]);
        expect(await offloadShelvedInstances(t.db, jobs, ['sh2'], 60, Date.now() + 120000)).toEqual([]);
        expect(await offloadShelvedInstances(t.db, jobs, ['sh1'], 60, Date.now() + 120000)).toEqual([id]);
        await settled(id, ['SHELVED_OFFLOADED']);
        expect(await allocations(id)).toEqual({});
        expect(await events(id, 'shelve')).toEqual([
          ['compute_shelve_instance', 'Success'],
          ['compute_shelve_offload_instance', 'Success'],
        ]);
        await t.remove(id);
      });
    },
  );
}

shelveSuite('SQLite', async () => ({}));

const skipPg = postgresUnavailable();
let pg: PgCluster | undefined;
afterAll(() => pg?.stop());
shelveSuite(
  'PostgreSQL',
  async () => ({ databaseConnection: await (pg ??= await startPostgres()).createDatabase('shelve_test') }),
  skipPg,
);

describe('shelve ([DEFAULT] shelved_offload_time = 0: offloaded at once)', () => {
  let t: ServersCloud;
  const driver = new TestDriver([testNode('now1')]);
  const { act, settled, events, glance, shelvedImages, allocations } = helpers(() => t);

  beforeAll(async () => {
    t = await startServersCloud();
    await t.flavor('vm-tiny', 1024, 1, 1);
    await t.hypervisor({ host: 'now1' });
    t.manager('now1', driver);
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  it('shelves a paused server and offloads it in the same step; unshelves it', async () => {
    expect(t.config.shelvedOffloadTime).toBe(0);
    const id = await t.boot({ name: 'quick' });
    await t.waitFor(id, ['ACTIVE']);
    expect((await act(id, { pause: null })).status).toBe(202);
    await settled(id, ['PAUSED']);
    expect((await act(id, { shelve: null })).status).toBe(202);
    const s = await settled(id, ['SHELVED_OFFLOADED']);
    expect([s['OS-EXT-SRV-ATTR:host'], s['OS-EXT-STS:power_state']]).toEqual([null, 4]);
    expect(await allocations(id)).toEqual({});
    expect(driver.guests_.has(id)).toBe(false);
    expect(await events(id, 'shelve')).toEqual([['compute_shelve_instance', 'Success']]);
    const [image] = await shelvedImages('quick');
    expect(image.status).toBe('active');
    // Already offloaded: shelving again is refused.
    expect((await act(id, { shelve: null })).status).toBe(409);

    expect((await act(id, { unshelve: null })).status).toBe(202);
    expect((await settled(id, ['ACTIVE']))['OS-EXT-SRV-ATTR:host']).toBe('now1');
    await until('shelved image deleted', async () => (await glance(image.id)).status === 404);
    await t.remove(id);
  });
});
