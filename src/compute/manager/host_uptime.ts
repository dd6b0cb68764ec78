// The compute manager's answer to get_host_uptime (Nova's ComputeManager.get_host_uptime): what
// the host's driver tells, or that it cannot.
import type { JobHandler } from '../../common/jobs/index.js';
import { GET_HOST_UPTIME, type HostUptimeResult } from '../objects/host_uptime.js';
import type { ManagerEnv } from './env.js';

export function hostUptimeHandlers(env: ManagerEnv): Record<string, JobHandler> {
  return {
    [GET_HOST_UPTIME]: async (): Promise<HostUptimeResult> =>
      env.driver.hostUptime ? { uptime: await env.driver.hostUptime() } : { notImplemented: true },
  };
}
