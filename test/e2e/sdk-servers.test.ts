// openstacksdk against `concord up` with one fake hypervisor: a flavor, boots through the proxy
// layer (compute.create_server with networks 'none', wait_for_server) and the cloud layer
// (create_server by names; its wait=True needs an IP address, so Neutron), lists, deletes waited for (test/e2e/sdk_compute_flow.py).
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonWith, startCloud, type Cloud } from '../helpers/cloud.js';

const sdk = pythonWith('openstack', 'python3-openstacksdk');
const FLOW = resolve(import.meta.dirname, 'sdk_compute_flow.py');

describe.skipIf('skip' in sdk)(`openstacksdk: servers${'skip' in sdk ? ` (skipped: ${sdk.skip})` : ''}`, () => {
  let c: Cloud;
  beforeAll(async () => {
    c = await startCloud({ env: { CONCORD_COMPUTE__FAKE_HYPERVISORS: '1', CONCORD_JOBS__POLL_INTERVAL: '0.2' } });
  }, 60000);
  afterAll(async () => {
    await c?.stop();
    c?.cleanup();
  });

  it('creates a flavor, boots and waits for ACTIVE, lists, deletes and waits until gone', () => {
    const r = c.run((sdk as { python: string }).python, [FLOW]);
    expect(r.status, `${r.stderr}\n${c.log()}`).toBe(0);
    expect(r.json).toEqual({
      proxy: { status: 'ACTIVE', power_state: 1, flavor: 'sdk-tiny' },
      host: 'compute1',
      cloud: { status: 'ACTIVE' },
      listed: ['sdk-vm', 'sdk-vm2'],
      listed_by_cloud_layer: ['sdk-vm', 'sdk-vm2'],
      cloud_deleted: true,
      left: [],
    });
  }, 120000);
});
