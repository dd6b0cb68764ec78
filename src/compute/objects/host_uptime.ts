// A compute host's uptime (Nova's HostAPI.get_host_uptime), asked of the host, which the API waits
// for (objects/host_call.ts): what `uptime` prints there. Its service must be up, as Nova
// requires before it asks.
import type { Config } from '../../common/config.js';
import type { JobQueue } from '../../common/jobs/index.js';
import { ComputeServiceUnavailable, FeatureNotSupported } from '../exceptions.js';
import { callHost } from './host_call.js';
import type { Db } from './instance.js';
import { hostUp } from './servicegroup.js';

export const GET_HOST_UPTIME = 'get_host_uptime';

/** The host's answer, or that its driver cannot tell. */
export type HostUptimeResult = { uptime: string } | { notImplemented: true };

export async function getHostUptime(db: Db, jobs: JobQueue, config: Config, host: string): Promise<string> {
  if (!(await hostUp(db, host, config.serviceDownTime))) throw new ComputeServiceUnavailable(host);
  const result = await callHost<HostUptimeResult>(jobs, config, {
    kind: GET_HOST_UPTIME,
    host,
    payload: null,
    of: 'hypervisor',
  });
  if ('notImplemented' in result) throw new FeatureNotSupported();
  return result.uptime;
}
