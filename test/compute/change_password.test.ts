// changePassword as Nova does it (admin_password.py): a member's request, answered 202 once the
// server's host has its set_admin_password job, which hands the password to the driver and
// clears the task state; 409 unless ACTIVE (or locked), 400 on a bad body; the password is
// in no API answer, and in no row of compute_jobs once the job has ended.
import { sql } from 'kysely';
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
  const jobsHolding = async (password: string) =>
    (await sql`SELECT * FROM compute_jobs`.execute(t.db)).rows.filter((r) => JSON.stringify(r).includes(password));
  /** The events of the server's changePassword action. */
  const passwordEvents = async (id: string): Promise<{ event: string; result: string | null }[]> => {
    const actions = (await t.nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions as {
      action: string;
      request_id: string;
    }[];
    const a = actions.find((x) => x.action === 'changePassword')!;
    return (await t.nova('GET', `/servers/${id}/os-instance-actions/${a.request_id}`)).body.instanceAction.events;
  };
  const passwordJob = async (id: string) =>
    (
      await sql<{ state: string; payload: string; secret: string | null }>`SELECT state, payload, secret
      FROM compute_jobs WHERE kind = 'set_admin_password' AND payload LIKE ${`%${id}%`}`.execute(t.db)
    ).rows;

  it("has the host's driver set the password of an ACTIVE server", async () => {
    const id = await t.boot({ name: 'pw' }, { token: t.demo });
    await t.waitFor(id, ['ACTIVE']);
    const r = await act(id, { changePassword: { adminPass: 's3cret-Pass' } });
    expect(r.status).toBe(202);
    expect(JSON.stringify(r.body ?? '')).not.toContain('s3cret');
    await until('password set', async () => driver.calls.includes(`set-admin-password ${id}`));
    expect(driver.passwords.get(id)).toBe('s3cret-Pass');
    let s: any;
    await until('task state cleared', async () => {
      s = (await t.nova('GET', `/servers/${id}`)).body.server;
      return s['OS-EXT-STS:task_state'] === null;
    });
    expect(s.status).toBe('ACTIVE');
    expect((await passwordEvents(id)).map((e) => [e.event, e.result])).toEqual([
      ['compute_set_admin_password', 'Success'],
    ]);
    // The job has ended: its row is there, the password in none.
    await until('the job to end', async () => (await passwordJob(id))[0]?.state === 'succeeded');
    expect(await passwordJob(id)).toMatchObject([{ secret: null }]);
    expect(await jobsHolding('s3cret-Pass')).toEqual([]);

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

  it('erases the password of a change the guest refused', async () => {
    const id = await t.boot({ name: 'pw-refused' }, { token: t.demo });
    await t.waitFor(id, ['ACTIVE']);
    driver.refusePasswords = true;
    try {
      expect((await act(id, { changePassword: { adminPass: 'refused-Pass-1' } })).status).toBe(202);
      let events: { event: string; result: string | null }[] = [];
      await until('the event to fail', async () => {
        events = await passwordEvents(id);
        return events[0]?.result === 'Error';
      });
      expect(events.map((e) => e.event)).toEqual(['compute_set_admin_password']);
      expect(driver.passwords.has(id)).toBe(false);
      await until('the job to end', async () =>
        ['succeeded', 'failed'].includes((await passwordJob(id))[0]?.state ?? ''),
      );
      expect(await jobsHolding('refused-Pass-1')).toEqual([]);
    } finally {
      driver.refusePasswords = false;
    }
    await t.remove(id);
  });
});
