// The VM boot of the reference scenario with the real `openstack` CLI against `concord up` and its
// two simulated hypervisors: a flavor with properties shown in the columns an operator asks for, a
// keypair, an anti-affinity server group, `server create --wait` to ACTIVE on two different hosts,
// reboot/stop/start with their events, the hypervisors' and Placement's view of the usage, and delete
// giving every resource back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, toolUnavailable, type Cloud } from '../helpers/cloud.js';
import { oscCommands, serverCreate } from '../helpers/osc.js';

const skip = toolUnavailable('openstack', 'python3-openstackclient python3-osc-placement');

describe.skipIf(skip)(`openstack CLI: a VM boot${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let c: Cloud;
  beforeAll(async () => {
    c = await startCloud({
      env: { CONCORD_COMPUTE__FAKE_HYPERVISORS: '2', CONCORD_JOBS__POLL_INTERVAL: '0.2' },
    });
  }, 60000);
  afterAll(async () => {
    await c?.stop();
    c?.cleanup();
  });

  const { ok, json } = oscCommands(() => c, ['--os-compute-api-version', '2.74']);
  /** The compute usage Placement holds for every provider, summed. */
  const placementUsage = () => {
    const totals: Record<string, number> = {};
    for (const rp of json(['resource', 'provider', 'list']) as { uuid: string }[]) {
      for (const u of json(['resource', 'provider', 'usage', 'show', rp.uuid]) as {
        resource_class: string;
        usage: number;
      }[]) {
        totals[u.resource_class] = (totals[u.resource_class] ?? 0) + u.usage;
      }
    }
    return totals;
  };

  it('boots two servers apart, drives their power state and gives everything back on delete', () => {
    json(['flavor', 'create', '--vcpus', '1', '--ram', '512', '--disk', '1', 'vm-tiny']);
    ok(['flavor', 'set', '--property', 'hw:cpu_policy=shared', 'vm-tiny']);
    expect(
      json(['flavor', 'show', 'vm-tiny', '-c', 'name', '-c', 'vcpus', '-c', 'ram', '-c', 'disk', '-c', 'properties']),
    ).toEqual({ name: 'vm-tiny', vcpus: 1, ram: 512, disk: 1, properties: { 'hw:cpu_policy': 'shared' } });

    // Nova generates the pair; the CLI writes the private half where it is told.
    const privateKey = join(c.home, 'demo-key.pem');
    const key = json(['keypair', 'create', '--private-key', privateKey, 'demo-key'], 'concord-demo');
    expect(key).toMatchObject({ name: 'demo-key', type: 'ssh' });
    expect(readFileSync(privateKey, 'utf8')).toMatch(/BEGIN (RSA |OPENSSH )?PRIVATE KEY/);
    const group = json(['server', 'group', 'create', '--policy', 'anti-affinity', 'apart'], 'concord-demo');
    expect(group).toMatchObject({ name: 'apart', policy: 'anti-affinity' });

    const boot = (name: string) =>
      json(serverCreate(name, '--key-name', 'demo-key', '--hint', `group=${group.id}`, '--wait'), 'concord-demo');
    const servers = [boot('web1'), boot('web2')];
    for (const s of servers) expect(s).toMatchObject({ status: 'ACTIVE', key_name: 'demo-key' });

    // The admin sees where they landed: on two different hypervisors, as the group asks.
    const hosts = servers.map((s) => json(['server', 'show', s.id])['OS-EXT-SRV-ATTR:host']);
    expect(new Set(hosts).size).toBe(2);
    expect(
      json(['server', 'list'], 'concord-demo')
        .map((s: { Name: string }) => s.Name)
        .sort(),
    ).toEqual(['web1', 'web2']);
    expect(placementUsage()).toMatchObject({ VCPU: 2, MEMORY_MB: 1024, DISK_GB: 2 });

    const web1 = servers[0].id;
    ok(['server', 'reboot', '--wait', web1], 'concord-demo');
    ok(['server', 'stop', web1], 'concord-demo');
    waitFor(() => json(['server', 'show', web1], 'concord-demo').status === 'SHUTOFF');
    ok(['server', 'start', web1], 'concord-demo');
    waitFor(() => json(['server', 'show', web1], 'concord-demo').status === 'ACTIVE');
    const actions = json(['server', 'event', 'list', web1], 'concord-demo').map((e: { Action: string }) => e.Action);
    expect(actions.sort()).toEqual(['create', 'reboot', 'start', 'stop']);

    ok(['server', 'delete', '--wait', ...servers.map((s) => s.id)], 'concord-demo');
    expect(json(['server', 'list'], 'concord-demo')).toEqual([]);
    expect(placementUsage()).toMatchObject({ VCPU: 0, MEMORY_MB: 0, DISK_GB: 0 });
  }, 420000);
});

/** Polls a synchronous check (each call runs the CLI: one to several seconds) until it holds. */
function waitFor(check: () => boolean, attempts = 30): void {
  for (let i = 0; i < attempts; i++) if (check()) return;
  throw new Error('condition not reached');
}
