// The real `openstack` CLI against `concord up` with two fake hypervisors: a server's host forced
// down (compute service set --down, 2.11), server evacuate (ACTIVE on the other host), its
// migration in server migration list --type evacuation (2.23), server event list, and a host
// named to evacuate to (--host, 2.29). python-openstackclient 6.0's `server evacuate` sends the
// request, then fails on novaclient's answer (a TupleWithMeta it takes for a server, to wait for
// and to show): that failure of the client's own is let through, the server's move is waited for
// here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, toolUnavailable, type Cloud } from '../helpers/cloud.js';
import { oscCommands, serverCreate } from '../helpers/osc.js';

const skip = toolUnavailable('openstack', 'python3-openstackclient');

describe.skipIf(skip)(`openstack CLI: evacuate${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let c: Cloud;
  beforeAll(async () => {
    c = await startCloud({ env: { CONCORD_COMPUTE__FAKE_HYPERVISORS: '2', CONCORD_JOBS__POLL_INTERVAL: '0.2' } });
  }, 60000);
  afterAll(async () => {
    await c?.stop();
    c?.cleanup();
  });

  const { ok, json } = oscCommands(() => c);
  const hostOf = (id: string): string => json(['server', 'show', id])['OS-EXT-SRV-ATTR:host'];
  /** `server evacuate ARGS`, its request taken; then the server ACTIVE on another host than `from`. */
  const evacuate = async (args: string[], id: string, from: string) => {
    const r = c.osc([...args, id]);
    if (r.status !== 0) expect(r.stderr).toContain("'TupleWithMeta' object has no attribute");
    for (let i = 0; i < 60; i++) {
      const s = json(['server', 'show', id]);
      if (s.status === 'ACTIVE' && s['OS-EXT-SRV-ATTR:host'] !== from) return s;
      await new Promise((res) => setTimeout(res, 500));
    }
    throw new Error(`server ${id} not evacuated from ${from}`);
  };
  const setDown = (host: string, down: boolean) =>
    ok([
      '--os-compute-api-version',
      '2.11',
      'compute',
      'service',
      'set',
      down ? '--down' : '--up',
      host,
      'nova-compute',
    ]);

  it('evacuates a server from a host forced down, to any host and to a named one', async () => {
    json(['flavor', 'create', '--vcpus', '1', '--ram', '512', '--disk', '1', 'vm-tiny']);
    const created = json(['--os-compute-api-version', '2.90', ...serverCreate('refugee', '--wait')]);
    const source = hostOf(created.id);
    const other = source === 'compute1' ? 'compute2' : 'compute1';
    setDown(source, true);
    const moved = await evacuate(['server', 'evacuate', '--password', 'n3w-secret'], created.id, source);
    expect(moved['OS-EXT-SRV-ATTR:host']).toBe(other);
    const migrations = json([
      '--os-compute-api-version',
      '2.23',
      'server',
      'migration',
      'list',
      '--type',
      'evacuation',
      '--server',
      created.id,
    ]);
    expect(migrations.map((m: any) => [m.Status, m.Type, m['Source Compute'], m['Dest Compute']])).toEqual([
      ['done', 'evacuation', source, other],
    ]);
    const events = json(['server', 'event', 'list', created.id]);
    expect(events.map((e: { Action: string }) => e.Action)).toEqual(['evacuate', 'create']);

    // Back again to the first host, named (2.29), once it is up and the other one down.
    setDown(source, false);
    setDown(other, true);
    const back = await evacuate(
      ['--os-compute-api-version', '2.29', 'server', 'evacuate', '--host', source],
      created.id,
      other,
    );
    expect(back['OS-EXT-SRV-ATTR:host']).toBe(source);
    setDown(other, false);
    ok(['server', 'delete', '--wait', created.id]);
  }, 300000);
});
