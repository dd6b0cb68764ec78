// os-hosts (until 2.42) and os-instance_usage_audit_log as Nova Zed answers them: hosts of the
// enabled services with their zones, a host's resources in all and per project; what a driver
// alone could do to a host (501); the audit of the last completed month, in which no host ran
// (concord has no usage audit task).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastCompletedMonth } from '../../src/compute/objects/instance_usage_audit.js';
import { startServersCloud, TestDriver, type ServersCloud } from '../helpers/servers.js';

describe('os-hosts and the usage audit log', () => {
  let t: ServersCloud;
  beforeAll(async () => {
    t = await startServersCloud();
    await t.flavor('vm-tiny', 1024, 2, 1);
    await t.hypervisor({ host: 'cmp1', vcpus: 8, memoryMb: 8192, diskGb: 40 });
    await t.hypervisor({ host: 'cmp2', disabled: true });
    t.manager('cmp1', new TestDriver());
    const id = await t.boot({ name: 'on-cmp1' }, { token: t.demo });
    expect((await t.waitFor(id, ['ACTIVE', 'ERROR'])).status).toBe('ACTIVE');
  }, 60000);
  afterAll(async () => {
    await t?.close();
  });

  it('lists the hosts of enabled services by zone, and shows a host', async () => {
    const v = '2.42';
    // The API process is this cloud's conductor and scheduler too: Nova lists them in the internal zone.
    const me = (await t.nova('GET', '/os-hosts', undefined, { version: v })).body.hosts[0].host_name;
    expect((await t.nova('GET', '/os-hosts', undefined, { version: v })).body.hosts).toEqual([
      { host_name: me, service: 'conductor', zone: 'internal' },
      { host_name: me, service: 'scheduler', zone: 'internal' },
      { host_name: 'cmp1', service: 'compute', zone: 'nova' },
    ]);
    expect((await t.nova('GET', '/os-hosts?zone=mars', undefined, { version: v })).body.hosts).toEqual([]);
    expect((await t.nova('GET', '/os-hosts', undefined, { version: '2.43' })).status).toBe(404);
    expect((await t.nova('GET', '/os-hosts', undefined, { version: v, token: t.demo })).status).toBe(403);
    const shown = await t.nova('GET', '/os-hosts/cmp1', undefined, { version: v });
    const [total, , max, project] = shown.body.host.map((h: any) => h.resource);
    expect(total).toEqual({ host: 'cmp1', project: '(total)', cpu: 8, memory_mb: 8192, disk_gb: 40 });
    expect(max).toEqual({ host: 'cmp1', project: '(used_max)', cpu: 2, memory_mb: 1024, disk_gb: 1 });
    expect(project).toEqual({ host: 'cmp1', project: t.demoProject, cpu: 2, memory_mb: 1024, disk_gb: 1 });
    const missing = await t.nova('GET', '/os-hosts/nowhere', undefined, { version: v });
    expect([missing.status, missing.body.itemNotFound.message]).toEqual([
      404,
      'Compute host nowhere could not be found.',
    ]);
    expect((await t.nova('GET', '/os-hosts/cmp1/reboot', undefined, { version: v })).status).toBe(501);
    expect((await t.nova('GET', '/os-hosts/nowhere/reboot', undefined, { version: v })).status).toBe(404);
    expect((await t.nova('PUT', '/os-hosts/cmp1', { status: 'maybe' }, { version: v })).status).toBe(400);
    expect((await t.nova('PUT', '/os-hosts/cmp1', {}, { version: v })).status).toBe(400);
    expect((await t.nova('PUT', '/os-hosts/cmp1', { status: 'enable' }, { version: v })).status).toBe(501);
  });

  it('reports the last completed month with every compute host not run', async () => {
    const r = await t.nova('GET', '/os-instance_usage_audit_log/2026-03-15 10:00:00');
    expect(r.body.instance_usage_audit_log).toEqual({
      period_beginning: '2026-02-01 00:00:00',
      period_ending: '2026-03-01 00:00:00',
      num_hosts: 2,
      num_hosts_done: 0,
      num_hosts_running: 0,
      num_hosts_not_run: 2,
      hosts_not_run: ['cmp1', 'cmp2'],
      total_instances: 0,
      total_errors: 0,
      overall_status: '0 of 2 hosts done. 0 errors.',
      log: {},
    });
    expect((await t.nova('GET', '/os-instance_usage_audit_log')).body.instance_usage_audit_logs.num_hosts).toBe(2);
    expect((await t.nova('GET', '/os-instance_usage_audit_log/2026-13-01 00:00:00')).status).toBe(400);
    expect((await t.nova('GET', '/os-instance_usage_audit_log', undefined, { token: t.demo })).status).toBe(403);
    // A month's first instant still belongs to the month before's period.
    const { begin, end } = lastCompletedMonth(new Date('2026-01-01T00:00:00Z'));
    expect([begin.toISOString(), end.toISOString()]).toEqual(['2025-11-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z']);
  });
});
