// A server's console output (Nova's compute.api.API.get_console_output): the API asks the
// instance's compute host and waits for its answer, Nova's one RPC *call* among the casts of the
// server actions. Concord's agents listen on no socket: the question is a call job aimed at the
// host (common/jobs/call.ts), which its agent claims like any other job and answers with its
// handler's result; the API waits [DEFAULT] rpc_response_timeout for it. Nova checks only that the
// instance has a host (any vm_state will do: a stopped guest's console is still there); a host
// whose service is down is refused at once here, as Nova refuses the actions that check the host
// is up, rather than after waiting out the timeout for an agent that is not there.
import type { Config } from '../../common/config.js';
import { callJob, JobCallTimeout, type JobQueue } from '../../common/jobs/index.js';
import {
  HostCallFailed,
  HostCallTimeout,
  InstanceNotFound,
  InstanceNotReady,
  ServiceUnavailable,
} from '../exceptions.js';
import type { Db, Instance } from './instance.js';
import { hostUp } from './servicegroup.js';

export const GET_CONSOLE_OUTPUT = 'get_console_output';

export interface ConsoleOutputPayload {
  uuid: string;
  /** The last lines wanted; null or -1: all of them. */
  length: number | null;
}

/** The host's answer: the output, or that the instance is not its own (deleted, or moved away,
 * since the API looked). */
export type ConsoleOutputResult = { output: string } | { found: false };

export async function getConsoleOutput(
  db: Db,
  jobs: JobQueue,
  config: Config,
  instance: Instance,
  length: number | null,
): Promise<string> {
  if (instance.host === null) throw new InstanceNotReady(instance.uuid);
  if (!(await hostUp(db, instance.host, config.serviceDownTime))) throw new ServiceUnavailable();
  const payload: ConsoleOutputPayload = { uuid: instance.uuid, length };
  let outcome;
  try {
    outcome = await callJob(
      jobs,
      { kind: GET_CONSOLE_OUTPUT, target: instance.host, payload },
      config.rpcResponseTimeout * 1000,
    );
  } catch (e) {
    if (e instanceof JobCallTimeout) throw new HostCallTimeout();
    throw e;
  }
  if (!outcome.ok) throw new HostCallFailed();
  const result = outcome.result as ConsoleOutputResult;
  if (!('output' in result)) throw new InstanceNotFound(instance.uuid);
  return result.output;
}
