// Instances: the servers of the API as Nova keeps them (instances + instance_extra +
// instance_metadata), their states (nova.compute.vm_states, task_states) and the status the API
// derives from them (nova.api.openstack.common's state map).
import type { Kysely, Selectable } from 'kysely';
import type { ComputeDB, InstancesTable } from '../db/schema.js';
import { executeTogether } from '../../common/db/index.js';
import { InstanceNotFound } from '../exceptions.js';
import type { InstanceFlavors } from './instance_flavor.js';

/** The database, or a transaction on it. */
export type Db = Kysely<ComputeDB>;
export type InstanceRow = Selectable<InstancesTable>;

export const VmState = {
  ACTIVE: 'active',
  BUILDING: 'building',
  PAUSED: 'paused',
  SUSPENDED: 'suspended',
  STOPPED: 'stopped',
  RESCUED: 'rescued',
  RESIZED: 'resized',
  SOFT_DELETED: 'soft_deleted',
  DELETED: 'deleted',
  ERROR: 'error',
  SHELVED: 'shelved',
  SHELVED_OFFLOADED: 'shelved_offloaded',
} as const;

/** The API's status for each vm_state, and the task states that show otherwise while they last. */
export const STATE_MAP: Record<string, { status: string; tasks?: Record<string, string> }> = {
  active: {
    status: 'ACTIVE',
    tasks: {
      rebooting: 'REBOOT',
      reboot_pending: 'REBOOT',
      reboot_started: 'REBOOT',
      rebooting_hard: 'HARD_REBOOT',
      reboot_pending_hard: 'HARD_REBOOT',
      reboot_started_hard: 'HARD_REBOOT',
      updating_password: 'PASSWORD',
      rebuilding: 'REBUILD',
      rebuild_block_device_mapping: 'REBUILD',
      rebuild_spawning: 'REBUILD',
      migrating: 'MIGRATING',
      resize_prep: 'RESIZE',
      resize_migrating: 'RESIZE',
      resize_migrated: 'RESIZE',
      resize_finish: 'RESIZE',
    },
  },
  building: { status: 'BUILD' },
  stopped: {
    status: 'SHUTOFF',
    tasks: {
      resize_prep: 'RESIZE',
      resize_migrating: 'RESIZE',
      resize_migrated: 'RESIZE',
      resize_finish: 'RESIZE',
      rebuilding: 'REBUILD',
      rebuild_block_device_mapping: 'REBUILD',
      rebuild_spawning: 'REBUILD',
    },
  },
  resized: { status: 'VERIFY_RESIZE', tasks: { resize_reverting: 'REVERT_RESIZE' } },
  paused: { status: 'PAUSED', tasks: { migrating: 'MIGRATING' } },
  suspended: { status: 'SUSPENDED' },
  rescued: { status: 'RESCUE' },
  error: {
    status: 'ERROR',
    tasks: { rebuilding: 'REBUILD', rebuild_block_device_mapping: 'REBUILD', rebuild_spawning: 'REBUILD' },
  },
  deleted: { status: 'DELETED' },
  soft_deleted: { status: 'SOFT_DELETED' },
  shelved: { status: 'SHELVED' },
  shelved_offloaded: { status: 'SHELVED_OFFLOADED' },
};

/** Every status the API shows (what the list's status filter accepts from 2.38). */
export const STATUSES = new Set(Object.values(STATE_MAP).flatMap((s) => [s.status, ...Object.values(s.tasks ?? {})]));

export function statusOf(vmState: string | null, taskState: string | null): string {
  const entry = STATE_MAP[vmState ?? ''];
  if (!entry) return 'UNKNOWN';
  return (taskState !== null && entry.tasks?.[taskState]) || entry.status;
}

/** An instance with what the API and the scheduler read beside its row. */
export interface Instance extends InstanceRow {
  flavor: InstanceFlavors;
  metadata: Record<string, string>;
  tags: string[];
}

/** `instance-%08x` of its id: the guest's name on the hypervisor (OS-EXT-SRV-ATTR:instance_name). */
export const instanceName = (id: number) => `instance-${id.toString(16).padStart(8, '0')}`;

export const now = () => new Date().toISOString();

/** Instance rows with their flavors, metadata and tags. */
export async function loadInstances(db: Db, rows: InstanceRow[]): Promise<Instance[]> {
  if (!rows.length) return [];
  const uuids = rows.map((r) => r.uuid);
  const [extras, metadata, tags] = await executeTogether(db, detailQueries(db, uuids));
  return completed(rows, extras.rows, metadata.rows, tags.rows);
}

/** What an instance has beside its row: its flavors, metadata and tags. */
function detailQueries(db: Db, uuids: string[]) {
  return [
    db.selectFrom('instance_extra').select(['instance_uuid', 'flavor']).where('instance_uuid', 'in', uuids),
    db
      .selectFrom('instance_metadata')
      .select(['instance_uuid', 'key', 'value'])
      .where('instance_uuid', 'in', uuids)
      .where('deleted', '=', 0),
    db.selectFrom('tags').select(['resource_id', 'tag']).where('resource_id', 'in', uuids).orderBy('tag'),
  ] as const;
}

function completed(
  rows: InstanceRow[],
  extras: { instance_uuid: string; flavor: string | null }[],
  metadata: { instance_uuid: string; key: string; value: string | null }[],
  tags: { resource_id: string; tag: string }[],
): Instance[] {
  // Servers of one flavor carry the same text: parsed once (the views only read it).
  const parsed = new Map<string, InstanceFlavors>();
  const parse = (text: string) => {
    let f = parsed.get(text);
    if (!f) parsed.set(text, (f = JSON.parse(text) as InstanceFlavors));
    return f;
  };
  const flavors = new Map(extras.map((e) => [e.instance_uuid, parse(e.flavor ?? 'null')]));
  const meta = new Map<string, Record<string, string>>(rows.map((r) => [r.uuid, {}]));
  for (const m of metadata) meta.get(m.instance_uuid)![m.key] = m.value ?? '';
  const tagged = new Map<string, string[]>(rows.map((r) => [r.uuid, []]));
  for (const t of tags) tagged.get(t.resource_id)!.push(t.tag);
  // The rows are the query's own: completed in place (a copy of some forty columns per server
  // was a tenth of a server list's time).
  return rows.map((r) =>
    Object.assign(r, { flavor: flavors.get(r.uuid)!, metadata: meta.get(r.uuid)!, tags: tagged.get(r.uuid)! }),
  );
}

/** An instance by uuid; InstanceNotFound when it does not exist, is deleted (unless
 * `withDeleted`), or belongs to another project (unless `projectId` is null: an administrator).
 * One round trip on PostgreSQL: the row and what it has beside it are asked for together. */
export async function getInstance(
  db: Db,
  uuid: string,
  opts: { projectId: string | null; withDeleted?: boolean },
): Promise<Instance> {
  let q = db.selectFrom('instances').selectAll().where('uuid', '=', uuid);
  if (!opts.withDeleted) q = q.where('deleted', '=', 0);
  if (opts.projectId !== null) q = q.where('project_id', '=', opts.projectId);
  const [row, extras, metadata, tags] = await executeTogether(db, [q, ...detailQueries(db, [uuid])]);
  const r = row.rows[0];
  if (!r) throw new InstanceNotFound(uuid);
  return completed([r], extras.rows, metadata.rows, tags.rows)[0]!;
}

/** Sets columns of a live instance, only while it is in `expected` task states (Nova's
 * expected_task_state): false when it is not (another action got there first) or is gone. */
export async function updateInstance(
  db: Db,
  uuid: string,
  values: Partial<Omit<InstanceRow, 'id' | 'uuid'>>,
  expected?: { taskState?: (string | null)[]; vmState?: string[] },
): Promise<boolean> {
  const r = await instanceUpdate(db, uuid, values, expected).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** The statement updateInstance runs, for a batch (executeTogether, executeAtomically): it
 * updated the instance if its numAffectedRows is 1. */
export function instanceUpdate(
  db: Db,
  uuid: string,
  values: Partial<Omit<InstanceRow, 'id' | 'uuid'>>,
  expected?: { taskState?: (string | null)[]; vmState?: string[] },
) {
  let q = db
    .updateTable('instances')
    .set({ updated_at: now(), ...values })
    .where('uuid', '=', uuid)
    .where('deleted', '=', 0);
  const tasks = expected?.taskState;
  if (tasks) {
    const named = tasks.filter((t): t is string => t !== null);
    q = q.where((eb) =>
      eb.or([
        ...(named.length ? [eb('task_state', 'in', named)] : []),
        ...(tasks.includes(null) ? [eb('task_state', 'is', null)] : []),
      ]),
    );
  }
  if (expected?.vmState) q = q.where('vm_state', 'in', expected.vmState);
  return q;
}

/** Soft-deletes an instance with what hangs off it (Nova's instance.destroy): `deleted` takes the
 * row's id, so a uuid stays unique among live rows. Nothing happens to one deleted already. */
export async function destroyInstance(db: Db, uuid: string): Promise<boolean> {
  const ts = now();
  const row = await db
    .selectFrom('instances')
    .select('id')
    .where('uuid', '=', uuid)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!row) return false;
  await db
    .updateTable('instances')
    .set({
      deleted: row.id,
      deleted_at: ts,
      updated_at: ts,
      terminated_at: ts,
      vm_state: VmState.DELETED,
      task_state: null,
      power_state: 0,
    })
    .where('id', '=', row.id)
    .execute();
  for (const table of ['instance_extra', 'instance_metadata', 'instance_system_metadata'] as const) {
    await db
      .updateTable(table)
      .set((eb) => ({ deleted: eb.ref('id'), deleted_at: ts }))
      .where('instance_uuid', '=', uuid)
      .where('deleted', '=', 0)
      .execute();
  }
  await db.deleteFrom('instance_group_member').where('instance_uuid', '=', uuid).execute();
  // Tags have no deleted column: Nova deletes them with their server.
  await db.deleteFrom('tags').where('resource_id', '=', uuid).execute();
  return true;
}
