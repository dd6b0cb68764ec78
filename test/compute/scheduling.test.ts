// Scheduling against a real Placement in-process, with compute nodes as the agents would report
// them: the reference scenario's disjoint resource classes (vm-tiny only on hypervisors,
// bare-metal-gold only on gold nodes), the filters and what a NoValidHost says about them, zones
// as Placement aggregates, reschedules to alternates after a failed build, and many boots racing
// for little capacity.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/common/config.js';
import { conductorHandlers } from '../../src/compute/conductor/index.js';
import type { ComputeClients } from '../../src/compute/context.js';
import { BUILD_INSTANCES } from '../../src/compute/objects/instance_create.js';
import { BIN } from '../helpers/cloud.js';
import { noJobRow } from '../helpers/jobs.js';
import { startServersCloud, TestDriver, type ServersCloud } from '../helpers/servers.js';

describe('scheduling', () => {
  let t: ServersCloud;
  const hv = new TestDriver();
  const ironic = new TestDriver();
  const nodes: Record<string, string> = {};

  beforeAll(async () => {
    t = await startServersCloud({ quotaCores: -1, quotaRam: -1 });
    await t.flavor('vm-tiny', 1024, 1, 1);
    await t.flavor('bare-metal-gold', 131072, 64, 371, {
      'resources:CUSTOM_GOLD': '1',
      'resources:VCPU': '0',
      'resources:MEMORY_MB': '0',
      'resources:DISK_GB': '0',
    });
    nodes.hv1 = await t.hypervisor({ host: 'hv1', vcpus: 2, memoryMb: 4096, diskGb: 20 });
    nodes.gold1 = await t.hypervisor({
      host: 'ironic',
      node: 'gold1',
      vcpus: 0,
      memoryMb: 0,
      diskGb: 0,
      inventories: { CUSTOM_GOLD: { total: 1 } },
    });
    t.manager('hv1', hv);
    t.manager('ironic', ironic);
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const usages = async (rp: string) => (await t.placement('GET', `/resource_providers/${rp}/usages`)).body.usages;
  const details = async (id: string) => (await t.nova('GET', `/servers/${id}`)).body.server.fault?.details as string;

  it('puts vm-tiny on a hypervisor and bare-metal-gold on the gold node, claiming their classes', async () => {
    const vm = await t.boot({ name: 'vm' });
    const bm = await t.boot({ name: 'bm', flavorRef: 'bare-metal-gold' });
    const [v, b] = [await t.waitFor(vm, ['ACTIVE', 'ERROR']), await t.waitFor(bm, ['ACTIVE', 'ERROR'])];
    expect(v).toMatchObject({
      status: 'ACTIVE',
      'OS-EXT-SRV-ATTR:host': 'hv1',
      'OS-EXT-SRV-ATTR:hypervisor_hostname': 'hv1',
      'OS-EXT-STS:power_state': 1,
      'OS-EXT-AZ:availability_zone': 'nova',
    });
    expect(v['OS-SRV-USG:launched_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(b).toMatchObject({
      status: 'ACTIVE',
      'OS-EXT-SRV-ATTR:host': 'ironic',
      'OS-EXT-SRV-ATTR:hypervisor_hostname': 'gold1',
    });
    expect((await t.placement('GET', `/allocations/${bm}`)).body.allocations).toEqual({
      [nodes.gold1!]: { generation: expect.any(Number), resources: { CUSTOM_GOLD: 1 } },
    });
    expect(await usages(nodes.hv1!)).toEqual({ VCPU: 1, MEMORY_MB: 1024, DISK_GB: 1 });
    expect(ironic.guests_.get(bm)?.spec.flavor).toMatchObject({ vcpus: 64, memoryMb: 131072, rootGb: 371 });
    const events = await t.nova(
      'GET',
      `/servers/${vm}/os-instance-actions/${(await t.nova('GET', `/servers/${vm}/os-instance-actions`)).body.instanceActions[0].request_id}`,
    );
    expect(events.body.instanceAction.events.map((e: any) => [e.event, e.result, e.host ?? null])).toEqual([
      ['conductor_schedule_and_build_instances', 'Success', null],
      ['compute__do_build_and_run_instance', 'Success', 'hv1'],
    ]);
    // The gold node is whole: a second gold server finds no host, and says why.
    const second = await t.boot({ name: 'bm2', flavorRef: 'bare-metal-gold' });
    expect((await t.waitFor(second, ['ERROR', 'ACTIVE'])).status).toBe('ERROR');
    expect(await details(second)).toContain(
      'Placement returned 0 allocation candidate(s) on 0 provider(s) for GET ' +
        '/allocation_candidates?resources=CUSTOM_GOLD%3A1&limit=1000&root_required=%21COMPUTE_STATUS_DISABLED',
    );
  });

  it('says which hosts each filter removed and why', async () => {
    nodes.down = await t.hypervisor({ host: 'hv-down', lastSeenAgo: 3600 });
    nodes.off = await t.hypervisor({ host: 'hv-off', disabled: true });
    nodes.arm = await t.hypervisor({ host: 'hv-arm', supported: [['aarch64', 'fake', 'hvm']] });
    const id = await t.boot({ name: 'picky', flavorRef: 'vm-tiny', availability_zone: 'nova' });
    // hv1 still has room: the others are filtered, hv1 wins.
    expect((await t.waitFor(id, ['ACTIVE', 'ERROR']))['OS-EXT-SRV-ATTR:host']).toBe('hv1');
    // hv1 is full now (2 vCPUs): the next one has nowhere to go.
    const none = await t.boot({ name: 'none' });
    expect((await t.waitFor(none, ['ACTIVE', 'ERROR'])).status).toBe('ERROR');
    const why = await details(none);
    expect(why).toMatch(/Placement returned 3 allocation candidate\(s\) on 3 provider\(s\)/);
    expect(why).toContain('ComputeFilter removed 2 host(s), 1 left');
    expect(why).toContain('hv-down (hv-down): service down');
    expect(why).toContain('hv-off (hv-off): service disabled (maintenance)');
    expect(why).toContain('ImagePropertiesFilter removed 1 host(s), 0 left');
    expect(why).toContain('hv-arm (hv-arm): supports [["aarch64","fake","hvm"]], the image wants architecture x86_64');
  });

  it('takes Placement refusing the query (a class it does not know) for no host', async () => {
    await t.flavor('vm-odd', 512, 1, 1, { 'resources:CUSTOM_NOWHERE': '1' });
    const id = await t.boot({ name: 'odd', flavorRef: 'vm-odd' });
    expect((await t.waitFor(id, ['ERROR', 'ACTIVE'])).status).toBe('ERROR');
    expect(await details(id)).toMatch(
      /Placement refused GET \/allocation_candidates\?resources=VCPU%3A1%2CMEMORY_MB%3A512%2CDISK_GB%3A1%2CCUSTOM_NOWHERE%3A1&limit=1000&root_required=%21COMPUTE_STATUS_DISABLED: 400 .*CUSTOM_NOWHERE/,
    );
    await t.remove(id);
  });

  it('explains a server from the database: `concord explain server ID`', async () => {
    const [none] = (await t.nova('GET', '/servers/detail?name=^none$')).body.servers;
    const out = spawnSync(process.execPath, [BIN, 'explain', 'server', none.id, '--data-dir', t.local.dataDir], {
      encoding: 'utf8',
    });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain(
      `Server ${none.id} (none) of project ${t.adminProject}: ERROR (vm_state error, task_state None)`,
    );
    expect(out.stdout).toContain('Fault (');
    expect(out.stdout).toContain('ImagePropertiesFilter removed 1 host(s), 0 left');
    expect(out.stdout).toMatch(/Action create \(req-[0-9a-f-]+\)/);
    expect(out.stdout).toContain('  conductor_schedule_and_build_instances: Error — No valid host was found.');
    const missing = spawnSync(process.execPath, [BIN, 'explain', 'server', 'nope', '--data-dir', t.local.dataDir], {
      encoding: 'utf8',
    });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('concord: no server nope in the compute database\n');
  });
});

/** A cloud whose quotas do not get in the way, with vm-tiny. */
async function tinyCloud(extra: Partial<Config> = {}): Promise<ServersCloud> {
  const t = await startServersCloud({ quotaInstances: -1, quotaCores: -1, quotaRam: -1, ...extra });
  await t.flavor('vm-tiny', 1024, 1, 1);
  return t;
}

describe('scheduling: zones, server groups, reschedules, races', () => {
  let t: ServersCloud;
  const driver = new TestDriver();

  beforeAll(async () => {
    t = await tinyCloud();
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  it("keeps a zone's servers on the hosts of the aggregates that make it (member_of)", async () => {
    await t.hypervisor({ host: 'z-plain', vcpus: 8 });
    const zoned = await t.hypervisor({ host: 'z-edge', vcpus: 1 });
    const ts = new Date().toISOString();
    const agg = crypto.randomUUID();
    const { id } = await t.db
      .insertInto('aggregates')
      .values({ uuid: agg, name: 'edge', created_at: ts, updated_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto('aggregate_hosts')
      .values({ aggregate_id: id, host: 'z-edge', created_at: ts, updated_at: null })
      .execute();
    await t.db
      .insertInto('aggregate_metadata')
      .values({ aggregate_id: id, key: 'availability_zone', value: 'edge', created_at: ts, updated_at: null })
      .execute();
    const rp = (await t.placement('GET', `/resource_providers/${zoned}`)).body;
    await t.placement('PUT', `/resource_providers/${zoned}/aggregates`, {
      aggregates: [agg],
      resource_provider_generation: rp.generation,
    });
    t.manager('z-plain', driver);
    t.manager('z-edge', driver);
    const edge = await t.boot({ name: 'edge', availability_zone: 'edge' });
    expect(await t.waitFor(edge, ['ACTIVE', 'ERROR'])).toMatchObject({
      status: 'ACTIVE',
      'OS-EXT-SRV-ATTR:host': 'z-edge',
      'OS-EXT-AZ:availability_zone': 'edge',
    });
    // The zone's one vCPU is taken: the next edge server fails, though z-plain has room.
    const full = await t.boot({ name: 'edge-2', availability_zone: 'edge' });
    expect((await t.waitFor(full, ['ACTIVE', 'ERROR'])).status).toBe('ERROR');
    expect((await t.nova('GET', `/servers/${full}`)).body.server.fault.details).toContain(`&member_of=${agg}&`);
    // And a server of the default zone never lands in the edge zone.
    const plain = await t.boot({ name: 'plain', availability_zone: 'nova' });
    expect((await t.waitFor(plain, ['ACTIVE', 'ERROR']))['OS-EXT-SRV-ATTR:host']).toBe('z-plain');
    for (const s of [edge, full, plain]) await t.remove(s);
  });

  it("keeps an anti-affinity group's servers apart, and says so when it cannot", async () => {
    const ts = new Date().toISOString();
    const group = crypto.randomUUID();
    const { id } = await t.db
      .insertInto('instance_groups')
      .values({
        uuid: group,
        name: 'apart',
        user_id: 'u',
        project_id: t.adminProject,
        created_at: ts,
        updated_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto('instance_group_policy')
      .values({ group_id: id, policy: 'anti-affinity', rules: '{}', created_at: ts, updated_at: null })
      .execute();
    const r = await t.nova('POST', '/servers', {
      server: { name: 'apart', imageRef: t.imageId, flavorRef: 'vm-tiny', networks: 'none', min_count: 2 },
      'os:scheduler_hints': { group },
    });
    expect(r.status).toBe(202);
    const members = (await t.nova('GET', '/servers/detail?name=^apart$')).body.servers.map((s: any) => s.id as string);
    const placed = await Promise.all(members.map((m: string) => t.waitFor(m, ['ACTIVE', 'ERROR'])));
    expect(new Set(placed.map((p) => p['OS-EXT-SRV-ATTR:host']))).toEqual(new Set(['z-plain', 'z-edge']));
    expect((await t.nova('GET', `/servers/${members[0]}`)).body.server.server_groups).toEqual([group]);
    const third = await t.boot({ name: 'apart-3' }, { hints: { group } });
    expect((await t.waitFor(third, ['ACTIVE', 'ERROR'])).status).toBe('ERROR');
    expect((await t.nova('GET', `/servers/${third}`)).body.server.fault.details).toContain(
      `z-plain (z-plain): server group ${group} (anti-affinity) has 1 of at most 1 servers here`,
    );
    for (const s of [...members, third]) await t.remove(s);
  });

  it('reschedules a failed build to an alternate, then gives up after [scheduler] max_attempts hosts', async () => {
    driver.failSpawn = new Set(['z-plain']);
    const id = await t.boot({ name: 'retry' });
    const done = await t.waitFor(id, ['ACTIVE', 'ERROR']);
    expect(done).toMatchObject({ status: 'ACTIVE', 'OS-EXT-SRV-ATTR:host': 'z-edge' });
    const action = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions[0];
    const events = (await t.nova('GET', `/servers/${id}/os-instance-actions/${action.request_id}`)).body.instanceAction
      .events;
    expect(events.map((e: any) => [e.event, e.result, e.host])).toEqual([
      ['conductor_schedule_and_build_instances', 'Success', null],
      ['compute__do_build_and_run_instance', 'Error', 'z-plain'],
      ['conductor_schedule_and_build_instances', 'Success', null],
      ['compute__do_build_and_run_instance', 'Success', 'z-edge'],
    ]);
    expect(driver.calls).toContain(`destroy ${id}`);
    await t.remove(id);
    driver.failSpawn = new Set(['z-plain', 'z-edge']);
    const doomed = await t.boot({ name: 'doomed' });
    const failed = await t.waitFor(doomed, ['ERROR', 'ACTIVE']);
    expect(failed.fault.message).toBe(
      'Exceeded maximum number of retries. Exhausted all hosts available for ' +
        `retrying build failures for instance ${doomed}.`,
    );
    expect((await t.placement('GET', `/allocations/${doomed}`)).body.allocations).toEqual({});
    driver.failSpawn = new Set();
    await t.remove(doomed);
  });

  it('many boots racing for little capacity: exactly the capacity ACTIVE, the rest NoValidHost, usages those of the ACTIVE', async () => {
    const rp = await t.hypervisor({ host: 'tight', vcpus: 3, memoryMb: 65536, diskGb: 100 });
    t.manager('tight', driver);
    // Only the tight host counts: the others are disabled for this race.
    await t.db.updateTable('services').set({ disabled: 1 }).where('host', '!=', 'tight').execute();
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => t.boot({ name: `race-${i}` })));
    const final = await Promise.all(ids.map((id) => t.waitFor(id, ['ACTIVE', 'ERROR'], 60000)));
    const active = final.filter((s) => s.status === 'ACTIVE');
    expect(active).toHaveLength(3);
    expect(
      final.filter((s) => s.status === 'ERROR').every((s) => s.fault.message.startsWith('No valid host was found.')),
    ).toBe(true);
    expect((await t.placement('GET', `/resource_providers/${rp}/usages`)).body.usages).toEqual({
      VCPU: 3,
      MEMORY_MB: 3072,
      DISK_GB: 3,
    });
    for (const s of final.filter((x) => x.status === 'ERROR')) {
      expect((await t.placement('GET', `/allocations/${s.id}`)).body.allocations).toEqual({});
    }
  }, 90000);
});

describe('scheduling: one Placement answer shared by the schedulings of a burst', () => {
  let t: ServersCloud;
  const driver = new TestDriver();
  const hosts = ['sh-a', 'sh-b', 'sh-c'];
  const rps: Record<string, string> = {};

  beforeAll(async () => {
    // A window long enough that every boot of a test shares the answer its first one got.
    t = await tinyCloud({ schedulerCandidatesReuseSeconds: 30 });
    for (const host of hosts) {
      rps[host] = await t.hypervisor({ host, vcpus: 4, memoryMb: 65536, diskGb: 100 });
      t.manager(host, driver);
    }
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const hostOf = async (id: string) => (await t.waitFor(id, ['ACTIVE', 'ERROR']))['OS-EXT-SRV-ATTR:host'] as string;
  const vcpus = async (host: string) =>
    ((await t.placement('GET', `/resource_providers/${rps[host]}/usages`)).body.usages.VCPU ?? 0) as number;
  const removeAll = async (ids: string[]) => {
    for (const id of ids) await t.remove(id);
  };

  it('spreads a burst over the hosts as the weighers see them after each claim', async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => t.boot({ name: `burst-${i}` })));
    const placed = await Promise.all(ids.map(hostOf));
    expect(placed.sort()).toEqual(['sh-a', 'sh-a', 'sh-b', 'sh-b', 'sh-c', 'sh-c']);
    for (const host of hosts) expect(await vcpus(host)).toBe(2);
    await removeAll(ids);
  });

  it('forgets the shared answer when a service is disabled through the API', async () => {
    // The answer the burst above was given still serves: sh-b enabled in it.
    const first = await t.boot({ name: 'before-disable' });
    await hostOf(first);
    const services = (await t.nova('GET', '/os-services?binary=nova-compute')).body.services as {
      id: string;
      host: string;
    }[];
    const off = services.find((s) => s.host === 'sh-b')!;
    const r = await t.nova('PUT', `/os-services/${off.id}`, { status: 'disabled', disabled_reason: 'test' });
    expect(r.status).toBe(200);
    const ids = await Promise.all(Array.from({ length: 4 }, (_, i) => t.boot({ name: `after-disable-${i}` })));
    expect((await Promise.all(ids.map(hostOf))).filter((h) => h === 'sh-b')).toEqual([]);
    await t.nova('PUT', `/os-services/${off.id}`, { status: 'enabled' });
    await removeAll([first, ...ids]);
  });

  it('goes to the next host when Placement refuses a claim the shared answer thought would fit', async () => {
    const first = await t.boot({ name: 'cached' }); // the answer is shared from here on
    const firstHost = await hostOf(first);
    // Another consumer takes every free vCPU of the other two hosts behind the scheduler's back.
    const others = hosts.filter((h) => h !== firstHost);
    const hog = crypto.randomUUID();
    const w = await t.placement('PUT', `/allocations/${hog}`, {
      allocations: Object.fromEntries(others.map((h) => [rps[h]!, { resources: { VCPU: 4 } }])),
      project_id: t.adminProject,
      user_id: crypto.randomUUID(),
      consumer_generation: null,
      consumer_type: 'INSTANCE',
    });
    expect(w.status).toBe(204);
    const ids = await Promise.all([1, 2].map((i) => t.boot({ name: `after-hog-${i}` })));
    expect(await Promise.all(ids.map(hostOf))).toEqual([firstHost, firstHost]);
    expect(await vcpus(firstHost)).toBe(3);
    expect((await t.placement('DELETE', `/allocations/${hog}`)).status).toBe(204);
    await removeAll([first, ...ids]);
  });

  it('asks Placement again before it gives up: capacity freed since the shared answer is found', async () => {
    // Fill the three hosts (12 vCPUs): the shared answer now says they are full.
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => t.boot({ name: `fill-${i}` })));
    expect(
      new Set((await Promise.all(ids.map((id) => t.waitFor(id, ['ACTIVE', 'ERROR'])))).map((s) => s.status)),
    ).toEqual(new Set(['ACTIVE']));
    await t.remove(ids.pop()!);
    const late = await t.boot({ name: 'late' });
    expect((await t.waitFor(late, ['ACTIVE', 'ERROR'])).status).toBe('ACTIVE');
    // And a boot beyond the capacity still ends in NoValidHost, its claim-less fault explained.
    const extra = await t.boot({ name: 'extra' });
    const s = await t.waitFor(extra, ['ACTIVE', 'ERROR']);
    expect(s.status).toBe('ERROR');
    expect(s.fault.message).toMatch(/^No valid host was found/);
    for (const host of hosts) expect(await vcpus(host)).toBe(4);
    await removeAll([...ids, late, extra]);
  }, 60000);
});

describe('scheduling: a run of a build that stalled past its lease', () => {
  let t: ServersCloud;
  let node: string;

  beforeAll(async () => {
    t = await tinyCloud();
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  /** Runs a build job's handler for a server still `scheduling`, `meanwhile` happening right
   * after its claim is written (as while the run stalled and another run took the job over). */
  async function staleRun(meanwhile: (uuid: string) => Promise<void>): Promise<string> {
    // No host to take it: the cloud's own conductor puts the server in ERROR (NoValidHost) ...
    const service = (enabled: boolean) =>
      t.db
        .updateTable('services')
        .set({ disabled: enabled ? 0 : 1 })
        .where('host', '=', 'hv-stale')
        .execute();
    await service(false);
    const id = await t.boot({ name: 'stalled' });
    await t.waitFor(id, ['ERROR']);
    node ??= await t.hypervisor({ host: 'hv-stale', vcpus: 8 });
    await service(true);
    // ... which is made to look as the build's job finds it: being scheduled.
    await t.db
      .updateTable('instances')
      .set({ vm_state: 'building', task_state: 'scheduling', host: null, node: null })
      .where('uuid', '=', id)
      .execute();
    const env = t.managerEnv('hv-stale', new TestDriver());
    const real = env.clients.placement;
    const allocations: typeof real.allocations = Object.create(real.allocations);
    allocations.put = async (...args: Parameters<typeof real.allocations.put>) => {
      await real.allocations.put(...args);
      await meanwhile(id);
    };
    const placement: typeof real = Object.create(real);
    Object.assign(placement, { allocations });
    const handlers = conductorHandlers({
      db: t.db,
      engine: t.database.engine,
      config: t.config,
      jobs: env.jobs,
      clients: { ...env.clients, placement } as ComputeClients,
      log: env.log,
    });
    const spec = await t.db
      .selectFrom('request_specs')
      .select('id')
      .where('instance_uuid', '=', id)
      .executeTakeFirstOrThrow();
    await handlers[BUILD_INSTANCES]!({
      id: 0,
      kind: BUILD_INSTANCES,
      target: null,
      payload: { request_spec_id: spec.id, instance_uuids: [id] },
      attempt: 1,
      maxAttempts: 3,
      dedupeKey: null,
      secret: null,
      signal: new AbortController().signal,
      successQuery: noJobRow,
    });
    return id;
  }

  const allocationsOf = async (id: string) => (await t.placement('GET', `/allocations/${id}`)).body.allocations;

  it("leaves alone the claim of the run that placed the server meanwhile (the consumer's claim is that run's)", async () => {
    const id = await staleRun(async (uuid) => {
      await t.db
        .updateTable('instances')
        .set({ host: 'hv-stale', node: 'hv-stale', task_state: null })
        .where('uuid', '=', uuid)
        .execute();
    });
    expect(Object.keys(await allocationsOf(id))).toEqual([node]);
  });

  it('releases its claim when the server was deleted meanwhile', async () => {
    const id = await staleRun(async (uuid) => {
      await t.db.updateTable('instances').set({ deleted: 1_000_000 }).where('uuid', '=', uuid).execute();
    });
    expect(await allocationsOf(id)).toEqual({});
  });
});

describe('scheduling: a disk from a sharing provider', () => {
  let t: ServersCloud;

  beforeAll(async () => {
    t = await tinyCloud({ schedulerCandidatesReuseSeconds: 30 });
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  it("claims the node's vCPUs and RAM and the shared storage's disk, which the node's tree does not have", async () => {
    const node = await t.hypervisor({
      host: 'hv-nodisk',
      inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 8192 } },
    });
    const share = crypto.randomUUID();
    expect((await t.placement('POST', '/resource_providers', { name: 'shared-storage', uuid: share })).status).toBe(
      200,
    );
    await t.placement('PUT', `/resource_providers/${share}/inventories`, {
      resource_provider_generation: 0,
      inventories: { DISK_GB: { total: 100 } },
    });
    await t.placement('PUT', `/resource_providers/${share}/traits`, {
      resource_provider_generation: 1,
      traits: ['MISC_SHARES_VIA_AGGREGATE'],
    });
    const agg = crypto.randomUUID();
    for (const rp of [node, share]) {
      const gen = (await t.placement('GET', `/resource_providers/${rp}`)).body.generation as number;
      const r = await t.placement('PUT', `/resource_providers/${rp}/aggregates`, {
        aggregates: [agg],
        resource_provider_generation: gen,
      });
      expect(r.status).toBe(200);
    }
    t.manager('hv-nodisk', new TestDriver());
    // Two boots: the second is scheduled from the answer the first one got.
    const ids = [await t.boot({ name: 'shared-disk-1' }), await t.boot({ name: 'shared-disk-2' })];
    for (const id of ids) {
      expect((await t.waitFor(id, ['ACTIVE', 'ERROR']))['OS-EXT-SRV-ATTR:host']).toBe('hv-nodisk');
      const allocations = (await t.placement('GET', `/allocations/${id}`)).body.allocations;
      expect(allocations[node].resources).toEqual({ VCPU: 1, MEMORY_MB: 1024 });
      expect(allocations[share].resources).toEqual({ DISK_GB: 1 });
    }
  });
});
