// Console output and rescue across real processes on SQLite: `concord up` (its API and conductor)
// and a `concord agent compute` process on the fake driver. The API's console output is the
// agent's answer to a call job; with the agent killed (SIGKILL) the API answers 504 once
// rpc_response_timeout has passed, then 409 at once when the host's service is down, and leaves
// no call behind. A rescue asked while the agent is dead waits in its job, the password in the
// job's secret only; the agent started again runs it, and the password is then in no row. No log
// line of either process holds a rescue password. Needs `npm run build`.
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CONSOLE_TAIL } from '../../src/compute/virt/fake.js';
import { startCloud, type Cloud } from '../helpers/cloud.js';
import { readyToBoot, startAgentProcess, type AgentProcess, type Client } from '../helpers/fleet.js';
import { until } from '../helpers/jobs.js';

const JOBS_ENV = {
  CONCORD_JOBS__LEASE_SECONDS: '2',
  CONCORD_JOBS__POLL_INTERVAL: '0.2',
  CONCORD_LOG_LEVEL: 'debug',
};
const CLOUD_ENV = {
  ...JOBS_ENV,
  CONCORD_DEFAULT__RPC_RESPONSE_TIMEOUT: '2',
  CONCORD_DEFAULT__SERVICE_DOWN_TIME: '5',
};
const AGENT_ENV = { ...JOBS_ENV, CONCORD_DEFAULT__REPORT_INTERVAL: '1' };

describe('console output and rescue across processes (SQLite)', () => {
  let cloud: Cloud;
  let agent: AgentProcess;
  const agentLogs: string[] = [];
  let admin: Client;
  let image: string;

  beforeAll(async () => {
    cloud = await startCloud({ env: CLOUD_ENV });
    agent = startAgentProcess(cloud, 'rsc1', 1, AGENT_ENV);
    ({ admin, image } = await readyToBoot(cloud, 1));
  }, 60000);
  afterAll(async () => {
    await agent?.kill('SIGTERM');
    await cloud?.stop();
    cloud?.cleanup();
  });

  const status = async (id: string) => (await admin.ok('GET', `/servers/${id}`)).server;
  const waitFor = (id: string, wanted: string) =>
    until(`server ${id} ${wanted}`, async () => (await status(id)).status === wanted, 30000);
  const consoleOutput = (id: string, length?: number) =>
    admin.call('POST', `/servers/${id}/action`, { 'os-getConsoleOutput': length === undefined ? {} : { length } });
  const jobRows = (kind: string) => {
    const db = new SQLite(join(cloud.dataDir, 'compute.sqlite'), { readonly: true });
    try {
      return db.prepare('SELECT state, secret FROM compute_jobs WHERE kind = ?').all(kind) as {
        state: string;
        secret: string | null;
      }[];
    } finally {
      db.close();
    }
  };
  const allJobs = () => {
    const db = new SQLite(join(cloud.dataDir, 'compute.sqlite'), { readonly: true });
    try {
      return JSON.stringify(db.prepare('SELECT * FROM compute_jobs').all());
    } finally {
      db.close();
    }
  };

  it("answers the console from the agent's process, 504 then 409 once it is killed; a rescue waits for it", async () => {
    const id = (
      await admin.ok('POST', '/servers', {
        server: { name: 'rsc', imageRef: image, flavorRef: 'vm-tiny', networks: 'none' },
      })
    ).server.id as string;
    await waitFor(id, 'ACTIVE');

    const whole = await consoleOutput(id);
    expect([whole.status, whole.body]).toEqual([200, { output: `[fake] booted on rsc1\n${FAKE_CONSOLE_TAIL}` }]);
    expect((await consoleOutput(id, 3)).body).toEqual({ output: FAKE_CONSOLE_TAIL });

    const rescued = await admin.call('POST', `/servers/${id}/action`, { rescue: { adminPass: 'Proc-Pass-1' } });
    expect([rescued.status, rescued.body]).toEqual([200, { adminPass: 'Proc-Pass-1' }]);
    await waitFor(id, 'RESCUE');
    expect((await consoleOutput(id, 4)).body.output).toBe(
      `[fake] rescue: booted from image ${image}\n${FAKE_CONSOLE_TAIL}`,
    );
    expect((await admin.call('POST', `/servers/${id}/action`, { unrescue: null })).status).toBe(202);
    await waitFor(id, 'ACTIVE');

    await agent.kill('SIGKILL');
    agentLogs.push(agent.log());
    // Its service is still up: the API asks, and gives up after rpc_response_timeout (2 s).
    const started = Date.now();
    const mute = await consoleOutput(id);
    expect([mute.status, mute.body.computeFault?.code]).toEqual([504, 504]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    // A rescue is a cast: accepted, it waits in its job with the password as the job's secret.
    expect((await admin.call('POST', `/servers/${id}/action`, { rescue: { adminPass: 'Proc-Pass-2' } })).status).toBe(
      200,
    );
    expect((await status(id))['OS-EXT-STS:task_state']).toBe('rescuing');
    expect(jobRows('rescue_instance').filter((j) => j.state === 'queued')).toHaveLength(1);
    // Once the service is down ([DEFAULT] service_down_time 5 s): refused at once.
    let down: { status: number; body: any } | undefined;
    await until(
      'the service down',
      async () => {
        down = await consoleOutput(id);
        return down.status === 409;
      },
      20000,
    );
    expect(down!.body.conflictingRequest.message).toBe('Service is unavailable at this time.');
    expect(jobRows('get_console_output')).toEqual([]);

    // The agent back (a new fake driver, which knows no guest: the rescue fails, as a host that
    // lost its guest fails it) runs the rescue: nothing is left rescuing, no row holds a password.
    agent = startAgentProcess(cloud, 'rsc1', 1, AGENT_ENV);
    await until('the rescue to run', async () => (await status(id))['OS-EXT-STS:task_state'] === null, 30000);
    expect((await status(id)).status).toBe('ERROR');
    await until('its job to end', async () => jobRows('rescue_instance').every((j) => j.state !== 'queued'));
    expect(jobRows('rescue_instance').map((j) => j.secret)).toEqual([null, null]);
    expect(allJobs()).not.toContain('Proc-Pass');
    agentLogs.push(agent.log());
    for (const log of [cloud.log(), ...agentLogs]) expect(log).not.toContain('Proc-Pass');
    // The logs are not empty: they would show a password written to them.
    expect(cloud.log()).toContain(id);
  });
});
