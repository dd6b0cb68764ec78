// `concord manage placement sync_aggregates` and `concord manage placement audit` against a real
// `concord up` with two simulated hypervisors, Placement changed behind Nova's back with the
// `openstack` CLI (osc-placement): a provider taken out of its host's aggregate is put back; an
// allocation no instance accounts for is reported (exit 3), deleted (exit 4), and a server's own
// allocation is never touched.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startCloud, toolUnavailable, type Cloud } from '../helpers/cloud.js';
import { oscCommands, serverCreate } from '../helpers/osc.js';

const skip = toolUnavailable('openstack', 'python3-openstackclient python3-osc-placement');

describe.skipIf(skip)(`concord manage placement${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let c: Cloud;
  beforeAll(async () => {
    c = await startCloud({ env: { CONCORD_COMPUTE__FAKE_HYPERVISORS: '2', CONCORD_JOBS__POLL_INTERVAL: '0.2' } });
  }, 60000);
  afterAll(async () => {
    await c?.stop();
    c?.cleanup();
  });

  const { ok, json } = oscCommands(() => c, ['--os-compute-api-version', '2.74', '--os-placement-api-version', '1.39']);
  const manage = (...args: string[]) => c.run(process.execPath, [BIN, 'manage', '--data-dir', c.dataDir, ...args]);
  const provider = (name: string) =>
    (json(['resource', 'provider', 'list', '--name', name]) as { uuid: string }[])[0]!.uuid;

  it('sync_aggregates puts a host’s provider back into its aggregate', () => {
    const agg = json(['aggregate', 'create', 'rack-a']);
    ok(['aggregate', 'add', 'host', 'rack-a', 'compute1']);
    const rp = provider('compute1');
    expect(json(['resource', 'provider', 'aggregate', 'list', rp]).map((a: { uuid: string }) => a.uuid)).toEqual([
      agg.uuid,
    ]);
    // Placement loses the membership (as if it had been down when the host was added).
    ok([
      'resource',
      'provider',
      'aggregate',
      'set',
      rp,
      '--generation',
      String(json(['resource', 'provider', 'show', rp]).generation),
    ]);
    expect(json(['resource', 'provider', 'aggregate', 'list', rp])).toEqual([]);

    const r = manage('placement', 'sync_aggregates', '--verbose');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Successfully added host (compute1) and provider (${rp}) to aggregate (${agg.uuid}`);
    expect(json(['resource', 'provider', 'aggregate', 'list', rp]).map((a: { uuid: string }) => a.uuid)).toEqual([
      agg.uuid,
    ]);
  }, 120000);

  it('audit reports an orphaned allocation, deletes it, and leaves the servers’ own alone', () => {
    json(['flavor', 'create', '--vcpus', '1', '--ram', '256', '--disk', '1', 'vm-tiny']);
    const server = json(serverCreate('kept', '--wait'));
    expect(server.status).toBe('ACTIVE');
    expect(manage('placement', 'audit').status).toBe(0);

    const rp = provider('compute2');
    const orphan = randomUUID();
    const project = json(['project', 'show', 'admin']).id;
    const user = json(['user', 'show', 'admin']).id;
    ok([
      'resource',
      'provider',
      'allocation',
      'set',
      orphan,
      '--allocation',
      `rp=${rp},VCPU=2,MEMORY_MB=128`,
      '--project-id',
      project,
      '--user-id',
      user,
      '--consumer-type',
      'INSTANCE',
    ]);

    const found = manage('placement', 'audit', '--verbose');
    expect(found.status, found.stderr).toBe(3);
    expect(found.stdout).toContain(`Allocations were set against consumer UUID ${orphan}`);
    expect(found.stdout).not.toContain(server.id);
    // Only the provider asked for: compute1 has no orphan.
    expect(manage('placement', 'audit', '--resource_provider', provider('compute1')).status).toBe(0);
    expect(manage('placement', 'audit', '--resource_provider', randomUUID()).status).toBe(127);

    const deleted = manage('placement', 'audit', '--delete');
    expect(deleted.status, deleted.stderr).toBe(4);
    expect(deleted.stdout).toContain(`Deleted allocations for consumer UUID ${orphan} on Resource Provider ${rp}`);
    expect(json(['resource', 'provider', 'allocation', 'show', orphan])).toEqual([]);
    expect(json(['resource', 'provider', 'allocation', 'show', server.id])).toHaveLength(1);
    expect(manage('placement', 'audit').status).toBe(0);
  }, 180000);
});
