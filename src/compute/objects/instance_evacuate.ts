// Evacuation as the API asks it (Nova's compute.api.API.evacuate): a server whose host failed is
// rebuilt from its image on another host. The checks Nova makes before anything changes (a vTPM,
// the state, the source's compute service down; not the lock, which Nova's evacuate does not look
// at), then in one transaction the task state (rebuilding), the migration (evacuation, accepted:
// the record the source's host finds when it comes back), the instance action and the
// conductor's job.
//
// Then, each a job (conductor/evacuate.ts, manager/evacuate.ts):
//   evacuate_server (conductor)      the destination scheduled (the source set aside; a requested
//                                    host put through the filters) or forced, its claim added to
//                                    the source's in the instance's allocations; pre-migrating
//   evacuate_instance (destination)  the guest rebuilt there from the image; the instance's host
//                                    and node become the destination's; done
//   the source's agent, when it starts again: its guest destroyed, the source's allocations taken
//                                    out of the instance's; completed
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { inChunks, withTransaction } from '../../common/db/index.js';
import type { JobQueue } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import { ComputeServiceInUse, InstanceInvalidState } from '../exceptions.js';
import { updateInstance, VmState, type Db, type Instance } from './instance.js';
import { Action, startAction } from './instance_action.js';
import type { Caller } from './instance_lifecycle.js';
import { createMigration, type Migration } from './migration.js';
import { hostUp } from './servicegroup.js';
import { rejectVtpm } from './vtpm.js';

export const EVACUATE_SERVER = 'evacuate_server';
export const EVACUATE_INSTANCE = 'evacuate_instance';

/** The conductor's event, as Nova's conductor names it for a rebuild and an evacuation alike. */
export const CONDUCTOR_EVENT = 'rebuild_server';

export interface EvacuationPayload {
  uuid: string;
  migration_uuid: string;
  /** The request whose action the job's events belong to. */
  action_request_id: string;
  /** What the request said of the server's disk (before 2.14); null: the host decides. */
  on_shared_storage: boolean | null;
}

export interface EvacuateServerPayload extends EvacuationPayload {
  /** The destination the request names. */
  host: string | null;
  /** The named host taken as it is: the scheduler not asked (any host before 2.29, force from it). */
  force: boolean;
}

export interface EvacuateInstancePayload extends EvacuationPayload {
  /** The destination's availability zone, the instance's once it is there. */
  availability_zone: string;
}

/** The statuses of an evacuation whose guest and allocations its source's host cleans up when it
 * comes back: under way, or done (Nova's _destroy_evacuated_instances). */
export const EVACUATED_FROM_SOURCE = ['accepted', 'pre-migrating', 'done'];

/** An evacuation the conductor is still to schedule: accepted, or completed by a source that came
 * back before a destination was chosen. */
export const awaitsConductor = (m: Migration) =>
  m.status === 'accepted' || (m.status === 'completed' && m.dest_node === null);

/** An evacuation handed to its destination, its source cleaned up meanwhile or not. */
export const AT_DESTINATION = ['pre-migrating', 'completed'];

const EVACUABLE: string[] = [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR];

export interface EvacuationRequest {
  host: string | null;
  force: boolean;
  onSharedStorage: boolean | null;
}

/** Nova's check_instance_state for evacuate; a server that never had a host has nothing to leave. */
function checkState(i: Instance): void {
  const action = 'evacuate';
  if (!EVACUABLE.includes(i.vm_state ?? '')) throw new InstanceInvalidState(action, i.uuid, 'vm_state', i.vm_state);
  if (i.task_state !== null) throw new InstanceInvalidState(action, i.uuid, 'task_state', i.task_state);
  if (i.host === null || i.node === null) throw new InstanceInvalidState(action, i.uuid, 'vm_state', i.vm_state);
}

/** Starts the evacuation of `instance` from its failed host; the migration's uuid. */
export async function requestEvacuation(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  serviceDownTime: number,
  instance: Instance,
  caller: Caller,
  r: EvacuationRequest,
): Promise<string> {
  await rejectVtpm(db, instance, Action.EVACUATE);
  checkState(instance);
  const source = instance.host!;
  if (await hostUp(db, source, serviceDownTime)) throw new ComputeServiceInUse(source);
  const migrationUuid = randomUUID();
  await withTransaction(db, async (trx) => {
    const taken = await updateInstance(
      trx,
      instance.uuid,
      { task_state: 'rebuilding' },
      { taskState: [null], vmState: EVACUABLE },
    );
    if (!taken) throw new InstanceInvalidState('evacuate', instance.uuid, 'task_state', 'rebuilding');
    await createMigration(trx, {
      uuid: migrationUuid,
      instanceUuid: instance.uuid,
      sourceCompute: source,
      sourceNode: instance.node!,
      oldInstanceTypeId: null,
      newInstanceTypeId: null,
      userId: caller.userId ?? instance.user_id,
      projectId: caller.projectId ?? instance.project_id,
      migrationType: 'evacuation',
      status: 'accepted',
      destCompute: r.host,
    });
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: Action.EVACUATE,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
    const payload: EvacuateServerPayload = {
      uuid: instance.uuid,
      migration_uuid: migrationUuid,
      action_request_id: caller.requestId,
      on_shared_storage: r.onSharedStorage,
      host: r.host,
      force: r.force,
    };
    await jobs.enqueue<ComputeDB>(trx, {
      kind: EVACUATE_SERVER,
      payload,
      dedupeKey: `${EVACUATE_SERVER}:${migrationUuid}`,
    });
  });
  return migrationUuid;
}

/** The evacuations from `hosts` their source still has to clean up, oldest first. */
export async function evacuationsFrom(db: Db, hosts: string[]): Promise<Migration[]> {
  return inChunks(hosts, 500, (chunk) =>
    db
      .selectFrom('migrations')
      .selectAll()
      .where('migration_type', '=', 'evacuation')
      .where('source_compute', 'in', chunk)
      .where('status', 'in', EVACUATED_FROM_SOURCE)
      .where('deleted', '=', 0)
      .orderBy('id')
      .execute(),
  );
}
