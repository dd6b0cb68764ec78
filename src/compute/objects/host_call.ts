// A question the API asks a compute host and waits for (Nova's RPC calls to nova-compute: a
// console's output, a guest's diagnostics, the host's uptime). Concord's agents listen on no
// socket: the question is a call job aimed at the host (common/jobs/call.ts), which its agent
// claims like any other job and answers with its handler's result; the API waits [DEFAULT]
// rpc_response_timeout for it. Nova lets a host's silence or failure through as a 500; here they
// are a 504 and a 502.
import type { Config } from '../../common/config.js';
import { callJob, JobCallTimeout, type JobQueue } from '../../common/jobs/index.js';
import { HostCallFailed, HostCallTimeout, InstanceNotReady, ServiceUnavailable } from '../exceptions.js';
import type { Db, Instance } from './instance.js';
import { hostUp } from './servicegroup.js';

/** What `host` answered to `kind`; `of` says in the errors whose host it is (the instance's, the
 * hypervisor's). */
export async function callHost<T>(
  jobs: JobQueue,
  config: Config,
  call: { kind: string; host: string; payload: unknown; of: 'instance' | 'hypervisor' },
): Promise<T> {
  let outcome;
  try {
    outcome = await callJob(
      jobs,
      { kind: call.kind, target: call.host, payload: call.payload },
      config.rpcResponseTimeout * 1000,
    );
  } catch (e) {
    if (e instanceof JobCallTimeout) throw new HostCallTimeout(call.of);
    throw e;
  }
  if (!outcome.ok) throw new HostCallFailed(call.of);
  return outcome.result as T;
}

/** What the host of `instance` answered to `kind`. Nova checks only that the instance has a host
 * (409); a host whose service is down is refused at once here (409), as Nova refuses the actions
 * that check the host is up, rather than after waiting out the timeout for an agent that is not
 * there. */
export async function callInstanceHost<T>(
  db: Db,
  jobs: JobQueue,
  config: Config,
  instance: Instance,
  call: { kind: string; payload: unknown },
): Promise<T> {
  if (instance.host === null) throw new InstanceNotReady(instance.uuid);
  if (!(await hostUp(db, instance.host, config.serviceDownTime))) throw new ServiceUnavailable();
  return callHost<T>(jobs, config, { ...call, host: instance.host, of: 'instance' });
}
