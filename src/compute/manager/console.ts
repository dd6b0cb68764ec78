// The compute manager's answer to a console output call (Nova's
// ComputeManager.get_console_output): the driver's whole console, cut to the last lines asked for,
// as ASCII (what is not becomes U+FFFD, as Nova's decode('ascii', 'replace')). Nothing changes on
// the server, so a call run twice answers twice the same way.
import type { Job, JobHandler } from '../../common/jobs/index.js';
import { getInstance } from '../objects/instance.js';
import {
  GET_CONSOLE_OUTPUT,
  type ConsoleOutputPayload,
  type ConsoleOutputResult,
} from '../objects/instance_console.js';
import type { ManagerEnv } from './env.js';

/** The last `length` lines of `log` (null or -1: all; 0: none). */
export function tailLines(log: string, length: number | null): string {
  if (length === null || length === -1) return log;
  if (length === 0) return '';
  return log.split('\n').slice(-length).join('\n');
}

async function consoleOutput(env: ManagerEnv, job: Job): Promise<ConsoleOutputResult> {
  const p = job.payload as ConsoleOutputPayload;
  const i = await getInstance(env.database.db, p.uuid, { projectId: null }).catch(() => null);
  if (!i || i.host !== env.host) return { found: false };
  const output = tailLines(await env.driver.consoleOutput(i.uuid), p.length);
  // eslint-disable-next-line no-control-regex -- every character beyond ASCII is replaced
  return { output: output.replace(/[^\x00-\x7f]/g, '\ufffd') };
}

export function consoleHandlers(env: ManagerEnv): Record<string, JobHandler> {
  return { [GET_CONSOLE_OUTPUT]: (job) => consoleOutput(env, job) };
}
