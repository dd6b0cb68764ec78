// The conductor's part of a resize or cold migration (Nova's conductor MigrationTask): the
// instance's allocations on the source move to the migration as consumer, the scheduler chooses
// and claims a destination for the new flavor in the instance's name (the source itself only for
// a resize with [DEFAULT] allow_resize_to_same_host; a migration's requested host only), and the
// destination gets a prep_resize job. No host: the allocations move back, the migration is in error and the server is as it was, with a fault.
// A reschedule (prep_resize failed on a host) tries the alternates its first scheduling kept.
import type { Kysely } from 'kysely';
import { asService, type PlacementClient } from '../../common/clients/index.js';
import { withTransaction } from '../../common/db/index.js';
import type { Job, JobHandler } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import { updateInstance, type Instance } from '../objects/instance.js';
import { finishEvent, startEvent } from '../objects/instance_action.js';
import { addFault } from '../objects/instance_fault.js';
import { saveFlavors } from '../objects/instance_flavor.js';
import { MIGRATE_SERVER, PREP_RESIZE, type MigrateServerPayload } from '../objects/instance_resize.js';
import { moveAllocations, moveOf, updateMigration, type Migration } from '../objects/migration.js';
import { getRequestSpec } from '../objects/request_spec.js';
import {
  explain,
  NoValidHost,
  placedAgain,
  releaseClaim,
  selectDestinations,
  type Destination,
  type Selection,
} from '../scheduler/index.js';
import { claimAlternate, maxRetriesMessage, type ConductorEnv } from './index.js';

const EVENT = 'conductor_migrate_server';

/** Ends a resize that did not get going: the source's allocations back to the instance (in
 * place of any claim on a destination), the migration in error, the server in the state it had
 * (task state cleared) with a fault, the step's event failed. */
export async function abortResize(
  ctx: { db: Kysely<ComputeDB>; placement: PlacementClient },
  i: Instance,
  m: Migration,
  step: { requestId: string; event: string; taskStates: string[]; host: string | null },
  error: { message: string; details: string },
): Promise<void> {
  await moveAllocations(ctx.placement, { uuid: m.uuid, type: 'MIGRATION' }, { uuid: i.uuid, type: 'INSTANCE' });
  await withTransaction(ctx.db, async (trx) => {
    await updateMigration(trx, m.uuid, { status: 'error' });
    if (!(await updateInstance(trx, i.uuid, { task_state: null }, { taskState: step.taskStates }))) return;
    await saveFlavors(trx, i.uuid, { ...i.flavor, new: null });
    await addFault(trx, i.uuid, {
      code: 500,
      message: error.message.slice(0, 255),
      details: error.details,
      host: step.host,
    });
    await finishEvent(trx, i.uuid, step.requestId, step.event, error);
  });
}

async function schedule(
  env: ConductorEnv,
  i: Instance,
  m: Migration,
  p: MigrateServerPayload,
): Promise<Selection | NoValidHost | null> {
  const spec = await getRequestSpec(env.db, i.uuid);
  if (!spec) return null;
  // A cold migration never stays on its host (Nova's ignore_hosts for a migration).
  const ignore = env.config.allowResizeToSameHost && m.migration_type === 'resize' ? [] : [i.host!];
  const placed = placedAgain(i, spec, {
    flavor: p.flavor['nova_object.data'],
    ignoreHosts: ignore,
    forceHost: p.host ?? null,
    retry: { num_attempts: p.attempt - 1, hosts: p.retry_hosts },
  });
  if (p.alternates) return claimAlternate(env, placed, p.alternates as Destination[]);
  try {
    return (await selectDestinations({ ...env, placement: env.clients.placement }, [placed])).get(i.uuid)!;
  } catch (e) {
    if (e instanceof NoValidHost) return e;
    throw e;
  }
}

async function migrateServer(env: ConductorEnv, job: Job): Promise<void> {
  const p = job.payload as MigrateServerPayload;
  const placement = env.clients.placement;
  const move = await moveOf(env.db, p.uuid, p.migration_uuid);
  if (!move || move.m.status !== 'pre-migrating' || move.i.task_state !== 'resize_prep') return;
  const { i, m } = move;
  await startEvent(env.db, i.uuid, p.action_request_id, EVENT, null);
  // The source's allocations become the migration's. Already there (an earlier run, or a
  // reschedule): whatever the instance holds is a claim of a run that did not finish.
  const held = await placement.allocations.get(asService(), m.uuid);
  if (Object.keys(held.allocations).length) await releaseClaim(placement, i.uuid);
  else await moveAllocations(placement, { uuid: i.uuid, type: 'INSTANCE' }, { uuid: m.uuid, type: 'MIGRATION' });

  const step = { requestId: p.action_request_id, event: EVENT, taskStates: ['resize_prep'], host: null };
  const sel = await schedule(env, i, m, p);
  if (sel === null || sel instanceof NoValidHost) {
    const message = sel ? sel.message : maxRetriesMessage(i.uuid);
    const details = sel
      ? explain(sel.explanation)
      : `Resize failed on ${p.retry_hosts.join(', ')}; no alternate host left to try.`;
    env.log.info({ instance: i.uuid }, details);
    await abortResize({ db: env.db, placement }, i, m, step, { message, details });
    return;
  }
  const handed = await withTransaction(env.db, async (trx) => {
    if (!(await updateInstance(trx, i.uuid, { task_state: 'resize_prep' }, { taskState: ['resize_prep'] }))) {
      return false;
    }
    await updateMigration(trx, m.uuid, { dest_compute: sel.host, dest_node: sel.node }, ['pre-migrating']);
    const payload: MigrateServerPayload = { ...p, alternates: sel.alternates };
    await env.jobs.enqueue<ComputeDB>(trx, {
      kind: PREP_RESIZE,
      target: sel.host,
      payload,
      dedupeKey: `${PREP_RESIZE}:${m.uuid}:${p.attempt}`,
    });
    await finishEvent(trx, i.uuid, p.action_request_id, EVENT);
    return true;
  });
  // Deleted meanwhile: the claim goes; the delete frees the rest.
  if (!handed) await releaseClaim(placement, i.uuid);
}

export function migrateHandlers(env: ConductorEnv): Record<string, JobHandler> {
  return { [MIGRATE_SERVER]: (job) => migrateServer(env, job) };
}
