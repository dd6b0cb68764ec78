// os-getConsoleOutput as Nova answers it (console_output.py): the host's driver asked through a call
// job the API waits for, the last `length` lines (-1 or none: all), control characters dropped and
// what is not ASCII replaced; any state with a host (SHUTOFF too), 409 without a host or with its
// service down, 504 when the host does not answer within [DEFAULT] rpc_response_timeout, 502 when
// it fails; Nova's 400s, 404s and 403; no call's row left in compute_jobs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/common/jobs/index.js';
import { consoleHandlers, tailLines } from '../../src/compute/manager/console.js';
import { GET_CONSOLE_OUTPUT } from '../../src/compute/objects/instance_console.js';
import { startServersCloud, TestDriver, testNode, type ServersCloud } from '../helpers/servers.js';

const CONSOLE = (id: string) => `boot ${id}\nbell rang\ncaf\ufffd\nlogin:\nlast line`;

describe('os-getConsoleOutput', () => {
  let t: ServersCloud;
  const driver = new TestDriver([testNode('con1')]);
  let reader = '';
  let policyDir = '';

  beforeAll(async () => {
    // Service rows written by the test do not beat: they must stay up for the whole file. A
    // project's readers are refused by a rule that asks for members alone (Zed's defaults keep
    // the deprecated admin_or_owner beside the new ones, which lets them in).
    policyDir = mkdtempSync(join(tmpdir(), 'concord-console-policy-'));
    writeFileSync(
      join(policyDir, 'policy.yaml'),
      '"os_compute_api:os-console-output": "role:member and project_id:%(project_id)s"\n',
    );
    t = await startServersCloud({
      rpcResponseTimeout: 2,
      serviceDownTime: 3600,
      computePolicyFile: join(policyDir, 'policy.yaml'),
    });
    await t.flavor('vm-tiny', 1024, 1, 1);
    // More vCPUs than any host has, well within the project's quota.
    await t.flavor('vm-wide', 1024, 10, 1);
    await t.hypervisor({ host: 'con1' });
    // A host whose service is up but whose agent takes no jobs (disabled: nothing is built there).
    await t.hypervisor({ host: 'mute', disabled: true });
    t.manager('con1', driver);
    const role = (await t.local.call('GET', '/identity/v3/roles?name=reader', t.admin)).body.roles[0].id as string;
    const user = await t.local.call('POST', '/identity/v3/users', t.admin, {
      user: { name: 'console-reader', password: 'reader-Pass-1', domain_id: 'default' },
    });
    await t.local.call(
      'PUT',
      `/identity/v3/projects/${t.demoProject}/users/${user.body.user.id}/roles/${role}`,
      t.admin,
    );
    reader = await t.local.login('console-reader', 'reader-Pass-1', 'demo');
  }, 60000);
  afterAll(async () => {
    await t?.close();
    if (policyDir) rmSync(policyDir, { recursive: true, force: true });
  });

  const output = (id: string, body: unknown, token = t.demo) =>
    t.nova('POST', `/servers/${id}/action`, { 'os-getConsoleOutput': body }, { token });
  const callRows = async () =>
    Number(
      (
        await sql<{ n: number }>`SELECT count(*) AS n FROM compute_jobs WHERE kind = ${GET_CONSOLE_OUTPUT}`.execute(
          t.db,
        )
      ).rows[0]!.n,
    );

  it("answers the last lines of the console of a running or stopped server, from its host's driver", async () => {
    const id = await t.boot({ name: 'console' }, { token: t.demo });
    await t.waitFor(id, ['ACTIVE']);
    const all = CONSOLE(id);
    const cases: [unknown, string][] = [
      [{}, all],
      [{ length: null }, all],
      [{ length: -1 }, all],
      [{ length: '-1' }, all],
      [{ length: 2 }, 'login:\nlast line'],
      [{ length: '2' }, 'login:\nlast line'],
      [{ length: 10 }, all],
      [{ length: 0 }, ''],
    ];
    for (const [body, expected] of cases) {
      const r = await output(id, body);
      expect([r.status, r.body]).toEqual([200, { output: expected }]);
    }
    expect(driver.calls.filter((c) => c === `console-output ${id}`)).toHaveLength(cases.length);
    // Nothing is kept of the calls: the console's text is in no row.
    expect(await callRows()).toBe(0);

    expect((await t.nova('POST', `/servers/${id}/action`, { 'os-stop': null }, { token: t.demo })).status).toBe(202);
    await t.waitFor(id, ['SHUTOFF']);
    expect((await output(id, { length: 1 })).body).toEqual({ output: 'last line' });
    await t.remove(id);
  });

  it("refuses bad lengths, unknown and others' servers, and readers, with Nova's answers", async () => {
    const id = await t.boot({ name: 'console-bad' });
    await t.waitFor(id, ['ACTIVE']);
    for (const length of [-2, '-2', 'abc', '1.5', 1.5, true, [], {}]) {
      const r = await output(id, { length }, t.admin);
      expect([length, r.status, Object.keys(r.body)]).toEqual([length, 400, ['badRequest']]);
    }
    expect((await output(id, { length: 'x' }, t.admin)).body.badRequest.message).toBe(
      "Invalid input for field/attribute length. Value: x. 'x' does not match '^-?[0-9]+$'",
    );
    expect((await output(id, { lines: 3 }, t.admin)).status).toBe(400);
    expect((await output(id, null, t.admin)).status).toBe(400);
    const missing = await output(crypto.randomUUID(), {}, t.admin);
    expect([missing.status, Object.keys(missing.body)]).toEqual([404, ['itemNotFound']]);
    // The admin's server is not the demo project's.
    expect((await output(id, {})).status).toBe(404);
    const own = await t.boot({ name: 'console-own' }, { token: t.demo });
    await t.waitFor(own, ['ACTIVE']);
    const refused = await output(own, {}, reader);
    expect([refused.status, refused.body.forbidden?.message]).toEqual([
      403,
      "Policy doesn't allow os_compute_api:os-console-output to be performed.",
    ]);
    await t.remove(id);
    await t.remove(own);
  });

  it('answers 409 for a server without a host or whose host is down, 504 when the host is mute, 502 when it fails', async () => {
    // No host could take it: ERROR, never placed.
    const unplaced = await t.boot({ name: 'console-unplaced', flavorRef: 'vm-wide' });
    await t.waitFor(unplaced, ['ERROR']);
    const notReady = await output(unplaced, {}, t.admin);
    expect([notReady.status, notReady.body]).toEqual([
      409,
      { conflictingRequest: { code: 409, message: `Instance ${unplaced} is not ready` } },
    ]);

    const id = await t.boot({ name: 'console-host' });
    await t.waitFor(id, ['ACTIVE']);
    // The host's service missed its heartbeats: refused at once, nothing asked of it.
    await t.db
      .updateTable('services')
      .set({ last_seen_up: '2000-01-01T00:00:00.000Z' })
      .where('host', '=', 'con1')
      .execute();
    const asked = driver.calls.length;
    const down = await output(id, {}, t.admin);
    expect([down.status, down.body.conflictingRequest?.message]).toEqual([409, 'Service is unavailable at this time.']);
    expect(driver.calls.length).toBe(asked);
    await t.db
      .updateTable('services')
      .set({ last_seen_up: new Date().toISOString() })
      .where('host', '=', 'con1')
      .execute();

    // The driver fails: the call's job fails, the API says the host failed.
    const guest = driver.guests_.get(id)!;
    driver.guests_.delete(id);
    const failed = await output(id, {}, t.admin);
    expect([failed.status, failed.body]).toEqual([
      502,
      { computeFault: { code: 502, message: 'The compute host of the instance failed to answer.' } },
    ]);
    driver.guests_.set(id, guest);

    // A host that takes no jobs: the API gives up after rpc_response_timeout (2 s here).
    await t.db.updateTable('instances').set({ host: 'mute' }).where('uuid', '=', id).execute();
    const started = Date.now();
    const mute = await output(id, {}, t.admin);
    expect([mute.status, mute.body]).toEqual([
      504,
      { computeFault: { code: 504, message: 'The compute host of the instance did not answer in time.' } },
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(await callRows()).toBe(0);
    await t.db.updateTable('instances').set({ host: 'con1' }).where('uuid', '=', id).execute();
    await t.remove(id);
    await t.remove(unplaced);
  });

  it('answers that the server is not here when it left the host the API asked', async () => {
    const id = await t.boot({ name: 'console-moved' });
    await t.waitFor(id, ['ACTIVE']);
    const handler = consoleHandlers(t.managerEnv('elsewhere', driver))[GET_CONSOLE_OUTPUT]!;
    const job = { payload: { uuid: id, length: null } } as Job;
    expect(await handler(job)).toEqual({ found: false });
    // The host's answer; the API drops the control characters.
    expect(await consoleHandlers(t.managerEnv('con1', driver))[GET_CONSOLE_OUTPUT]!(job)).toEqual({
      output: CONSOLE(id).replace('bell', 'bell\x07'),
    });
    await t.remove(id);
  });
});

describe('tailLines', () => {
  it("keeps the last lines, as Nova's _tail_log", () => {
    expect(tailLines('a\nb\nc', null)).toBe('a\nb\nc');
    expect(tailLines('a\nb\nc', -1)).toBe('a\nb\nc');
    expect(tailLines('a\nb\nc', 0)).toBe('');
    expect(tailLines('a\nb\nc', 1)).toBe('c');
    expect(tailLines('a\nb\nc\n', 2)).toBe('c\n');
    expect(tailLines('a\nb\nc', 5)).toBe('a\nb\nc');
  });
});
