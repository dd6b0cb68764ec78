// The real `openstack` CLI against `concord up` with two fake hypervisors (shelved_offload_time is
// Nova's 0: a shelve offloads at once): server shelve --wait (SHELVED_OFFLOADED, the image
// `<name>-shelved` in Glance), server unshelve --wait with an availability zone (2.77), the events
// of both, and a shelve of the unshelved server deleted with its image.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, toolUnavailable, type Cloud } from '../helpers/cloud.js';
import { oscCommands, serverCreate } from '../helpers/osc.js';

const skip = toolUnavailable('openstack', 'python3-openstackclient');

describe.skipIf(skip)(`openstack CLI: shelve${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let c: Cloud;
  beforeAll(async () => {
    c = await startCloud({ env: { CONCORD_COMPUTE__FAKE_HYPERVISORS: '2', CONCORD_JOBS__POLL_INTERVAL: '0.2' } });
  }, 60000);
  afterAll(async () => {
    await c?.stop();
    c?.cleanup();
  });

  const { ok, json } = oscCommands(() => c);

  it('shelves, unshelves into a zone, shows the events, and deletes a shelved server with its image', async () => {
    json(['flavor', 'create', '--vcpus', '1', '--ram', '512', '--disk', '1', 'vm-tiny']);
    const demo = 'concord-demo';
    const created = json(['--os-compute-api-version', '2.90', ...serverCreate('shelf', '--wait')], demo);
    expect(created.status).toBe('ACTIVE');

    ok(['server', 'shelve', '--wait', created.id], demo);
    const shelved = json(['server', 'show', created.id]);
    expect([shelved.status, shelved['OS-EXT-SRV-ATTR:host'], shelved['OS-EXT-STS:power_state']]).toEqual([
      'SHELVED_OFFLOADED',
      null,
      4,
    ]);
    const [image] = json(['image', 'list', '--name', 'shelf-shelved'], demo);
    expect(image).toMatchObject({ Name: 'shelf-shelved', Status: 'active' });

    ok(
      ['--os-compute-api-version', '2.77', 'server', 'unshelve', '--availability-zone', 'nova', '--wait', created.id],
      demo,
    );
    const back = json(['server', 'show', created.id]);
    expect([back.status, back['OS-EXT-SRV-ATTR:host'], back['OS-EXT-AZ:availability_zone']]).toEqual([
      'ACTIVE',
      expect.stringMatching(/^compute[12]$/),
      'nova',
    ]);
    expect(json(['image', 'list', '--name', 'shelf-shelved'], demo)).toEqual([]);
    const events = json(['server', 'event', 'list', created.id], demo);
    expect(events.map((e: { Action: string }) => e.Action)).toEqual(['unshelve', 'shelve', 'create']);

    ok(['server', 'shelve', '--wait', created.id], demo);
    expect(json(['image', 'list', '--name', 'shelf-shelved'], demo)).toHaveLength(1);
    ok(['server', 'delete', '--wait', created.id], demo);
    expect(json(['image', 'list', '--name', 'shelf-shelved'], demo)).toEqual([]);
  }, 300000);
});
