// Compute inside the cloud of `concord up` (in-process, real Keystone tokens): what needs the
// other services through compute's own service user — host aggregates mirrored into Placement
// aggregates of the hosts' resource providers, and project ids checked with identity (flavor
// access, quotas) as Nova's verify_project_id checks them.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/common/db/index.js';
import type { ComputeDB } from '../../src/compute/db/schema.js';
import { startLocalCloud, type LocalCloud } from '../helpers/allinone.js';
import { insertComputeHost } from '../helpers/compute.js';

const PV = { 'openstack-api-version': 'placement 1.39' };

describe('compute in the all-in-one cloud', () => {
  let c: LocalCloud;
  let admin: string;
  let db: Database<ComputeDB>;
  let adminProject: string;
  const call = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
    c.call(method, url, admin, body, headers);

  beforeAll(async () => {
    c = await startLocalCloud();
    admin = await c.login('admin', c.cloud.credentials.adminPassword, 'admin');
    adminProject = (await call('GET', '/identity/v3/projects?name=admin')).body.projects[0].id;
    // What a compute agent registers: its service, its node, the node's provider.
    db = openDatabase<ComputeDB>(join(c.dataDir, 'compute.sqlite'));
    for (const host of ['hv1', 'hv2']) {
      const rp = (await call('POST', '/placement/resource_providers', { name: host }, PV)).body.uuid;
      await insertComputeHost(db.db, host, { nodeUuid: rp });
    }
  });
  afterAll(async () => {
    await db?.close();
    await c?.close();
  });

  const providerOf = async (host: string) =>
    (await db.db.selectFrom('compute_nodes').select('uuid').where('host', '=', host).executeTakeFirstOrThrow()).uuid;
  const placementAggregates = async (host: string) =>
    (await call('GET', `/placement/resource_providers/${await providerOf(host)}/aggregates`, undefined, PV)).body
      .aggregates;

  it('mirrors aggregate membership into Placement', async () => {
    const agg = (
      await call(
        'POST',
        '/compute/v2.1/os-aggregates',
        { aggregate: { name: 'gold-rack' } },
        { 'openstack-api-version': 'compute 2.41' },
      )
    ).body.aggregate;
    const added = await call('POST', `/compute/v2.1/os-aggregates/${agg.id}/action`, { add_host: { host: 'hv1' } });
    expect(added.status).toBe(200);
    expect(await placementAggregates('hv1')).toEqual([agg.uuid]);
    expect(await placementAggregates('hv2')).toEqual([]);
    // Placement's member_of sees it.
    const members = await call('GET', `/placement/resource_providers?member_of=${agg.uuid}`, undefined, PV);
    expect(members.body.resource_providers.map((p: { name: string }) => p.name)).toEqual(['hv1']);
    // A provider's other aggregates stay.
    const other = '11111111-2222-3333-4444-555555555555';
    const rp = await providerOf('hv2');
    const gen = (await call('GET', `/placement/resource_providers/${rp}`, undefined, PV)).body.generation;
    await call(
      'PUT',
      `/placement/resource_providers/${rp}/aggregates`,
      { resource_provider_generation: gen, aggregates: [other] },
      PV,
    );
    await call('POST', `/compute/v2.1/os-aggregates/${agg.id}/action`, { add_host: { host: 'hv2' } });
    expect((await placementAggregates('hv2')).sort()).toEqual([agg.uuid, other].sort());
    const removed = await call('POST', `/compute/v2.1/os-aggregates/${agg.id}/action`, {
      remove_host: { host: 'hv2' },
    });
    expect(removed.body.aggregate.hosts).toEqual(['hv1']);
    expect(await placementAggregates('hv2')).toEqual([other]);
  });

  it('adds a host whose provider Placement does not know, as Nova does (a warning)', async () => {
    await insertComputeHost(db.db, 'hv3');
    const agg = (await call('POST', '/compute/v2.1/os-aggregates', { aggregate: { name: 'no-rp' } })).body.aggregate;
    const r = await call('POST', `/compute/v2.1/os-aggregates/${agg.id}/action`, { add_host: { host: 'hv3' } });
    expect(r.body.aggregate.hosts).toEqual(['hv3']);
    expect(
      (await call('POST', `/compute/v2.1/os-aggregates/${agg.id}/action`, { remove_host: { host: 'hv3' } })).status,
    ).toBe(200);
  });

  it('checks project ids with identity', async () => {
    await call('POST', '/compute/v2.1/flavors', {
      flavor: { name: 'private', id: 'private', ram: 1, vcpus: 1, disk: 0, 'os-flavor-access:is_public': false },
    });
    const unknown = await call('POST', '/compute/v2.1/flavors/private/action', {
      addTenantAccess: { tenant: 'no-such-project' },
    });
    expect(unknown.body).toEqual({
      badRequest: { code: 400, message: 'Project ID no-such-project is not a valid project.' },
    });
    const ok = await call('POST', '/compute/v2.1/flavors/private/action', {
      addTenantAccess: { tenant: adminProject },
    });
    expect(ok.body.flavor_access).toEqual([{ flavor_id: 'private', tenant_id: adminProject }]);
    // What is removed need not exist.
    const gone = await call('POST', '/compute/v2.1/flavors/private/action', {
      removeTenantAccess: { tenant: 'no-such-project' },
    });
    expect(gone.body.itemNotFound.message).toBe('Flavor access not found for private / no-such-project combination.');
    expect((await call('GET', '/compute/v2.1/os-quota-sets/no-such-project')).body).toEqual({
      badRequest: { code: 400, message: 'Project ID no-such-project is not a valid project.' },
    });
    const set = await call('PUT', `/compute/v2.1/os-quota-sets/${adminProject}`, { quota_set: { cores: 40 } });
    expect(set.body.quota_set.cores).toBe(40);
  });
});
