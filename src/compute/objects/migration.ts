// Migrations (Nova's objects.Migration): the record of one move of an instance — a resize, a cold
// migration, a live migration or an evacuation — from its source host and node to its
// destination, with the old and new flavors and a status the conductor and the compute hosts move
// along. A resize or cold migration: pre-migrating → migrating → post-migrating → finished →
// confirming → confirmed, or reverting → reverted, or error. A live migration: accepted → queued →
// preparing → running → completed, or error, failed, cancelled. An evacuation: accepted →
// pre-migrating → done, then completed once the source's host is back and has cleaned up; or
// error, failed. Its uuid is the Placement consumer that holds the source's allocations (the old
// flavor) while the instance, on the destination, holds the new flavor's (Nova's allocation
// handling since Queens); an evacuated instance holds both hosts' allocations itself, its
// migration none.
import type { Selectable } from 'kysely';
import { asService, ClientError, type PlacementClient } from '../../common/clients/index.js';
import type { MigrationsTable } from '../db/schema.js';
import { InstanceNotFound, MigrationNotFoundByStatus, MigrationNotFoundForInstance } from '../exceptions.js';
import { getInstance, now, type Db, type Instance } from './instance.js';

export type Migration = Selectable<MigrationsTable>;

export interface NewMigration {
  uuid: string;
  instanceUuid: string;
  sourceCompute: string;
  sourceNode: string;
  /** None for an evacuation (Nova records no flavor on it). */
  oldInstanceTypeId: number | null;
  newInstanceTypeId: number | null;
  userId: string;
  projectId: string;
  /** 'migration' for a cold migration (the flavor kept), 'live-migration', 'evacuation', else 'resize'. */
  migrationType: 'resize' | 'migration' | 'live-migration' | 'evacuation';
  /** Default pre-migrating (a resize's first); a live migration and an evacuation start accepted. */
  status?: string;
  /** The destination when the request names it (a forced live migration's, an evacuation's). */
  destCompute?: string | null;
}

export async function createMigration(db: Db, m: NewMigration): Promise<void> {
  await db
    .insertInto('migrations')
    .values({
      uuid: m.uuid,
      instance_uuid: m.instanceUuid,
      source_compute: m.sourceCompute,
      source_node: m.sourceNode,
      dest_compute: m.destCompute ?? null,
      dest_node: null,
      dest_host: null,
      old_instance_type_id: m.oldInstanceTypeId,
      new_instance_type_id: m.newInstanceTypeId,
      status: m.status ?? 'pre-migrating',
      migration_type: m.migrationType,
      hidden: 0,
      cross_cell_move: 0,
      user_id: m.userId,
      project_id: m.projectId,
      created_at: now(),
      updated_at: null,
      deleted_at: null,
    })
    .execute();
}

export async function getMigration(db: Db, uuid: string): Promise<Migration | undefined> {
  return db.selectFrom('migrations').selectAll().where('uuid', '=', uuid).where('deleted', '=', 0).executeTakeFirst();
}

/** The uuid of the instance's latest migration: a step run again long after its migration ended
 * must leave a later move of the server alone. */
export async function latestMigrationUuid(db: Db, instanceUuid: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('migrations')
    .select('uuid')
    .where('instance_uuid', '=', instanceUuid)
    .where('deleted', '=', 0)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row?.uuid;
}

/** The instance's migration in `status` (Nova's get_by_instance_and_status): MigrationNotFoundByStatus. */
export async function migrationOfInstance(db: Db, instanceUuid: string, status: string): Promise<Migration> {
  const m = await db
    .selectFrom('migrations')
    .selectAll()
    .where('instance_uuid', '=', instanceUuid)
    .where('status', '=', status)
    .where('deleted', '=', 0)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (!m) throw new MigrationNotFoundByStatus(instanceUuid, status);
  return m;
}

/** The instance's migration of id `id` (Nova's get_by_id_and_instance): MigrationNotFoundForInstance. */
export async function migrationOfInstanceById(db: Db, id: string, instanceUuid: string): Promise<Migration> {
  const m = /^\d+$/.test(id)
    ? await db
        .selectFrom('migrations')
        .selectAll()
        .where('id', '=', Number(id))
        .where('instance_uuid', '=', instanceUuid)
        .where('deleted', '=', 0)
        .executeTakeFirst()
    : undefined;
  if (!m) throw new MigrationNotFoundForInstance(id, instanceUuid);
  return m;
}

/** Sets columns of a migration, only while it is in one of `from` statuses when given. */
export async function updateMigration(
  db: Db,
  uuid: string,
  values: Partial<Omit<Migration, 'id' | 'uuid'>>,
  from?: string[],
): Promise<boolean> {
  let q = db
    .updateTable('migrations')
    .set({ ...values, updated_at: now() })
    .where('uuid', '=', uuid);
  if (from) q = q.where('status', 'in', from);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** A live migration's statuses Nova calls in progress (its server migrations API lists them). */
export const LIVE_MIGRATION_IN_PROGRESS = ['queued', 'preparing', 'running', 'post-migrating'];

/** A live migration's statuses until it completes or ends otherwise. */
export const LIVE_MIGRATION_UNDER_WAY = ['accepted', 'queued', 'preparing', 'running'];

/** Statuses of a move under way that a delete of its instance ends: all but the finished ones
 * and `confirming`, whose confirm_resize job cleans up the source itself. */
const ENDED_BY_DELETE = [
  'pre-migrating',
  'migrating',
  'post-migrating',
  'finished',
  'reverting',
  ...LIVE_MIGRATION_UNDER_WAY,
];

/** Puts the instance's moves under way in error (its delete ends them); their uuids, whose
 * allocations the caller frees. */
export async function endMigrationsOfDeleted(db: Db, instanceUuid: string): Promise<string[]> {
  const rows = await db
    .selectFrom('migrations')
    .select('uuid')
    .where('instance_uuid', '=', instanceUuid)
    .where('status', 'in', ENDED_BY_DELETE)
    .where('deleted', '=', 0)
    .execute();
  for (const r of rows) await updateMigration(db, r.uuid, { status: 'error' }, ENDED_BY_DELETE);
  return rows.map((r) => r.uuid);
}

/** Moves every allocation of consumer `from` to consumer `to` in one POST /allocations (Nova's
 * move_allocations), each written against the generation it was read at; false when `from`
 * holds nothing. A concurrent writer makes Placement refuse it (409), and it is read again. */
export async function moveAllocations(
  placement: PlacementClient,
  from: { uuid: string; type: 'INSTANCE' | 'MIGRATION' },
  to: { uuid: string; type: 'INSTANCE' | 'MIGRATION' },
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const source = await placement.allocations.get(asService(), from.uuid);
    if (!Object.keys(source.allocations).length) return false;
    const target = await placement.allocations.get(asService(), to.uuid);
    const owner = { project_id: source.project_id!, user_id: source.user_id! };
    try {
      await placement.allocations.postMany(asService(), {
        [from.uuid]: {
          allocations: {},
          ...owner,
          consumer_generation: source.consumer_generation ?? null,
          consumer_type: from.type,
        },
        [to.uuid]: {
          allocations: Object.fromEntries(
            Object.entries(source.allocations).map(([rp, a]) => [rp, { resources: a.resources }]),
          ),
          ...owner,
          consumer_generation: target.consumer_generation ?? null,
          consumer_type: to.type,
        },
      });
      return true;
    } catch (e) {
      if (!(e instanceof ClientError && e.status === 409) || attempt >= 3) throw e;
    }
  }
}

/** The instance and the migration a move's job names; undefined when either is gone (the server
 * was deleted meanwhile: the job has nothing left to do). */
export async function moveOf(
  db: Db,
  instanceUuid: string,
  migrationUuid: string,
): Promise<{ i: Instance; m: Migration } | undefined> {
  let i: Instance;
  try {
    i = await getInstance(db, instanceUuid, { projectId: null });
  } catch (e) {
    // Gone (deleted meanwhile): nothing to move. A database error is the job's, to retry.
    if (e instanceof InstanceNotFound) return undefined;
    throw e;
  }
  const m = await getMigration(db, migrationUuid);
  return m ? { i, m } : undefined;
}
