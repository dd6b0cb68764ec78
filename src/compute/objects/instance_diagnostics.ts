// A server's diagnostics (Nova's compute.api.API.get_diagnostics and get_instance_diagnostics),
// asked of the instance's compute host, which the API waits for (objects/host_call.ts). The host
// answers only for a guest its driver says is running (Nova's ComputeManager raises
// InstanceInvalidState, naming the power state the database has); a driver that cannot tell is
// Nova's NotImplementedError.
import type { Config } from '../../common/config.js';
import type { JobQueue } from '../../common/jobs/index.js';
import { FeatureNotSupported, InstanceInvalidState, InstanceNotFound } from '../exceptions.js';
import type { InstanceDiagnostics } from '../virt/driver.js';
import { callInstanceHost } from './host_call.js';
import type { Db, Instance } from './instance.js';

/** The driver's own dict (before 2.48). */
export const GET_DIAGNOSTICS = 'get_diagnostics';
/** The standard form (from 2.48). */
export const GET_INSTANCE_DIAGNOSTICS = 'get_instance_diagnostics';

export interface DiagnosticsPayload {
  uuid: string;
}

/** The host's answer: the diagnostics; or that the instance is not its own (deleted, or moved
 * away, since the API looked), is not running (its power state's name, as the database has it),
 * or that the driver cannot tell. */
export type DiagnosticsResult<T> =
  { diagnostics: T } | { found: false } | { powerState: string } | { notImplemented: true };

async function ask<T>(db: Db, jobs: JobQueue, config: Config, instance: Instance, kind: string): Promise<T> {
  const payload: DiagnosticsPayload = { uuid: instance.uuid };
  const result = await callInstanceHost<DiagnosticsResult<T>>(db, jobs, config, instance, { kind, payload });
  if ('diagnostics' in result) return result.diagnostics;
  if ('powerState' in result) {
    throw new InstanceInvalidState('get_diagnostics', instance.uuid, 'power state', result.powerState);
  }
  if ('notImplemented' in result) throw new FeatureNotSupported();
  throw new InstanceNotFound(instance.uuid);
}

export const getDiagnostics = (db: Db, jobs: JobQueue, config: Config, instance: Instance) =>
  ask<Record<string, number>>(db, jobs, config, instance, GET_DIAGNOSTICS);

export const getInstanceDiagnostics = (db: Db, jobs: JobQueue, config: Config, instance: Instance) =>
  ask<InstanceDiagnostics>(db, jobs, config, instance, GET_INSTANCE_DIAGNOSTICS);
