// The typed clients against the real services, in-process and over a socket: Placement as Nova's
// resource tracker and scheduler use it, and Glance as Nova boots from and snapshots to it.
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asService,
  ClientError,
  IdentityClient,
  ImageClient,
  onBehalfOf,
  PlacementClient,
  type Call,
} from '../../../src/common/clients/index.js';
import { startHarness, type Harness } from '../../helpers/clients.js';

async function refusal(p: Promise<unknown>): Promise<ClientError> {
  const err = await p.then(
    () => {
      throw new Error('the call succeeded');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof ClientError)) throw err;
  return err;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe.each(['in-process', 'http'] as const)('typed clients (%s)', (name) => {
  let h: Harness;
  let placement: PlacementClient;
  let image: ImageClient;
  const call: Call = asService();

  beforeAll(async () => {
    h = await startHarness(name);
    const session = h.session();
    placement = new PlacementClient(session);
    image = new ImageClient(session);
  }, 60000);
  afterAll(async () => {
    await h?.close();
  });

  it('Placement: providers, inventories, traits and aggregates, written against generations', async () => {
    const rps = placement.resourceProviders;
    await placement.resourceClasses.ensure(call, 'CUSTOM_GOLD');
    await placement.resourceClasses.ensure(call, 'CUSTOM_GOLD');
    expect(await placement.resourceClasses.list(call)).toEqual(expect.arrayContaining(['VCPU', 'CUSTOM_GOLD']));
    await placement.traits.ensure(call, 'CUSTOM_FAST');
    expect(await placement.traits.list(call, { names: ['CUSTOM_FAST', 'HW_CPU_X86_AVX'] })).toEqual(
      ['CUSTOM_FAST', 'HW_CPU_X86_AVX'].sort(),
    );

    const uuid = randomUUID();
    const node = await rps.create(call, { uuid, name: `compute-${uuid}` });
    expect(node).toMatchObject({ uuid, generation: 0, parent_provider_uuid: null, root_provider_uuid: uuid });
    const child = await rps.create(call, { name: `numa0-${uuid}`, parent_provider_uuid: uuid });
    expect(child.root_provider_uuid).toBe(uuid);
    expect(await rps.show(call, uuid)).toMatchObject({ uuid, name: `compute-${uuid}` });
    expect((await rps.list(call, { name: `compute-${uuid}` })).map((r) => r.uuid)).toEqual([uuid]);
    expect((await rps.list(call, { in_tree: child.uuid })).map((r) => r.uuid).sort()).toEqual(
      [uuid, child.uuid].sort(),
    );
    expect((await rps.update(call, uuid, { name: `renamed-${uuid}` })).name).toBe(`renamed-${uuid}`);

    const inv = await placement.inventories.put(call, uuid, 0, {
      VCPU: { total: 8, allocation_ratio: 4 },
      MEMORY_MB: { total: 16384, reserved: 512 },
      DISK_GB: { total: 100 },
    });
    expect(inv.resource_provider_generation).toBe(1);
    expect(inv.inventories.VCPU).toMatchObject({ total: 8, allocation_ratio: 4, reserved: 0, min_unit: 1 });
    expect(await placement.inventories.get(call, uuid)).toEqual(inv);
    const stale = await refusal(placement.inventories.put(call, uuid, 0, { VCPU: { total: 1 } }));
    expect(stale).toMatchObject({ status: 409, code: 'placement.concurrent_update' });

    const traits = await placement.traits.put(call, uuid, 1, ['CUSTOM_FAST', 'HW_CPU_X86_AVX']);
    expect(traits).toEqual({ resource_provider_generation: 2, traits: ['CUSTOM_FAST', 'HW_CPU_X86_AVX'] });
    expect((await placement.traits.get(call, uuid)).traits.sort()).toEqual(['CUSTOM_FAST', 'HW_CPU_X86_AVX']);
    const agg = randomUUID();
    expect(await placement.aggregates.put(call, uuid, 2, [agg])).toEqual({
      resource_provider_generation: 3,
      aggregates: [agg],
    });
    expect(await placement.aggregates.get(call, uuid)).toEqual({ resource_provider_generation: 3, aggregates: [agg] });
    expect(
      (await rps.list(call, { resources: { VCPU: 2 }, memberOf: [[agg]], required: ['CUSTOM_FAST'] })).map(
        (r) => r.uuid,
      ),
    ).toEqual([uuid]);

    await rps.delete(call, child.uuid);
    await placement.inventories.delete(call, uuid);
    await rps.delete(call, uuid);
    expect((await refusal(rps.show(call, uuid))).status).toBe(404);
  });

  it('Placement: candidates, allocations with consumer generations, moves and usages', async () => {
    const agg = randomUUID();
    const hosts = [];
    for (const i of [1, 2]) {
      const rp = await placement.resourceProviders.create(call, { name: `host${i}-${agg}` });
      await placement.inventories.put(call, rp.uuid, rp.generation, { VCPU: { total: 4 }, MEMORY_MB: { total: 4096 } });
      await placement.aggregates.put(call, rp.uuid, rp.generation + 1, [agg]);
      hosts.push(rp.uuid);
    }
    const query = { group: { resources: { VCPU: 2, MEMORY_MB: 1024 }, memberOf: [[agg]] }, limit: 10 };
    const found = await placement.allocationCandidates.get(call, query);
    expect(found.allocation_requests.map((r) => Object.keys(r.allocations)[0]).sort()).toEqual([...hosts].sort());
    expect(found.provider_summaries[hosts[0]!]!.resources.VCPU).toEqual({ capacity: 4, used: 0 });
    expect(
      (await placement.allocationCandidates.get(call, { group: { ...query.group, required: ['HW_CPU_X86_AVX'] } }))
        .allocation_requests,
    ).toEqual([]);

    const instance = randomUUID();
    const project = randomUUID();
    const user = randomUUID();
    const claim = (rp: string, generation: number | null) => ({
      allocations: { [rp]: { resources: { VCPU: 2, MEMORY_MB: 1024 } } },
      project_id: project,
      user_id: user,
      consumer_generation: generation,
      consumer_type: 'INSTANCE',
    });
    await placement.allocations.put(call, instance, claim(hosts[0]!, null));
    const held = await placement.allocations.get(call, instance);
    expect(held).toMatchObject({
      consumer_generation: 1,
      project_id: project,
      user_id: user,
      consumer_type: 'INSTANCE',
    });
    expect(held.allocations[hosts[0]!]!.resources).toEqual({ VCPU: 2, MEMORY_MB: 1024 });
    // A second writer that read the consumer before the first wrote loses.
    expect(await refusal(placement.allocations.put(call, instance, claim(hosts[0]!, null)))).toMatchObject({
      status: 409,
      code: 'placement.concurrent_update',
    });

    // A move: the migration holds the source, the instance the destination, in one request.
    const migration = randomUUID();
    await placement.allocations.postMany(call, {
      [migration]: { ...claim(hosts[0]!, null), consumer_type: 'MIGRATION' },
      [instance]: claim(hosts[1]!, 1),
    });
    expect(Object.keys((await placement.allocations.get(call, instance)).allocations)).toEqual([hosts[1]]);
    expect((await placement.allocations.ofProvider(call, hosts[0]!)).allocations).toEqual({
      [migration]: { resources: { VCPU: 2, MEMORY_MB: 1024 }, consumer_generation: 1 },
    });
    expect((await placement.usages.ofProvider(call, hosts[1]!)).usages).toEqual({ VCPU: 2, MEMORY_MB: 1024 });
    expect(await placement.usages.ofProject(call, { project_id: project })).toEqual({
      INSTANCE: { consumer_count: 1, VCPU: 2, MEMORY_MB: 1024 },
      MIGRATION: { consumer_count: 1, VCPU: 2, MEMORY_MB: 1024 },
    });

    await placement.allocations.delete(call, migration);
    await placement.allocations.delete(call, instance);
    expect(await placement.allocations.get(call, instance)).toMatchObject({ allocations: {} });
    expect((await placement.usages.ofProvider(call, hosts[0]!)).usages).toEqual({ VCPU: 0, MEMORY_MB: 0 });
  });

  it("Image: a snapshot made on the user's behalf, uploaded as a stream, shown, listed and downloaded", async () => {
    const demoSession = h.session({
      credentials: { username: 'demo', password: h.passwords.demo, projectName: 'demo' },
    });
    const demoToken = (await demoSession.token(asService())).token;
    const forDemo = onBehalfOf(
      { userId: 'demo', projectId: 'demo', systemScope: null, roles: ['member'], authToken: demoToken },
      { requestId: `req-${randomUUID()}` },
    );
    const name = `snap-${randomUUID()}`;
    const made = await image.create(forDemo, {
      name,
      disk_format: 'raw',
      container_format: 'bare',
      instance_uuid: randomUUID(),
      image_type: 'snapshot',
    });
    expect(made).toMatchObject({ name, status: 'queued', image_type: 'snapshot' });
    // The demo project owns the snapshot: the user's token made it, not the service's.
    const [demoProject] = await new IdentityClient(h.session()).listProjects(call, { name: 'demo' });
    expect((await image.show(forDemo, made.id)).owner).toBe(demoProject!.id);
    expect(await image.download(forDemo, made.id)).toBeNull();

    const chunks = Array.from({ length: 16 }, (_, i) => Buffer.alloc(64 * 1024, i));
    const data = Buffer.concat(chunks);
    await image.upload(forDemo, made.id, Readable.from(chunks));
    const active = await image.show(forDemo, made.id);
    expect(active).toMatchObject({
      status: 'active',
      size: data.length,
      checksum: createHash('md5').update(data).digest('hex'),
    });

    const got = await image.download(forDemo, made.id);
    expect(got).toMatchObject({ size: data.length, checksum: active.checksum });
    expect((await readAll(got!.stream)).equals(data)).toBe(true);

    expect((await image.list(call, { name })).map((i) => i.id)).toEqual([made.id]);

    await image.delete(forDemo, made.id);
    expect((await refusal(image.show(call, made.id))).status).toBe(404);
  });

  it("Image: lists follow Glance's pages to the end", async () => {
    const tag = `page-${randomUUID()}`;
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await image.create(call, { name: `${tag}-${i}`, tags: [tag] })).id);
    const listed = await image.list(call, { tag, limit: '2' });
    expect(listed.map((i) => i.id).sort()).toEqual(ids.sort());
    for (const id of ids) await image.delete(call, id);
  });
});
