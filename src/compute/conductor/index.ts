// The conductor (Nova's conductor.manager.ComputeTaskManager.schedule_and_build_instances and
// build_instances): runs `build_instances` jobs — schedules the request's instances and, per
// instance in one transaction, puts it on its host and hands it to that host as a
// `spawn_instance` job; or, when no host fits, puts every instance of the request in ERROR with a
// fault that explains why. A job run again (its conductor died) starts over from the database:
// instances already placed are left alone, claims of an unfinished run are released first.
import { expressionBuilder, type Compilable, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../../common/config.js';
import { executeAtomically, withTransaction, type Engine } from '../../common/db/index.js';
import { now } from '../../common/time.js';
import type { Job, JobHandler, JobQueue } from '../../common/jobs/index.js';
import { asService, ClientError } from '../../common/clients/index.js';
import type { ComputeClients } from '../context.js';
import type { ComputeDB } from '../db/schema.js';
import { instanceUpdate, updateInstance, VmState } from '../objects/instance.js';
import { finishEvent, finishEventQueries, startEvent } from '../objects/instance_action.js';
import { BUILD_INSTANCES, type BuildInstancesPayload } from '../objects/instance_create.js';
import { addFault } from '../objects/instance_fault.js';
import { parseRequestSpec } from '../objects/request_spec.js';
import {
  explain,
  NoValidHost,
  releaseClaim,
  selectDestinations,
  type Destination,
  type Placed,
  type Selection,
} from '../scheduler/index.js';
import type { HostStateCache } from '../scheduler/host_state_cache.js';

export const SPAWN_INSTANCE = 'spawn_instance';
const EVENT = 'conductor_schedule_and_build_instances';

export interface SpawnPayload {
  uuid: string;
  /** 1 for the first host tried. */
  attempt: number;
  alternates: Destination[];
  /** The `create` action's request id; looked up when absent. */
  request_id?: string;
}

/** A reschedule: the instance's alternates, tried in order (the scheduler is not asked again). */
export interface RescheduleFields {
  alternates?: Record<string, Destination[]>;
}

export interface ConductorEnv {
  db: Kysely<ComputeDB>;
  engine: Engine;
  config: Config;
  jobs: JobQueue;
  clients: ComputeClients;
  log: Logger;
  /** Placement answers shared by this process's schedulings. */
  hostStateCache?: HostStateCache;
}

/** The request id of the action an instance's build belongs to (its events go there). */
export async function buildRequestId(db: Kysely<ComputeDB>, uuid: string): Promise<string> {
  const row = await db
    .selectFrom('instance_actions')
    .select('request_id')
    .where('instance_uuid', '=', uuid)
    .where('action', '=', 'create')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row?.request_id ?? '';
}

/** Claims an alternate the failed host's scheduling had kept (Nova's reschedule to alternates); a
 * resize's reschedule too. */
export async function claimAlternate(
  env: ConductorEnv,
  inst: Placed,
  alternates: Destination[],
): Promise<Selection | null> {
  for (const [i, alt] of alternates.entries()) {
    if (inst.spec.retry.hosts.includes(alt.host)) continue;
    try {
      await env.clients.placement.allocations.put(asService(), inst.uuid, {
        allocations: alt.allocation,
        project_id: inst.projectId,
        user_id: inst.userId,
        consumer_generation: null,
        consumer_type: 'INSTANCE',
      });
    } catch (e) {
      if (e instanceof ClientError && e.status === 409) continue;
      throw e;
    }
    return { ...alt, alternates: alternates.slice(i + 1) };
  }
  return null;
}

/** Puts the instance on its host and hands it over, in one round trip with its commit on
 * PostgreSQL: the spawn job is added only if the instance was still being scheduled (its row
 * then shows the update's time, host and cleared task); false when it was not (deleted meanwhile,
 * or placed by another run of this job). The conductor's event is closed either way, as Nova's
 * EventReporter does once schedule_and_build_instances is through. */
async function handOver(
  env: ConductorEnv,
  inst: Placed,
  sel: Selection,
  requestId: string,
  last: Compilable<unknown>[],
): Promise<boolean> {
  const attempt = inst.spec.retry.num_attempts + 1;
  const ts = now();
  const payload: SpawnPayload = { uuid: inst.uuid, attempt, alternates: sel.alternates, request_id: requestId };
  const spawn = { kind: SPAWN_INSTANCE, target: sel.host, payload, dedupeKey: `${inst.uuid}:${attempt}` };
  const placedNow = expressionBuilder<ComputeDB>().exists(
    env.db
      .selectFrom('instances')
      .select('id')
      .where('uuid', '=', inst.uuid)
      .where('deleted', '=', 0)
      .where('host', '=', sel.host)
      .where('task_state', 'is', null)
      .where('updated_at', '=', ts),
  );
  const [placed, job] = await executeAtomically(env.db, [
    instanceUpdate(
      env.db,
      inst.uuid,
      {
        host: sel.host,
        node: sel.node,
        task_state: null,
        availability_zone: inst.spec.availability_zone ?? sel.availabilityZone,
        updated_at: ts,
      },
      { taskState: ['scheduling'] },
    ),
    env.jobs.enqueueQuery(env.db, spawn, placedNow),
    ...finishEventQueries(env.db, inst.uuid, requestId, EVENT),
    ...last,
  ]);
  env.jobs.enqueued(spawn.kind, job);
  return Number(placed.numAffectedRows) === 1;
}

async function noValidHost(
  env: ConductorEnv,
  inst: Placed,
  requestId: string,
  err: NoValidHost,
  failed: string,
): Promise<void> {
  const details =
    failed === inst.uuid
      ? explain(err.explanation)
      : `Another instance of the request, ${failed}, found no host:\n${explain(err.explanation)}`;
  await withTransaction(env.db, async (trx) => {
    const moved = await updateInstance(
      trx,
      inst.uuid,
      { vm_state: VmState.ERROR, task_state: null },
      { taskState: ['scheduling'] },
    );
    if (!moved) return;
    await addFault(trx, inst.uuid, { code: 500, message: err.message, details, host: null });
    await finishEvent(trx, inst.uuid, requestId, EVENT, { message: err.message, details });
  });
}

/** Nova's MaxRetriesExceeded, as a fault says it. */
export const maxRetriesMessage = (uuid: string) =>
  `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${uuid}.`;

/** Every host a reschedule could go to has failed or is full (Nova's MaxRetriesExceeded). */
async function retriesExhausted(env: ConductorEnv, inst: Placed, requestId: string): Promise<void> {
  const message = maxRetriesMessage(inst.uuid);
  const details = `Builds failed on ${inst.spec.retry.hosts.join(', ')}; no alternate host left to try.`;
  await withTransaction(env.db, async (trx) => {
    const moved = await updateInstance(
      trx,
      inst.uuid,
      { vm_state: VmState.ERROR, task_state: null },
      { taskState: ['scheduling'] },
    );
    if (!moved) return;
    await addFault(trx, inst.uuid, { code: 500, message, details, host: null });
    await finishEvent(trx, inst.uuid, requestId, EVENT, { message, details });
  });
}

/** The job's last attempt failed for a reason other than a lack of hosts (Placement unreachable,
 * say): its instances go to ERROR rather than waiting in BUILD forever. */
async function buildFailed(env: ConductorEnv, uuids: string[], error: unknown): Promise<void> {
  const message = `Build of instance failed: ${(error instanceof Error ? error.message : String(error)).split('\n', 1)[0]!}`;
  for (const uuid of uuids) {
    const requestId = await buildRequestId(env.db, uuid);
    await withTransaction(env.db, async (trx) => {
      if (
        !(await updateInstance(trx, uuid, { vm_state: VmState.ERROR, task_state: null }, { taskState: ['scheduling'] }))
      )
        return;
      await addFault(trx, uuid, { code: 500, message: message.slice(0, 255), details: message, host: null });
      await finishEvent(trx, uuid, requestId, EVENT, { message });
    });
  }
}

async function buildInstances(env: ConductorEnv, job: Job): Promise<void> {
  try {
    await schedule(env, job);
  } catch (e) {
    if (job.attempt >= job.maxAttempts)
      await buildFailed(env, (job.payload as BuildInstancesPayload).instance_uuids, e);
    throw e;
  }
}

async function schedule(env: ConductorEnv, job: Job): Promise<void> {
  const payload = job.payload as BuildInstancesPayload & RescheduleFields;
  // The instances still to schedule, with their request specs.
  const rows = await env.db
    .selectFrom('instances as i')
    .innerJoin('request_specs as r', 'r.instance_uuid', 'i.uuid')
    .select(['i.uuid', 'i.project_id', 'i.user_id', 'r.spec'])
    .where('i.uuid', 'in', payload.instance_uuids)
    .where('i.deleted', '=', 0)
    .where('i.task_state', '=', 'scheduling')
    .where('i.host', 'is', null)
    .execute();
  const instances: Placed[] = rows.map((r) => ({
    uuid: r.uuid,
    projectId: r.project_id,
    userId: r.user_id,
    spec: parseRequestSpec(r.spec),
  }));
  if (!instances.length) return;
  // An earlier run may have claimed before it died.
  if (job.attempt > 1) for (const i of instances) await releaseClaim(env.clients.placement, i.uuid);
  const requestIds = new Map<string, string>();
  for (const i of instances) requestIds.set(i.uuid, payload.request_id ?? (await buildRequestId(env.db, i.uuid)));
  // The request's events in one commit (a disk flush each on PostgreSQL); one instance's, the
  // usual request, is one statement that commits by itself.
  const openEvents = async (d: Kysely<ComputeDB>) => {
    for (const i of instances) await startEvent(d, i.uuid, requestIds.get(i.uuid)!, EVENT, null);
  };
  if (instances.length === 1) await openEvents(env.db);
  else await withTransaction(env.db, openEvents);
  let selections = new Map<string, Selection>();
  const pending: Placed[] = [];
  for (const i of instances) {
    const alternates = payload.alternates?.[i.uuid];
    // A reschedule goes to the alternates its first scheduling chose, as Nova's does.
    if (alternates === undefined) {
      pending.push(i);
      continue;
    }
    const sel = await claimAlternate(env, i, alternates);
    if (sel) selections.set(i.uuid, sel);
    else await retriesExhausted(env, i, requestIds.get(i.uuid)!);
  }
  if (pending.length) {
    try {
      selections = new Map([
        ...selections,
        ...(await selectDestinations({ ...env, placement: env.clients.placement }, pending)),
      ]);
    } catch (e) {
      if (!(e instanceof NoValidHost)) throw e;
      env.log.info({ instances: instances.map((i) => i.uuid) }, explain(e.explanation));
      for (const i of selections.keys()) await releaseClaim(env.clients.placement, i);
      for (const i of instances) await noValidHost(env, i, requestIds.get(i.uuid)!, e, e.explanation.instance);
      return;
    }
  }
  // Those whose alternates were all used up are in ERROR already.
  const placed = instances.filter((i) => selections.has(i.uuid));
  for (const [n, i] of placed.entries()) {
    // The last hand-over ends the job in its commit.
    const last = n === placed.length - 1 ? [job.successQuery()] : [];
    if (await handOver(env, i, selections.get(i.uuid)!, requestIds.get(i.uuid)!, last)) continue;
    // Not scheduling any more. Deleted meanwhile: the claim made here is nobody's. Placed by
    // another run of this job (this one stalled past its lease): the claim is that run's.
    if (!(await placedMeanwhile(env.db, i.uuid))) await releaseClaim(env.clients.placement, i.uuid);
  }
}

async function placedMeanwhile(db: Kysely<ComputeDB>, uuid: string): Promise<boolean> {
  const row = await db
    .selectFrom('instances')
    .select('host')
    .where('uuid', '=', uuid)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return row?.host != null;
}

export function conductorHandlers(env: ConductorEnv): Record<string, JobHandler> {
  return { [BUILD_INSTANCES]: (job) => buildInstances(env, job) };
}
