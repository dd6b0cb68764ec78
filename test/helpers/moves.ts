// What the tests of server moves (live migration, evacuation) look at, through the APIs: a
// consumer's allocations, a server's migrations and their status, the server once its task has
// ended, an action's events.
import { until } from './jobs.js';
import type { ServersCloud } from './servers.js';

/** The probes, for the cloud `cloud()` returns (a suite's, started once its tests run). */
export function moveProbes(cloud: () => ServersCloud) {
  const migrations = async (id: string) =>
    (await cloud().nova('GET', `/os-migrations?instance_uuid=${id}`)).body.migrations as any[];
  const migrationStatus = async (id: string) => (await migrations(id))[0]?.status as string | undefined;
  return {
    /** The consumer's allocations, resources by provider. */
    allocations: async (consumer: string) =>
      Object.fromEntries(
        Object.entries((await cloud().placement('GET', `/allocations/${consumer}`)).body.allocations).map(([k, v]) => [
          k,
          (v as any).resources,
        ]),
      ),
    migrations,
    migrationStatus,
    /** Waits for the server's latest migration to be in `status`. */
    inStatus: (id: string, status: string) =>
      until(`migration of ${id} ${status}`, async () => (await migrationStatus(id)) === status),
    /** [status, host, node] once the server's task state is null. */
    settled: async (id: string) => {
      let s: any;
      await until(`server ${id} settled`, async () => {
        s = (await cloud().nova('GET', `/servers/${id}`)).body.server;
        return s['OS-EXT-STS:task_state'] === null;
      });
      return [s.status, s['OS-EXT-SRV-ATTR:host'], s['OS-EXT-SRV-ATTR:hypervisor_hostname']];
    },
    /** The [event, result] pairs of the server's `action`, sorted. */
    events: async (id: string, action: string) => {
      const actions = (await cloud().nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions;
      const a = actions.find((x: any) => x.action === action);
      const shown = (await cloud().nova('GET', `/servers/${id}/os-instance-actions/${a.request_id}`)).body
        .instanceAction;
      return shown.events.map((e: any) => [e.event, e.result]).sort();
    },
  };
}
