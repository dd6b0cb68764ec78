// /os-services against agents of the in-process cloud: the list with its filters and per-version
// fields, enable/disable/force-down by host and binary (2.1-2.52) and by uuid (2.53), the
// COMPUTE_STATUS_DISABLED trait following at once through the agent's job, state by heartbeat,
// delete with the nodes and their providers, Nova's policy and faults.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/jobs.js';
import { startAgentCloud, type AgentCloud } from '../helpers/agents.js';

describe('os-services', () => {
  let c: AgentCloud;
  let demo: string;
  beforeAll(async () => {
    c = await startAgentCloud({ serviceDownTime: 3, reportInterval: 1 });
    await c.agent({ sv1: 1, sv2: 1 }).start();
    demo = await c.login('demo', c.cloud.credentials.demoPassword, 'demo');
  }, 60000);
  afterAll(async () => {
    await c?.close();
  });

  const api = (method: string, path: string, version: string, body?: unknown, token = c.adminToken) =>
    c.call(method, `/compute/v2.1${path}`, token, body, { 'openstack-api-version': `compute ${version}` });
  const uuidOf = async (host: string) =>
    (await api('GET', `/os-services?host=${host}`, '2.53')).body.services[0].id as string;
  const traitsOf = async (host: string) => {
    const node = await c.database.db
      .selectFrom('compute_nodes')
      .select('uuid')
      .where('host', '=', host)
      .executeTakeFirstOrThrow();
    return (await c.placement('GET', `/resource_providers/${node.uuid}/traits`)).body.traits as string[];
  };

  it("lists the services with Nova's fields per microversion, filtered by host and binary", async () => {
    const r = await api('GET', '/os-services', '2.1');
    expect(r.status).toBe(200);
    const sv1 = r.body.services.find((s: { host: string }) => s.host === 'sv1');
    expect(sv1).toEqual({
      binary: 'nova-compute',
      host: 'sv1',
      id: expect.any(Number),
      zone: 'nova',
      status: 'enabled',
      state: 'up',
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
      disabled_reason: null,
    });
    const v211 = (await api('GET', '/os-services?host=sv1', '2.11')).body.services;
    expect(v211).toHaveLength(1);
    expect(v211[0].forced_down).toBe(false);
    const v253 = (await api('GET', '/os-services?binary=nova-compute&host=sv2', '2.53')).body.services;
    expect(v253.map((s: { host: string }) => s.host)).toEqual(['sv2']);
    expect(v253[0].id).toMatch(/^[0-9a-f-]{36}$/);
    // The conductor's process is a nova-conductor and a nova-scheduler, each with its heartbeat.
    let others: { binary: string; host: string; state: string }[] = [];
    await until('conductor and scheduler services', async () => {
      const all = (await api('GET', '/os-services', '2.53')).body.services;
      others = all.filter((s: { binary: string }) => s.binary !== 'nova-compute');
      return others.length === 2 && others.every((s) => s.state === 'up');
    });
    expect(others.map((s) => [s.binary, s.host])).toEqual([
      ['nova-conductor', hostname()],
      ['nova-scheduler', hostname()],
    ]);
    expect((await api('GET', '/os-services?binary=nova-scheduler', '2.53')).body.services).toHaveLength(1);
    // Unknown query parameters: ignored before 2.75, refused from it.
    expect((await api('GET', '/os-services?foo=1', '2.74')).status).toBe(200);
    const strict = await api('GET', '/os-services?foo=1', '2.75');
    expect(strict.status).toBe(400);
    expect(strict.body.badRequest.message).toContain('Additional properties are not allowed');
  });

  it("is for administrators (Nova's policy and fault)", async () => {
    const r = await api('GET', '/os-services', '2.53', undefined, demo);
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-services:list to be performed." },
    });
  });

  it("disables and enables by uuid (2.53), the provider's COMPUTE_STATUS_DISABLED following at once", async () => {
    const id = await uuidOf('sv1');
    const r = await api('PUT', `/os-services/${id}`, '2.53', { status: 'disabled', disabled_reason: 'maintenance' });
    expect(r.status).toBe(200);
    expect(r.body.service).toMatchObject({
      id,
      host: 'sv1',
      status: 'disabled',
      disabled_reason: 'maintenance',
      forced_down: false,
      state: 'up',
    });
    await until(
      'COMPUTE_STATUS_DISABLED',
      async () => (await traitsOf('sv1')).includes('COMPUTE_STATUS_DISABLED'),
      10000,
    );
    expect(await traitsOf('sv2')).not.toContain('COMPUTE_STATUS_DISABLED');

    const bad = await api('PUT', `/os-services/${id}`, '2.53', { status: 'enabled', disabled_reason: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.badRequest.message).toBe("Specifying 'disabled_reason' with status 'enabled' is invalid.");
    const none = await api('PUT', `/os-services/${id}`, '2.53', { disabled_reason: 'x' });
    expect(none.body.badRequest.message).toBe(
      "No updates were requested. Fields 'status' or 'forced_down' should be specified.",
    );

    const on = await api('PUT', `/os-services/${id}`, '2.53', { status: 'enabled' });
    expect(on.body.service).toMatchObject({ status: 'enabled', disabled_reason: null });
    await until(
      'COMPUTE_STATUS_DISABLED gone',
      async () => !(await traitsOf('sv1')).includes('COMPUTE_STATUS_DISABLED'),
      10000,
    );
  });

  it('refuses what is not a uuid, a service it does not know, and bodies outside the schema', async () => {
    expect((await api('PUT', '/os-services/disable', '2.53', { status: 'disabled' })).body).toEqual({
      badRequest: { code: 400, message: 'Invalid uuid disable' },
    });
    const missing = randomUUID();
    expect((await api('PUT', `/os-services/${missing}`, '2.53', { status: 'disabled' })).body).toEqual({
      itemNotFound: { code: 404, message: `Service ${missing} could not be found.` },
    });
    const wrong = await api('PUT', `/os-services/${missing}`, '2.53', { status: 'off' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.badRequest.message).toContain('Invalid input for field/attribute status');
  });

  it('enables, disables and forces down by host and binary before 2.53', async () => {
    const off = await api('PUT', '/os-services/disable-log-reason', '2.11', {
      host: 'sv2',
      binary: 'nova-compute',
      disabled_reason: 'broken fan',
    });
    expect(off.status).toBe(200);
    expect(off.body).toEqual({
      service: { host: 'sv2', binary: 'nova-compute', status: 'disabled', disabled_reason: 'broken fan' },
    });
    await until(
      'COMPUTE_STATUS_DISABLED',
      async () => (await traitsOf('sv2')).includes('COMPUTE_STATUS_DISABLED'),
      10000,
    );
    expect((await api('PUT', '/os-services/enable', '2.1', { host: 'sv2', binary: 'nova-compute' })).body).toEqual({
      service: { host: 'sv2', binary: 'nova-compute', status: 'enabled' },
    });

    expect(
      (await api('PUT', '/os-services/disable-log-reason', '2.1', { host: 'sv2', binary: 'nova-compute' })).body,
    ).toEqual({ badRequest: { code: 400, message: 'Missing disabled reason field' } });
    expect(
      (await api('PUT', '/os-services/disable', '2.1', { host: 'sv2', binary: 'nova-scheduler' })).body.badRequest
        .message,
    ).toBe('Updating a nova-scheduler service is not supported. Only nova-compute services can be updated.');
    expect((await api('PUT', '/os-services/disable', '2.1', { host: 'nowhere', binary: 'nova-compute' })).body).toEqual(
      { itemNotFound: { code: 404, message: "Host 'nowhere' is not mapped to any cell" } },
    );
    expect((await api('PUT', '/os-services/reboot', '2.1', { host: 'sv2', binary: 'nova-compute' })).body).toEqual({
      itemNotFound: { code: 404, message: 'Unknown action' },
    });
    // force-down (and its field) exists from 2.11.
    expect((await api('PUT', '/os-services/force-down', '2.10', { host: 'sv2', binary: 'nova-compute' })).body).toEqual(
      { itemNotFound: { code: 404, message: 'Unknown action' } },
    );
    expect(
      (await api('PUT', '/os-services/force-down', '2.10', { host: 'sv2', binary: 'nova-compute', forced_down: true }))
        .status,
    ).toBe(400);

    const down = await api('PUT', '/os-services/force-down', '2.11', {
      host: 'sv2',
      binary: 'nova-compute',
      forced_down: true,
    });
    expect(down.body).toEqual({ service: { host: 'sv2', binary: 'nova-compute', forced_down: true } });
    const listed = (await api('GET', '/os-services?host=sv2', '2.11')).body.services[0];
    expect(listed).toMatchObject({ forced_down: true, state: 'down', status: 'enabled' });
    await api('PUT', '/os-services/force-down', '2.11', { host: 'sv2', binary: 'nova-compute', forced_down: false });
    expect((await api('GET', '/os-services?host=sv2', '2.11')).body.services[0].state).toBe('up');
  });

  it('reports a service down once its heartbeats stop for service_down_time', async () => {
    const agent = c.agent({ sv3: 1 });
    await agent.start();
    expect((await api('GET', '/os-services?host=sv3', '2.53')).body.services[0].state).toBe('up');
    await agent.stop();
    await until(
      'sv3 down',
      async () => (await api('GET', '/os-services?host=sv3', '2.53')).body.services[0].state === 'down',
      10000,
    );
    // A down agent is not asked to sync its trait (it does at its next start).
    const jobs = () =>
      c.database.db
        .selectFrom('compute_jobs' as any)
        .select('id')
        .where('target', '=', 'sv3')
        .execute();
    expect(await jobs()).toEqual([]);
    const r = await api('PUT', `/os-services/${await uuidOf('sv3')}`, '2.53', { status: 'disabled' });
    expect(r.body.service).toMatchObject({ status: 'disabled', state: 'down', disabled_reason: null });
    expect(await jobs()).toEqual([]);
  });

  it('deletes a compute service with its nodes and their providers, unless it hosts instances', async () => {
    const agent = c.agent({ sv4: 1, sv5: 1 });
    await agent.start();
    await agent.stop();
    const node = await c.database.db
      .selectFrom('compute_nodes')
      .selectAll()
      .where('host', '=', 'sv4')
      .executeTakeFirstOrThrow();
    const t = new Date().toISOString();
    await c.database.db
      .insertInto('instances')
      .values({
        uuid: randomUUID(),
        user_id: 'u',
        project_id: 'p',
        vm_state: 'active',
        host: 'sv5',
        node: 'sv5',
        locked: 0,
        cleaned: 0,
        hidden: 0,
        created_at: t,
        updated_at: null,
        deleted_at: null,
      })
      .execute();
    const busy = await api('DELETE', `/os-services/${await uuidOf('sv5')}`, '2.53');
    expect(busy.status).toBe(409);
    expect(busy.body.conflictingRequest.message).toBe(
      'Unable to delete compute service that is hosting instances. Migrate or delete the instances first.',
    );

    expect((await api('DELETE', '/os-services/abc', '2.53')).body).toEqual({
      badRequest: { code: 400, message: 'Invalid uuid abc' },
    });
    expect((await api('DELETE', '/os-services/abc', '2.52')).body.badRequest.message).toBe(
      'Invalid input received: id must be an integer',
    );
    expect((await api('DELETE', '/os-services/999999', '2.52')).body).toEqual({
      itemNotFound: { code: 404, message: 'Service 999999 not found.' },
    });

    const id = await uuidOf('sv4');
    const r = await api('DELETE', `/os-services/${id}`, '2.53');
    expect(r.status).toBe(204);
    expect((await api('GET', '/os-services?host=sv4', '2.53')).body.services).toEqual([]);
    expect((await c.placement('GET', `/resource_providers/${node.uuid}`)).status).toBe(404);
    const left = await c.database.db
      .selectFrom('compute_nodes')
      .select('deleted')
      .where('id', '=', node.id)
      .executeTakeFirstOrThrow();
    expect(left.deleted).toBe(node.id);
    expect((await api('GET', `/os-hypervisors/${node.uuid}`, '2.53')).status).toBe(404);
  });
});
