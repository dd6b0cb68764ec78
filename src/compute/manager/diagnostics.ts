// The compute manager's answers to the diagnostics calls (Nova's ComputeManager.get_diagnostics
// and get_instance_diagnostics): the driver's, for a guest the driver says is running; otherwise
// the power state the database has, which the API names in its 409. Nothing changes on the
// server, so a call run twice answers twice the same way.
import type { Job, JobHandler } from '../../common/jobs/index.js';
import { getInstance } from '../objects/instance.js';
import {
  GET_DIAGNOSTICS,
  GET_INSTANCE_DIAGNOSTICS,
  type DiagnosticsPayload,
  type DiagnosticsResult,
} from '../objects/instance_diagnostics.js';
import { PowerState, powerStateName } from '../virt/driver.js';
import { guestOf, type ManagerEnv } from './env.js';

async function diagnostics(
  env: ManagerEnv,
  job: Job,
  method: 'diagnostics' | 'instanceDiagnostics',
): Promise<DiagnosticsResult<unknown>> {
  const p = job.payload as DiagnosticsPayload;
  const i = await getInstance(env.database.db, p.uuid, { projectId: null }).catch(() => null);
  if (!i || i.host !== env.host) return { found: false };
  if ((await env.driver.powerState(i.uuid)) !== PowerState.RUNNING) {
    return { powerState: powerStateName(i.power_state) };
  }
  const d = env.driver;
  if (!d[method]) return { notImplemented: true };
  return { diagnostics: await d[method](guestOf(i)) };
}

export function diagnosticsHandlers(env: ManagerEnv): Record<string, JobHandler> {
  return {
    [GET_DIAGNOSTICS]: (job) => diagnostics(env, job, 'diagnostics'),
    [GET_INSTANCE_DIAGNOSTICS]: (job) => diagnostics(env, job, 'instanceDiagnostics'),
  };
}
