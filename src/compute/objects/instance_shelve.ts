// Shelving as the API asks it (Nova's compute.api.API.shelve, shelve_offload and unshelve) and
// as the compute hosts' periodic task finds it due (_poll_shelved_instances): the checks Nova makes
// before anything changes, then in one transaction the task state, the instance action and the
// job — the host's shelve_instance or shelve_offload_instance, the conductor's unshelve_server.
// A shelved server keeps in its system metadata when it was shelved, into which image and on
// which host (shelved_at, shelved_image_id, shelved_host) until it is unshelved.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { ClientError, type Call, type ImageClient } from '../../common/clients/index.js';
import type { Config } from '../../common/config.js';
import { withTransaction } from '../../common/db/index.js';
import type { JobQueue } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import {
  ComputeHostNotFound,
  Invalid,
  InstanceInvalidState,
  UnshelveHostNotInAZ,
  UnshelveInstanceInvalidState,
} from '../exceptions.js';
import { hostAvailabilityZone, servicesWithZones, zonesOf } from './availability_zone.js';
import { computeNodesOfHosts } from './compute_node.js';
import { now, updateInstance, VmState, type Db, type Instance, type InstanceRow } from './instance.js';
import { Action, startAction } from './instance_action.js';
import { checkLocked, type ActionPayload, type Caller } from './instance_lifecycle.js';
import { allSystemMetadata } from './instance_system_metadata.js';
import { getRequestSpec, saveRequestSpec } from './request_spec.js';

/** The host's: power the guest off, snapshot it into the image, and offload it when
 * [DEFAULT] shelved_offload_time is 0. */
export const SHELVE_INSTANCE = 'shelve_instance';
/** The host's: destroy the guest and free its allocations. */
export const SHELVE_OFFLOAD_INSTANCE = 'shelve_offload_instance';
/** The conductor's: start a shelved server on its host, or schedule an offloaded one. */
export const UNSHELVE_SERVER = 'unshelve_server';
/** The chosen host's: spawn an offloaded server from its shelved image. */
export const UNSHELVE_INSTANCE = 'unshelve_instance';

export interface ShelvePayload extends ActionPayload {
  /** The image the API created in Glance for the guest's disk. */
  image_id: string;
}

export interface UnshelveServerPayload extends ActionPayload {
  /** The host asked for (2.91), which the scheduler still checks. */
  host?: string;
}

export interface UnshelveInstancePayload extends ActionPayload {
  /** The shelved image the guest is spawned from. */
  image_id: string;
}

/** What a shelved server keeps until it is unshelved. */
const SHELVED_KEYS = ['shelved_at', 'shelved_image_id', 'shelved_host'] as const;

/** The task states of a shelve before its snapshot is uploaded. */
export const SHELVING = ['shelving', 'shelving_image_pending_upload', 'shelving_image_uploading'];

const SHELVABLE: string[] = [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED];
const UNSHELVABLE: string[] = [VmState.SHELVED, VmState.SHELVED_OFFLOADED];

/** Nova's check_instance_state with its default: no task under way. */
function checkState(action: string, i: Instance, vmStates: string[]): void {
  if (!vmStates.includes(i.vm_state ?? '')) throw new InstanceInvalidState(action, i.uuid, 'vm_state', i.vm_state);
  if (i.task_state !== null) throw new InstanceInvalidState(action, i.uuid, 'task_state', i.task_state);
}

/** Whether `instance` may be shelved by `caller` (before its image is created). */
export function checkShelve(instance: Instance, caller: Caller): void {
  checkLocked(instance, caller);
  checkState('shelve', instance, SHELVABLE);
  if (instance.host === null) throw new InstanceInvalidState('shelve', instance.uuid, 'vm_state', instance.vm_state);
}

/** Hands the shelve to the server's host once Glance has the (queued) image for its disk. False
 * when the server's state changed meanwhile (the caller deletes the image). */
export async function requestShelve(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  instance: Instance,
  caller: Caller,
  imageId: string,
): Promise<boolean> {
  return withTransaction(db, async (trx) => {
    const moved = await updateInstance(
      trx,
      instance.uuid,
      { task_state: 'shelving' },
      { taskState: [null], vmState: SHELVABLE },
    );
    if (!moved) return false;
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: Action.SHELVE,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
    const payload: ShelvePayload = { uuid: instance.uuid, action_request_id: caller.requestId, image_id: imageId };
    await jobs.enqueue<ComputeDB>(trx, {
      kind: SHELVE_INSTANCE,
      target: instance.host,
      payload,
      dedupeKey: `${SHELVE_INSTANCE}:${imageId}`,
    });
    return true;
  });
}

/** Marks a shelved server for offloading and hands it to its host (the action's events go to the
 * action of `requestId`). False when it is no longer shelved and idle. */
async function startOffload(
  db: Db,
  jobs: JobQueue,
  instance: Pick<Instance, 'uuid' | 'host'>,
  requestId: string,
): Promise<boolean> {
  const moved = await updateInstance(
    db,
    instance.uuid,
    { task_state: 'shelving_offloading' },
    { taskState: [null], vmState: [VmState.SHELVED] },
  );
  if (!moved) return false;
  const payload: ActionPayload = { uuid: instance.uuid, action_request_id: requestId };
  await jobs.enqueue<ComputeDB>(db, {
    kind: SHELVE_OFFLOAD_INSTANCE,
    target: instance.host,
    payload,
    dedupeKey: `${SHELVE_OFFLOAD_INSTANCE}:${requestId}:${instance.uuid}`,
  });
  return true;
}

/** Offloads a shelved server now (shelveOffload). */
export async function requestShelveOffload(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  instance: Instance,
  caller: Caller,
): Promise<void> {
  checkLocked(instance, caller);
  checkState('shelveOffload', instance, [VmState.SHELVED]);
  await withTransaction(db, async (trx) => {
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: Action.SHELVE_OFFLOAD,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
    if (!(await startOffload(trx, jobs, instance, caller.requestId))) {
      throw new InstanceInvalidState('shelveOffload', instance.uuid, 'task_state', 'shelving_offloading');
    }
  });
}

export interface Unshelve {
  /** Absent: the server's zone stays; null (2.91): the server is pinned to none; a name (2.77). */
  availabilityZone?: string | null;
  /** A host to unshelve on (2.91). */
  host?: string;
  /** Throws unless the caller may name a host (os-shelve:unshelve_to_host); asked only when one is. */
  authorizeHost(): void;
}

/** Restores a shelved server: on its host when it is still there, else through the scheduler —
 * into the zone or onto the host asked for, which Nova allows for offloaded servers only. */
export async function requestUnshelve(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  config: Config,
  instance: Instance,
  caller: Caller,
  r: Unshelve,
): Promise<void> {
  checkLocked(instance, caller);
  checkState('unshelve', instance, UNSHELVABLE);
  const zonePassed = r.availabilityZone !== undefined;
  if ((zonePassed || r.host) && instance.vm_state !== VmState.SHELVED_OFFLOADED) {
    throw new UnshelveInstanceInvalidState(instance.uuid, instance.vm_state);
  }
  if (r.availabilityZone) {
    const { available } = zonesOf(await servicesWithZones(db, config));
    if (!available.includes(r.availabilityZone)) throw new Invalid('The requested availability zone is not available');
  }
  const spec = await getRequestSpec(db, instance.uuid);
  const zone = zonePassed ? (r.availabilityZone ?? null) : (spec?.availability_zone ?? null);
  if (r.host) {
    r.authorizeHost();
    if (!(await computeNodesOfHosts(db, [r.host])).length) throw new ComputeHostNotFound(r.host);
    if (zone !== null && (await hostAvailabilityZone(db, config, r.host)) !== zone) {
      throw new UnshelveHostNotInAZ(r.host, zone);
    }
  }
  await withTransaction(db, async (trx) => {
    const moved = await updateInstance(
      trx,
      instance.uuid,
      { task_state: 'unshelving' },
      { taskState: [null], vmState: UNSHELVABLE },
    );
    if (!moved) throw new InstanceInvalidState('unshelve', instance.uuid, 'task_state', 'unshelving');
    // The zone is kept for later schedulings, as Nova saves the request spec, even when this one
    // finds no host.
    if (spec && zonePassed) await saveRequestSpec(trx, { ...spec, availability_zone: zone });
    await startAction(trx, {
      instanceUuid: instance.uuid,
      action: Action.UNSHELVE,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
    });
    const payload: UnshelveServerPayload = {
      uuid: instance.uuid,
      action_request_id: caller.requestId,
      ...(r.host ? { host: r.host } : {}),
    };
    await jobs.enqueue<ComputeDB>(trx, {
      kind: UNSHELVE_SERVER,
      payload,
      dedupeKey: `${UNSHELVE_SERVER}:${caller.requestId}:${instance.uuid}`,
    });
  });
}

/** Sets columns of an offloaded server being unshelved that no host has yet: false once a host
 * has it (a conductor run that stalled past its lease finds it placed by the next run) or it is
 * gone. */
export async function updateUnplaced(db: Db, uuid: string, values: Partial<Omit<InstanceRow, 'id' | 'uuid'>>) {
  const r = await db
    .updateTable('instances')
    .set({ ...values, updated_at: now() })
    .where('uuid', '=', uuid)
    .where('deleted', '=', 0)
    .where('vm_state', '=', VmState.SHELVED_OFFLOADED)
    .where('task_state', '=', 'unshelving')
    .where('host', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The shelved image of a server, if it has one. */
export async function shelvedImageOf(db: Db, uuid: string): Promise<string | null> {
  return (await allSystemMetadata(db, uuid)).shelved_image_id ?? null;
}

/** Forgets that a server was shelved (its SHELVED_KEYS). */
export async function forgetShelved(db: Db, uuid: string): Promise<void> {
  await db
    .deleteFrom('instance_system_metadata')
    .where('instance_uuid', '=', uuid)
    .where('key', 'in', [...SHELVED_KEYS])
    .execute();
}

/** Deletes a shelved image; one already gone, or one the caller may not delete, is left to
 * Glance, and any other failure only logged, as Nova goes on without it. */
export async function deleteShelvedImage(image: ImageClient, call: Call, id: string, log: Logger): Promise<void> {
  try {
    await image.delete(call, id);
  } catch (e) {
    if (e instanceof ClientError && (e.status === 404 || e.status === 403)) return;
    log.warn({ image: id, err: e instanceof Error ? e.message : String(e) }, 'could not delete a shelved image');
  }
}

/** The servers of `hosts` shelved longer than `offloadSeconds`, each marked for offloading and
 * handed to its host (Nova's _poll_shelved_instances); their events join the server's latest
 * action (the shelve), as Nova's periodic task finds it. Returns the servers handed over. */
export async function offloadShelvedInstances(
  db: Kysely<ComputeDB>,
  jobs: JobQueue,
  hosts: readonly string[],
  offloadSeconds: number,
  nowMs = Date.now(),
): Promise<string[]> {
  const ours = new Set(hosts);
  const rows = await db
    .selectFrom('instances')
    .innerJoin('instance_system_metadata as m', 'm.instance_uuid', 'instances.uuid')
    .select(['instances.uuid', 'instances.host', 'm.value as shelved_at'])
    .where('instances.deleted', '=', 0)
    .where('instances.vm_state', '=', VmState.SHELVED)
    .where('instances.task_state', 'is', null)
    .where('m.key', '=', 'shelved_at')
    .where('m.deleted', '=', 0)
    .execute();
  const before = nowMs - offloadSeconds * 1000;
  const due = rows.filter((r) => r.host !== null && ours.has(r.host) && Date.parse(r.shelved_at ?? '') <= before);
  const handed: string[] = [];
  for (const r of due) {
    const started = await withTransaction(db, async (trx) => {
      const action = await trx
        .selectFrom('instance_actions')
        .select('request_id')
        .where('instance_uuid', '=', r.uuid)
        .orderBy('id', 'desc')
        .executeTakeFirst();
      return startOffload(trx, jobs, r, action?.request_id ?? '');
    });
    if (started) handed.push(r.uuid);
  }
  return handed;
}
