// The real `openstack` CLI against `concord up` with two fake hypervisors: server resize --wait to
// a bigger flavor (VERIFY_RESIZE on the other hypervisor), resize confirm, resize again and revert,
// server image create --wait (the snapshot active in Glance), server migration list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, toolUnavailable, type Cloud } from '../helpers/cloud.js';
import { oscCommands, serverCreate } from '../helpers/osc.js';

const skip = toolUnavailable('openstack', 'python3-openstackclient');

describe.skipIf(skip)(`openstack CLI: resize and snapshots${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let c: Cloud;
  beforeAll(async () => {
    c = await startCloud({ env: { CONCORD_COMPUTE__FAKE_HYPERVISORS: '2', CONCORD_JOBS__POLL_INTERVAL: '0.2' } });
  }, 60000);
  afterAll(async () => {
    await c?.stop();
    c?.cleanup();
  });

  const { ok, json } = oscCommands(() => c);
  const until = async (what: string, fn: () => boolean) => {
    for (let i = 0; i < 60; i++) {
      if (fn()) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it('resizes, confirms, reverts and snapshots a server', async () => {
    json(['flavor', 'create', '--vcpus', '1', '--ram', '512', '--disk', '1', 'vm-tiny']);
    json(['flavor', 'create', '--vcpus', '2', '--ram', '1024', '--disk', '2', 'vm-small']);
    const demo = 'concord-demo';
    const created = json(['--os-compute-api-version', '2.90', ...serverCreate('web', '--wait')], demo);
    expect(created.status).toBe('ACTIVE');
    const host = json(['server', 'show', created.id])['OS-EXT-SRV-ATTR:host'];
    expect(host).toMatch(/^compute[12]$/);
    ok(['server', 'resize', '--flavor', 'vm-small', '--wait', created.id], demo);
    const resized = json(['server', 'show', created.id]);
    expect([resized.status, resized.flavor]).toEqual(['VERIFY_RESIZE', expect.stringContaining('vm-small')]);
    expect(resized['OS-EXT-SRV-ATTR:host']).not.toBe(host);
    const migrations = json([
      '--os-compute-api-version',
      '2.80',
      'server',
      'migration',
      'list',
      '--server',
      created.id,
    ]);
    expect(migrations.map((m: any) => [m.Status, m.Type, m['Source Compute']])).toEqual([['finished', 'resize', host]]);

    ok(['server', 'resize', 'confirm', created.id], demo);
    await until('ACTIVE after confirm', () => json(['server', 'show', created.id], demo).status === 'ACTIVE');

    ok(['server', 'resize', '--flavor', 'vm-tiny', '--wait', created.id], demo);
    ok(['server', 'resize', 'revert', created.id], demo);
    let shown: any;
    await until('ACTIVE after revert', () => (shown = json(['server', 'show', created.id], demo)).status === 'ACTIVE');
    expect(shown.flavor).toContain('vm-small');

    const image = json(['server', 'image', 'create', '--name', 'web-snap', '--wait', created.id], demo);
    expect(image).toMatchObject({ name: 'web-snap', status: 'active', min_disk: 2 });
    expect(image.properties).toMatchObject({ instance_uuid: created.id, image_type: 'snapshot' });
    ok(['server', 'delete', '--wait', created.id], demo);
  }, 600000);
});
