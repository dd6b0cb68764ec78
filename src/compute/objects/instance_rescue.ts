// Rescue and unrescue as the API asks them (Nova's compute.api.API.rescue and unrescue): the
// state checks of Nova's decorators, then the task state, the action and the host's job in one
// transaction (requestPowerAction). The rescue password travels as the job's secret — in no
// payload, no answer but the rescue's own, and erased once the job has ended.
import type { Kysely } from 'kysely';
import type { JobQueue } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import { VmState, type Instance } from './instance.js';
import { Action } from './instance_action.js';
import {
  checkActionState,
  requestPowerAction,
  type ActionPayload,
  type Caller,
  type PowerAction,
} from './instance_lifecycle.js';
import { rejectVtpm } from './vtpm.js';

export const RESCUE_INSTANCE = 'rescue_instance';
export const UNRESCUE_INSTANCE = 'unrescue_instance';

export const RESCUE: PowerAction = {
  action: Action.RESCUE,
  job: RESCUE_INSTANCE,
  vmStates: [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR],
  taskStates: [null],
  taskState: 'rescuing',
};

export const UNRESCUE: PowerAction = {
  action: Action.UNRESCUE,
  job: UNRESCUE_INSTANCE,
  vmStates: [VmState.RESCUED],
  taskStates: [null],
  taskState: 'unrescuing',
};

export interface RescuePayload extends ActionPayload {
  /** The image the caller asked for; null: the host takes the server's own (its base image). */
  rescue_image_ref: string | null;
}

/** Nova's checks before the rescue image is looked at: no vTPM, not locked, a state that allows it. */
export async function checkRescue(db: Kysely<ComputeDB>, instance: Instance, caller: Caller): Promise<void> {
  await rejectVtpm(db, instance, Action.RESCUE);
  checkActionState(instance, caller, 'rescue', RESCUE);
}

export function requestRescue(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  instance: Instance,
  caller: Caller,
  password: string,
  rescueImageRef: string | null,
): Promise<void> {
  return requestPowerAction<RescuePayload>(
    db,
    jobs,
    instance,
    caller,
    'rescue',
    RESCUE,
    { rescue_image_ref: rescueImageRef },
    { admin_password: password },
  );
}

export function requestUnrescue(db: Kysely<ComputeDB>, jobs: JobQueue, instance: Instance, caller: Caller) {
  return requestPowerAction(db, jobs, instance, caller, 'unrescue', UNRESCUE);
}
