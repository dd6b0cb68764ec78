// A server's console output (Nova's compute.api.API.get_console_output), asked of the instance's
// compute host, which the API waits for (objects/host_call.ts); any vm_state will do (a stopped
// guest's console is still there).
import type { Config } from '../../common/config.js';
import type { JobQueue } from '../../common/jobs/index.js';
import { InstanceNotFound } from '../exceptions.js';
import { callInstanceHost } from './host_call.js';
import type { Db, Instance } from './instance.js';

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
  const payload: ConsoleOutputPayload = { uuid: instance.uuid, length };
  const result = await callInstanceHost<ConsoleOutputResult>(db, jobs, config, instance, {
    kind: GET_CONSOLE_OUTPUT,
    payload,
  });
  if (!('output' in result)) throw new InstanceNotFound(instance.uuid);
  return result.output;
}
