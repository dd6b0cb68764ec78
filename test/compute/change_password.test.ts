// changePassword as Nova does it (admin_password.py): a member's request, answered 202 once the
// server's host has its set_admin_password job, which hands the password to the driver and
// clears the task state; 409 unless ACTIVE (or locked), 400 on a bad body; the password is
// in no API answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/jobs.js';
import { startServersCloud, TestDriver, testNode, type ServersCloud } from '../helpers/servers.js';

const node = testNode('pw1');

describe('changePassword', () => {
  let t: ServersCloud;
  const driver = new TestDriver([node]);

  beforeAll(async () => {
    t = await startServersCloud({});
    await t.flavor('vm-tiny', 1024, 1, 1);
    await t.hypervisor({ host: 'pw1' });
    t.manager('pw1', driver);
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  const act = (id: string, body: unknown) => t.nova('POST', `/servers/${id}/action`, body, { token: t.demo });

  it("has the host's driver set the password of an ACTIVE server", async () => {
    const id = await t.boot({ name: 'pw' }, { token: t.demo });
    await t.waitFor(id, ['ACTIVE']);
    const r = await act(id, { changePassword: { adminPass: 's3cret-Pass' } });
    expect(r.status).toBe(202);
    expect(JSON.stringify(r.body ?? '')).not.toContain('s3cret');
    await until('password set', async () => driver.calls.includes(`set-admin-password ${id}`));
    let s: any;
    await until('task state cleared', async () => {
      s = (await t.nova('GET', `/servers/${id}`)).body.server;
      return s['OS-EXT-STS:task_state'] === null;
    });
    expect(s.status).toBe('ACTIVE');
    const actions = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions;
    const a = actions.find((x: any) => x.action === 'changePassword');
    const shown = (await t.nova('GET', `/servers/${id}/os-instance-actions/${a.request_id}`)).body.instanceAction;
    expect(shown.events.map((e: any) => [e.event, e.result])).toEqual([['compute_set_admin_password', 'Success']]);

    // Bad bodies: 400, nothing asked of the host.
    for (const body of [{ changePassword: {} }, { changePassword: { adminPass: 1 } }, { changePassword: null }]) {
      expect((await act(id, body)).status).toBe(400);
    }
    // Not ACTIVE: Nova's 409.
    expect((await act(id, { 'os-stop': null })).status).toBe(202);
    await t.waitFor(id, ['SHUTOFF']);
    const stopped = await act(id, { changePassword: { adminPass: 'x' } });
    expect([stopped.status, stopped.body.conflictingRequest.message]).toEqual([
      409,
      `Cannot 'changePassword' instance ${id} while it is in vm_state stopped`,
    ]);
    expect(driver.calls.filter((c) => c === `set-admin-password ${id}`)).toHaveLength(1);
    await t.remove(id);
  });
});
