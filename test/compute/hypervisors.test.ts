// /os-hypervisors against agents of the in-process cloud: list and detail per microversion (ids,
// cpu_info, the fields 2.88 removed, uptime), paging and its links, search by name and servers
// (routes until 2.52, query parameters from 2.53), show, statistics, uptime (asked of the host's
// agent), policy and faults.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentCloud, type AgentCloud } from '../helpers/agents.js';

describe('os-hypervisors', () => {
  let c: AgentCloud;
  let demo: string;
  let server: string;
  beforeAll(async () => {
    c = await startAgentCloud();
    await c.agent({ hva: 1, hvb: 2 }).start();
    demo = await c.login('demo', c.cloud.credentials.demoPassword, 'demo');
    server = randomUUID();
    const t = new Date().toISOString();
    await c.database.db
      .insertInto('instances')
      .values({
        uuid: server,
        user_id: 'u',
        project_id: 'p',
        vm_state: 'active',
        host: 'hva',
        node: 'hva',
        vcpus: 1,
        memory_mb: 1024,
        root_gb: 1,
        ephemeral_gb: 0,
        locked: 0,
        cleaned: 0,
        hidden: 0,
        created_at: t,
        updated_at: null,
        deleted_at: null,
      })
      .execute();
    await c.agent({ hva: 1 }).reportResources();
  }, 60000);
  afterAll(async () => {
    await c?.close();
  });

  const api = (path: string, version: string, token = c.adminToken) =>
    c.call('GET', `/compute/v2.1${path}`, token, undefined, { 'openstack-api-version': `compute ${version}` });

  it('lists the hypervisors, by id before 2.53 and by uuid from it', async () => {
    const old = await api('/os-hypervisors', '2.1');
    expect(old.status).toBe(200);
    expect(old.body.hypervisors.map((h: { hypervisor_hostname: string }) => h.hypervisor_hostname)).toEqual([
      'hva',
      'hvb-node1',
      'hvb-node2',
    ]);
    expect(old.body.hypervisors[0]).toEqual({
      id: expect.any(Number),
      hypervisor_hostname: 'hva',
      state: 'up',
      status: 'enabled',
    });
    const now = await api('/os-hypervisors', '2.53');
    expect(now.body.hypervisors[0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(now.body.hypervisors_links).toBeUndefined();
  });

  it("details each microversion's fields", async () => {
    const v21 = (await api('/os-hypervisors/detail', '2.1')).body.hypervisors[0];
    expect(v21).toMatchObject({
      hypervisor_hostname: 'hva',
      hypervisor_type: 'fake',
      hypervisor_version: 1000,
      host_ip: null,
      vcpus: 1000,
      memory_mb: 800000,
      local_gb: 600000,
      vcpus_used: 1,
      memory_mb_used: 512 + 1024,
      local_gb_used: 1,
      running_vms: 1,
      free_ram_mb: 800000 - 1536,
      current_workload: 0,
      service: { id: expect.any(Number), host: 'hva', disabled_reason: null },
    });
    expect(typeof v21.cpu_info).toBe('string');
    const v228 = (await api('/os-hypervisors/detail', '2.28')).body.hypervisors[0];
    expect(v228.cpu_info).toMatchObject({ arch: 'x86_64', model: 'Nehalem', topology: { sockets: 4 } });
    const v288 = (await api('/os-hypervisors/detail', '2.88')).body.hypervisors[0];
    expect(Object.keys(v288).sort()).toEqual([
      'host_ip',
      'hypervisor_hostname',
      'hypervisor_type',
      'hypervisor_version',
      'id',
      'service',
      'state',
      'status',
      'uptime',
    ]);
    expect(v288.uptime).toBeNull();
    expect(v288.service.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('pages from 2.33 with a next link, markers being ids (uuids from 2.53)', async () => {
    const first = await api('/os-hypervisors?limit=2', '2.33');
    expect(first.body.hypervisors).toHaveLength(2);
    const next = new URL(first.body.hypervisors_links[0].href);
    expect(next.pathname).toBe('/compute/v2.1/os-hypervisors');
    expect(next.searchParams.get('marker')).toBe(String(first.body.hypervisors[1].id));
    const rest = await api(`/os-hypervisors?limit=2&marker=${first.body.hypervisors[1].id}`, '2.33');
    expect(rest.body.hypervisors.map((h: { hypervisor_hostname: string }) => h.hypervisor_hostname)).toEqual([
      'hvb-node2',
    ]);
    expect(rest.body.hypervisors_links).toBeUndefined();

    const byUuid = await api('/os-hypervisors/detail?limit=1', '2.53');
    expect(byUuid.body.hypervisors_links[0].href).toContain(
      `/os-hypervisors/detail?limit=1&marker=${byUuid.body.hypervisors[0].id}`,
    );
    expect((await api('/os-hypervisors?marker=nope', '2.53')).body).toEqual({
      badRequest: { code: 400, message: 'marker [nope] not found' },
    });
    expect((await api('/os-hypervisors?limit=1&limit=2', '2.53')).status).toBe(400);
    expect((await api('/os-hypervisors?bogus=1', '2.53')).status).toBe(400);
    expect((await api('/os-hypervisors?bogus=1', '2.52')).status).toBe(200);
  });

  it('searches by name and shows servers: routes until 2.52, query parameters from 2.53', async () => {
    const found = await api('/os-hypervisors/hvb/search', '2.52');
    expect(found.body.hypervisors.map((h: { hypervisor_hostname: string }) => h.hypervisor_hostname)).toEqual([
      'hvb-node1',
      'hvb-node2',
    ]);
    expect((await api('/os-hypervisors/zzz/search', '2.52')).body).toEqual({
      itemNotFound: { code: 404, message: "No hypervisor matching 'zzz' could be found." },
    });
    const servers = await api('/os-hypervisors/hv/servers', '2.52');
    const hva = servers.body.hypervisors.find((h: { hypervisor_hostname: string }) => h.hypervisor_hostname === 'hva');
    expect(hva.servers).toEqual([{ name: expect.stringMatching(/^instance-[0-9a-f]{8}$/), uuid: server }]);
    expect(
      servers.body.hypervisors.find((h: { hypervisor_hostname: string }) => h.hypervisor_hostname === 'hvb-node1')
        .servers,
    ).toBeUndefined();
    expect((await api('/os-hypervisors/hvb/search', '2.53')).status).toBe(404);

    const q = await api('/os-hypervisors?hypervisor_hostname_pattern=hvb&with_servers=true', '2.75');
    expect(q.body.hypervisors).toEqual([
      expect.objectContaining({ hypervisor_hostname: 'hvb-node1', servers: [] }),
      expect.objectContaining({ hypervisor_hostname: 'hvb-node2', servers: [] }),
    ]);
    expect((await api('/os-hypervisors?hypervisor_hostname_pattern=hv&limit=1', '2.53')).body.badRequest.message).toBe(
      'Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.',
    );
  });

  it('shows one hypervisor, by id or uuid, with its servers when asked', async () => {
    const list = (await api('/os-hypervisors', '2.53')).body.hypervisors;
    const hva = list.find((h: { hypervisor_hostname: string }) => h.hypervisor_hostname === 'hva');
    const shown = await api(`/os-hypervisors/${hva.id}?with_servers=1`, '2.53');
    expect(shown.status).toBe(200);
    expect(shown.body.hypervisor).toMatchObject({
      id: hva.id,
      hypervisor_hostname: 'hva',
      servers: [{ uuid: server }],
    });
    expect((await api(`/os-hypervisors/${hva.id}`, '2.52')).body).toEqual({
      itemNotFound: { code: 404, message: `Hypervisor with ID '${hva.id}' could not be found.` },
    });
    expect((await api('/os-hypervisors/42', '2.53')).body).toEqual({
      badRequest: { code: 400, message: 'Invalid uuid 42' },
    });
    const missing = randomUUID();
    expect((await api(`/os-hypervisors/${missing}`, '2.53')).body).toEqual({
      itemNotFound: { code: 404, message: `Hypervisor with ID '${missing}' could not be found.` },
    });
    const old = (await api('/os-hypervisors', '2.1')).body.hypervisors[0];
    expect((await api(`/os-hypervisors/${old.id}`, '2.1')).body.hypervisor.hypervisor_hostname).toBe('hva');
  });

  it("sums the statistics of enabled services' nodes until 2.87", async () => {
    const r = await api('/os-hypervisors/statistics', '2.87');
    expect(r.body.hypervisor_statistics).toMatchObject({
      count: 3,
      vcpus: 3000,
      memory_mb: 2400000,
      vcpus_used: 1,
      running_vms: 1,
      memory_mb_used: 3 * 512 + 1024,
    });
    expect((await api('/os-hypervisors/statistics', '2.88')).status).toBe(404);
  });

  it("answers uptime from its host's agent: on its route until 2.87, in a show from 2.88", async () => {
    const old = (await api('/os-hypervisors', '2.1')).body.hypervisors;
    const node2 = old.find((h: { hypervisor_hostname: string }) => h.hypervisor_hostname === 'hvb-node2');
    const r = await api(`/os-hypervisors/${node2.id}/uptime`, '2.1');
    expect(r.body).toEqual({
      hypervisor: {
        id: node2.id,
        hypervisor_hostname: 'hvb-node2',
        state: 'up',
        status: 'enabled',
        uptime: expect.stringMatching(/^ \d\d:\d\d:\d\d up \d+ min, {2}0 users, {2}load average: /),
      },
    });
    const uuid = (await api('/os-hypervisors?hypervisor_hostname_pattern=hvb-node2', '2.53')).body.hypervisors[0].id;
    expect((await api(`/os-hypervisors/${uuid}`, '2.88')).body.hypervisor.uptime).toMatch(/ up \d+ min, /);
  });

  it('is for administrators', async () => {
    const r = await api('/os-hypervisors/detail', '2.53', demo);
    expect(r.body).toEqual({
      forbidden: {
        code: 403,
        message: "Policy doesn't allow os_compute_api:os-hypervisors:list-detail to be performed.",
      },
    });
  });
});
