// The compute agent and its resource tracker against a real Placement (the in-process cloud):
// services rows and heartbeats, compute_nodes rows, one provider per node with Nova's inventories
// and traits, COMPUTE_STATUS_DISABLED following the service, ratios from the configuration or
// from Placement, generation conflicts retried, usage of the instances placed there, and nodes a
// driver no longer reports removed.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listServices } from '../../src/compute/objects/service.js';
import { startAgentCloud, type AgentCloud } from '../helpers/agents.js';

describe('compute agent: resource tracker', () => {
  let c: AgentCloud;
  beforeAll(async () => {
    c = await startAgentCloud();
  }, 60000);
  afterAll(async () => {
    await c?.close();
  });

  const nodes = (host: string) =>
    c.database.db
      .selectFrom('compute_nodes')
      .selectAll()
      .where('host', '=', host)
      .where('deleted', '=', 0)
      .orderBy('hypervisor_hostname')
      .execute();
  const traitsOf = async (uuid: string): Promise<string[]> =>
    (await c.placement('GET', `/resource_providers/${uuid}/traits`)).body.traits.sort();

  it("registers each host's service, its nodes, and a provider per node with Nova's inventories and traits", async () => {
    const agent = c.agent({ hv1: 1, hv2: 2 });
    await agent.start();
    const services = await listServices(c.database.db, { binary: 'nova-compute' });
    expect(services.map((s) => [s.host, s.topic, s.disabled, s.forced_down])).toEqual([
      ['hv1', 'compute', false, false],
      ['hv2', 'compute', false, false],
    ]);
    expect(services.every((s) => s.report_count >= 1 && s.last_seen_up !== null)).toBe(true);

    expect((await nodes('hv1')).map((n) => n.hypervisor_hostname)).toEqual(['hv1']);
    const hv2 = await nodes('hv2');
    expect(hv2.map((n) => n.hypervisor_hostname)).toEqual(['hv2-node1', 'hv2-node2']);
    expect(hv2[0]).toMatchObject({
      hypervisor_type: 'fake',
      vcpus: 1000,
      memory_mb: 800000,
      local_gb: 600000,
      vcpus_used: 0,
      memory_mb_used: 512,
      local_gb_used: 0,
      free_ram_mb: 800000 - 512,
      running_vms: 0,
      cpu_allocation_ratio: 4,
      ram_allocation_ratio: 1,
      disk_allocation_ratio: 1,
      service_id: services[1]!.id,
    });
    expect(JSON.parse(hv2[0]!.cpu_info)).toMatchObject({ arch: 'x86_64', vendor: 'Intel' });

    const rp = await c.placement('GET', `/resource_providers/${hv2[0]!.uuid}`);
    expect(rp.status).toBe(200);
    expect(rp.body.name).toBe('hv2-node1');
    const inv = (await c.placement('GET', `/resource_providers/${hv2[0]!.uuid}/inventories`)).body.inventories;
    expect(inv).toEqual({
      VCPU: { total: 1000, reserved: 0, min_unit: 1, max_unit: 1000, step_size: 1, allocation_ratio: 4 },
      MEMORY_MB: { total: 800000, reserved: 512, min_unit: 1, max_unit: 800000, step_size: 1, allocation_ratio: 1 },
      DISK_GB: { total: 600000, reserved: 0, min_unit: 1, max_unit: 600000, step_size: 1, allocation_ratio: 1 },
    });
    const traits = await traitsOf(hv2[0]!.uuid);
    expect(traits).toContain('COMPUTE_NODE');
    expect(traits).toContain('COMPUTE_IMAGE_TYPE_RAW');
    expect(traits).not.toContain('COMPUTE_STATUS_DISABLED');
    const all = (await c.placement('GET', '/resource_providers')).body.resource_providers.map(
      (p: { name: string }) => p.name,
    );
    expect(all.sort()).toEqual(['hv1', 'hv2-node1', 'hv2-node2']);
  });

  it("reports COMPUTE_STATUS_DISABLED while the service is disabled, keeping an operator's own traits", async () => {
    const agent = c.agent({ hv3: 1 });
    await agent.start();
    const [node] = await nodes('hv3');
    expect((await c.placement('PUT', '/traits/CUSTOM_RACK_A')).status).toBe(201);
    const gen = (await c.placement('GET', `/resource_providers/${node!.uuid}`)).body.generation;
    const set = await c.placement('PUT', `/resource_providers/${node!.uuid}/traits`, {
      resource_provider_generation: gen,
      traits: [...(await traitsOf(node!.uuid)), 'CUSTOM_RACK_A'],
    });
    expect(set.status).toBe(200);

    // The agent's cache is now behind Placement: its write conflicts, it reads again and retries.
    await c.database.db
      .updateTable('services')
      .set({ disabled: 1, disabled_reason: 'maintenance' })
      .where('host', '=', 'hv3')
      .execute();
    await agent.reportResources('hv3');
    expect(await traitsOf(node!.uuid)).toEqual(
      expect.arrayContaining(['COMPUTE_STATUS_DISABLED', 'CUSTOM_RACK_A', 'COMPUTE_NODE']),
    );

    await c.database.db
      .updateTable('services')
      .set({ disabled: 0, disabled_reason: null })
      .where('host', '=', 'hv3')
      .execute();
    await agent.reportResources('hv3');
    const after = await traitsOf(node!.uuid);
    expect(after).not.toContain('COMPUTE_STATUS_DISABLED');
    expect(after).toContain('CUSTOM_RACK_A');
  });

  it('takes allocation ratios from the configuration, else keeps the one found in Placement', async () => {
    const configured = c.agent({ hv4: 1 }, { cpuAllocationRatio: 16, ramAllocationRatio: 1.5, reservedHostCpus: 2 });
    await configured.start();
    const [n4] = await nodes('hv4');
    const inv4 = (await c.placement('GET', `/resource_providers/${n4!.uuid}/inventories`)).body;
    expect(inv4.inventories.VCPU).toMatchObject({ allocation_ratio: 16, reserved: 2 });
    expect(inv4.inventories.MEMORY_MB.allocation_ratio).toBe(1.5);
    expect(n4!.vcpus_used).toBe(2);

    // Unset: an operator's ratio set in Placement stays at the next reports.
    const agent = c.agent({ hv5: 1 });
    await agent.start();
    const [n5] = await nodes('hv5');
    const inv = (await c.placement('GET', `/resource_providers/${n5!.uuid}/inventories`)).body;
    const changed = await c.placement('PUT', `/resource_providers/${n5!.uuid}/inventories/VCPU`, {
      resource_provider_generation: inv.resource_provider_generation,
      ...inv.inventories.VCPU,
      allocation_ratio: 8,
    });
    expect(changed.status).toBe(200);
    agent.tracker.forget();
    await agent.reportResources();
    const now = (await c.placement('GET', `/resource_providers/${n5!.uuid}/inventories`)).body;
    expect(now.inventories.VCPU.allocation_ratio).toBe(8);
    expect(now.resource_provider_generation).toBe(changed.body.resource_provider_generation);
  });

  it('counts what the instances on a node use', async () => {
    const agent = c.agent({ hv6: 1 });
    await agent.start();
    const t = new Date().toISOString();
    const instance = (vm: string) => ({
      uuid: randomUUID(),
      user_id: 'u',
      project_id: 'p',
      vm_state: vm,
      host: 'hv6',
      node: 'hv6',
      vcpus: 2,
      memory_mb: 2048,
      root_gb: 10,
      ephemeral_gb: 5,
      locked: 0,
      cleaned: 0,
      hidden: 0,
      created_at: t,
      updated_at: null,
      deleted_at: null,
    });
    await c.database.db
      .insertInto('instances')
      .values([instance('active'), instance('stopped'), instance('shelved_offloaded')])
      .execute();
    await agent.reportResources('hv6');
    const [n] = await nodes('hv6');
    expect(n).toMatchObject({
      vcpus_used: 4,
      memory_mb_used: 512 + 4096,
      local_gb_used: 30,
      running_vms: 2,
      free_disk_gb: 600000 - 30,
    });
  });

  it('removes the nodes a driver no longer reports, and their providers', async () => {
    const two = c.agent({ hv7: 2 });
    await two.start();
    await two.stop();
    const before = await nodes('hv7');
    expect(before).toHaveLength(2);
    const one = c.agent({ hv7: 1 });
    await one.start();
    expect((await nodes('hv7')).map((n) => n.hypervisor_hostname)).toEqual(['hv7']);
    for (const n of before) expect((await c.placement('GET', `/resource_providers/${n.uuid}`)).status).toBe(404);
  });

  it('beats: each heartbeat counts report_count on and moves last_seen_up', async () => {
    const agent = c.agent({ hv8: 1 }, { reportInterval: 1 });
    await agent.start();
    const first = (await listServices(c.database.db, { host: 'hv8' }))[0]!;
    await new Promise((r) => setTimeout(r, 2500));
    const later = (await listServices(c.database.db, { host: 'hv8' }))[0]!;
    expect(later.report_count).toBeGreaterThan(first.report_count);
    expect(Date.parse(later.last_seen_up!)).toBeGreaterThan(Date.parse(first.last_seen_up!));
  });
});
