// What administrators (and owners, for the deferred-delete pair) ask of a server beyond its power
// actions: os-resetState (nova/api/openstack/compute/admin_actions.py), restore and forceDelete
// (deferred_delete.py; forceDelete is a delete). Nothing here needs the server's host.
import type { Kysely } from 'kysely';
import { withTransaction } from '../../common/db/index.js';
import type { ComputeDB } from '../db/schema.js';
import { InstanceInvalidState } from '../exceptions.js';
import { updateInstance, VmState, type Instance } from './instance.js';
import { startAction } from './instance_action.js';
import type { Caller } from './instance_lifecycle.js';

/** The states os-resetState may put a server in. */
export const RESET_STATES = { active: VmState.ACTIVE, error: VmState.ERROR } as const;

/** Sets a server's vm_state and clears its task state, whatever it was doing: the operator's way
 * out of a stuck task. Recorded as the `reset_state` action. */
export async function resetState(
  db: Kysely<ComputeDB>,
  instance: Instance,
  caller: Caller,
  state: keyof typeof RESET_STATES,
): Promise<void> {
  await withTransaction(db, async (trx) => {
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: 'reset_state',
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
    await updateInstance(trx, instance.uuid, { vm_state: RESET_STATES[state], task_state: null });
  });
}

/** Restores a soft-deleted server. Deletes are never deferred here (Nova's default [DEFAULT]
 * reclaim_instance_interval = 0, the only one concord has), so no server is ever SOFT_DELETED and
 * every restore fails Nova's state check. */
export function restoreInstance(instance: Instance): never {
  throw new InstanceInvalidState('restore', instance.uuid, 'vm_state', instance.vm_state);
}
