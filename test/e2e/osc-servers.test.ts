// The real `openstack` CLI against the servers API of a real `concord up` process (no compute host
// yet: the conductor answers every boot with an explained NoValidHost): server create (the image
// and flavor by name, --nic none, --wait), show with its fault, list, set, event list, delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, toolUnavailable, type Cloud } from '../helpers/cloud.js';
import { oscCommands, serverCreate } from '../helpers/osc.js';

const skip = toolUnavailable('openstack', 'python3-openstackclient');

describe.skipIf(skip)(`openstack CLI: servers${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let c: Cloud;
  beforeAll(async () => {
    c = await startCloud();
  }, 60000);
  afterAll(async () => {
    await c?.stop();
    c?.cleanup();
  });

  const { ok, json } = oscCommands(() => c);

  it('creates a server, shows why it found no host, lists, renames, lists its events and deletes it', async () => {
    json(['flavor', 'create', '--vcpus', '1', '--ram', '1024', '--disk', '1', 'vm-tiny']);
    const created = json(
      ['--os-compute-api-version', '2.90', ...serverCreate('web1', '--property', 'role=web')],
      'concord-demo',
    );
    expect(created).toMatchObject({ name: 'web1' });
    let shown: any;
    for (let i = 0; i < 100; i++) {
      shown = json(['server', 'show', created.id], 'concord');
      if (shown.status === 'ERROR') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(shown.status).toBe('ERROR');
    expect(JSON.stringify(shown.fault)).toContain('No valid host was found.');
    expect(JSON.stringify(shown.fault)).toContain('Placement returned 0 allocation candidate(s)');
    const listed = json(['server', 'list'], 'concord-demo');
    expect(listed.map((s: { Name: string }) => s.Name)).toEqual(['web1']);
    ok(['server', 'set', '--name', 'web2', created.id], 'concord-demo');
    expect(json(['server', 'show', created.id], 'concord-demo').name).toBe('web2');
    const events = json(['server', 'event', 'list', created.id], 'concord-demo');
    expect(events.map((e: { Action: string }) => e.Action)).toEqual(['create']);
    ok(['server', 'delete', '--wait', created.id], 'concord-demo');
    expect(json(['server', 'list'], 'concord-demo')).toEqual([]);
  }, 120000);
});
