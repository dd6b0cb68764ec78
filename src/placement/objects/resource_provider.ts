// Resource providers: create, rename, re-parent, delete, and the generation compare-and-swap
// that every provider-changing write goes through (optimistic concurrency, as upstream).
import type { Kysely, Transaction } from 'kysely';
import { uniqueViolation, withTransaction } from '../../common/db/index.js';
import type { PlacementDB } from '../db/schema.js';
import {
  CannotDeleteParentResourceProvider,
  DuplicateEntry,
  GenerationMismatch,
  NotFound,
  ObjectActionError,
  ResourceProviderConcurrentUpdateDetected,
  ResourceProviderInUse,
} from '../exceptions.js';
import { now } from '../../common/time.js';

export interface ResourceProvider {
  id: number;
  uuid: string;
  name: string;
  generation: number;
  root_provider_id: number;
  parent_provider_id: number | null;
  root_provider_uuid: string;
  parent_provider_uuid: string | null;
  created_at: string;
  updated_at: string | null;
}

export type Db = Kysely<PlacementDB> | Transaction<PlacementDB>;

function providerQuery(db: Db) {
  return db
    .selectFrom('resource_providers as rp')
    .leftJoin('resource_providers as root', 'root.id', 'rp.root_provider_id')
    .leftJoin('resource_providers as parent', 'parent.id', 'rp.parent_provider_id')
    .select([
      'rp.id',
      'rp.uuid',
      'rp.name',
      'rp.generation',
      'rp.root_provider_id',
      'rp.parent_provider_id',
      'rp.created_at',
      'rp.updated_at',
      'root.uuid as root_provider_uuid',
      'parent.uuid as parent_provider_uuid',
    ]);
}

function fix(row: Record<string, unknown> | undefined): ResourceProvider | undefined {
  if (!row) return undefined;
  const rp = row as unknown as ResourceProvider;
  return {
    ...rp,
    root_provider_id: rp.root_provider_id ?? rp.id,
    root_provider_uuid: rp.root_provider_uuid ?? rp.uuid,
  };
}

export async function findProvider(db: Db, uuid: string): Promise<ResourceProvider | undefined> {
  return fix(await providerQuery(db).where('rp.uuid', '=', uuid).executeTakeFirst());
}

/** The provider, or NotFound "No resource provider with uuid X found". */
export async function getProvider(db: Db, uuid: string): Promise<ResourceProvider> {
  const rp = await findProvider(db, uuid);
  if (!rp) throw new NotFound(`No resource provider with uuid ${uuid} found`);
  return rp;
}

/** Bumps the generation iff it is still `rp.generation` (updating `rp`), else throws
 * ResourceProviderConcurrentUpdateDetected. Inside a transaction this also serialises concurrent
 * writers of the same provider: the row lock on PostgreSQL, the single writer on SQLite. */
export async function incrementGeneration(trx: Db, rp: { id: number; generation: number }): Promise<void> {
  const res = await generationUpdate(trx, rp).executeTakeFirst();
  generationIncremented(rp, res.numUpdatedRows);
}

/** incrementGeneration's statement, for a batch (then generationIncremented with its answer). */
export function generationUpdate(trx: Db, rp: { id: number; generation: number }) {
  return trx
    .updateTable('resource_providers')
    .set({ generation: rp.generation + 1, updated_at: now() })
    .where('id', '=', rp.id)
    .where('generation', '=', rp.generation);
}

/** Takes generationUpdate's answer: updates `rp`, or throws if someone moved it first. */
export function generationIncremented(rp: { generation: number }, updatedRows: bigint | undefined): void {
  if (Number(updatedRows) !== 1) throw new ResourceProviderConcurrentUpdateDetected();
  rp.generation += 1;
}

/** What a write needs of a provider. */
export interface ProviderRef {
  id: number;
  uuid: string;
  generation: number;
}

/** The first step of a write made against a generation the client read: bumps the generation of
 * provider `uuid` iff it still is `expected`, which also holds the provider for the rest of the
 * transaction (row lock; SQLite has one writer). Spares reading the provider beforehand. */
export async function claimProvider(trx: Db, uuid: string, expected: number): Promise<ProviderRef> {
  const row = await trx
    .updateTable('resource_providers')
    .set((eb) => ({ generation: eb('generation', '+', 1), updated_at: now() }))
    .where('uuid', '=', uuid)
    .where('generation', '=', expected)
    .returning(['id', 'generation'])
    .executeTakeFirst();
  if (row) return { id: row.id, uuid, generation: row.generation };
  const exists = await trx.selectFrom('resource_providers').select('id').where('uuid', '=', uuid).executeTakeFirst();
  if (!exists) throw new NotFound(`No resource provider with uuid ${uuid} found`);
  throw new GenerationMismatch();
}

function duplicate(e: unknown): DuplicateEntry | null {
  const cols = uniqueViolation(e);
  return cols ? new DuplicateEntry(cols) : null;
}

/** One statement: the provider row, its parent and root taken from the parent's row in the
 * same statement (a root's root is set by the database: see db/migrations.ts). */
export async function createProvider(
  db: Kysely<PlacementDB>,
  data: { uuid: string; name: string; parent_provider_uuid?: string | null },
): Promise<ResourceProvider> {
  const parentUuid = data.parent_provider_uuid ?? null;
  if (parentUuid === data.uuid) {
    throw new ObjectActionError(
      'create',
      'parent provider UUID cannot be same as UUID. ' +
        'Please set parent provider UUID to None if there is no parent.',
    );
  }
  const ts = now();
  let row: { id: number; root_provider_id: number | null; parent_provider_id: number | null } | undefined;
  try {
    if (parentUuid === null) {
      row = await db
        .insertInto('resource_providers')
        .values({
          uuid: data.uuid,
          name: data.name,
          generation: 0,
          parent_provider_id: null,
          root_provider_id: null,
          created_at: ts,
          updated_at: null,
        })
        .returning(['id', 'root_provider_id', 'parent_provider_id'])
        .executeTakeFirst();
    } else {
      row = await db
        .insertInto('resource_providers')
        .columns(['uuid', 'name', 'generation', 'parent_provider_id', 'root_provider_id', 'created_at', 'updated_at'])
        .expression((eb) =>
          eb
            .selectFrom('resource_providers as parent')
            .where('parent.uuid', '=', parentUuid)
            .select([
              eb.val(data.uuid).as('uuid'),
              eb.val(data.name).as('name'),
              eb.val(0).as('generation'),
              'parent.id as parent_provider_id',
              'parent.root_provider_id',
              eb.val(ts).as('created_at'),
              eb.val(null).as('updated_at'),
            ]),
        )
        .returning(['id', 'root_provider_id', 'parent_provider_id'])
        .executeTakeFirst();
      if (!row) throw new ObjectActionError('create', 'parent provider UUID does not exist.');
    }
  } catch (e) {
    throw duplicate(e) ?? e;
  }
  const root = row!.root_provider_id ?? row!.id;
  return {
    id: row!.id,
    uuid: data.uuid,
    name: data.name,
    generation: 0,
    root_provider_id: root,
    parent_provider_id: row!.parent_provider_id,
    parent_provider_uuid: parentUuid,
    root_provider_uuid:
      parentUuid === null
        ? data.uuid
        : (await db.selectFrom('resource_providers').select('uuid').where('id', '=', root).executeTakeFirstOrThrow())
            .uuid,
    created_at: ts,
    updated_at: null,
  };
}

/** The ids of `rp` and every provider below it. */
async function subtreeIds(db: Db, rp: ResourceProvider): Promise<number[]> {
  const tree = await db
    .selectFrom('resource_providers')
    .select(['id', 'parent_provider_id'])
    .where('root_provider_id', '=', rp.root_provider_id)
    .execute();
  const children = new Map<number, number[]>();
  for (const r of tree) {
    if (r.parent_provider_id !== null)
      children.set(r.parent_provider_id, [...(children.get(r.parent_provider_id) ?? []), r.id]);
  }
  const out = [rp.id];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]!) ?? []));
  return out;
}

/** Renames and/or re-parents. Before 1.37 a provider may only gain a parent, never change or
 * lose it. Neither change bumps the generation (as upstream). */
export async function updateProvider(
  db: Kysely<PlacementDB>,
  uuid: string,
  changes: { name?: string; parent_provider_uuid?: string | null },
  allowReparenting: boolean,
): Promise<ResourceProvider> {
  try {
    return await withTransaction(db, async (trx) => {
      const rp = await getProvider(trx, uuid);
      const updates: {
        name?: string;
        parent_provider_id?: number | null;
        root_provider_id?: number;
        updated_at: string;
      } = { updated_at: now() };
      let subtree: number[] = [];
      let newRoot: { id: number; uuid: string } | null = null;
      if (changes.name !== undefined) updates.name = changes.name;
      if ('parent_provider_uuid' in changes) {
        const parentUuid = changes.parent_provider_uuid;
        if (parentUuid) {
          const parent = await findProvider(trx, parentUuid);
          if (!parent) throw new ObjectActionError('create', 'parent provider UUID does not exist.');
          if (rp.parent_provider_id !== null && rp.parent_provider_id !== parent.id && !allowReparenting) {
            throw new ObjectActionError('update', 're-parenting a provider is not currently allowed.');
          }
          subtree = await subtreeIds(trx, rp);
          if (subtree.includes(parent.id)) {
            throw new ObjectActionError('update', 'creating loop in the provider tree is not allowed.');
          }
          updates.parent_provider_id = parent.id;
          newRoot = { id: parent.root_provider_id, uuid: parent.root_provider_uuid };
        } else if (rp.parent_provider_id !== null) {
          if (!allowReparenting) {
            throw new ObjectActionError('update', 'un-parenting a provider is not currently allowed.');
          }
          subtree = await subtreeIds(trx, rp);
          updates.parent_provider_id = null;
          newRoot = { id: rp.id, uuid: rp.uuid };
        }
      }
      await trx.updateTable('resource_providers').set(updates).where('id', '=', rp.id).execute();
      if (newRoot && subtree.length) {
        await trx
          .updateTable('resource_providers')
          .set({ root_provider_id: newRoot.id })
          .where('id', 'in', subtree)
          .execute();
      }
      return (await findProvider(trx, uuid))!;
    });
  } catch (e) {
    throw duplicate(e) ?? e;
  }
}

export async function deleteProvider(db: Kysely<PlacementDB>, uuid: string): Promise<void> {
  await withTransaction(db, async (trx) => {
    const rp = await findProvider(trx, uuid);
    if (!rp) throw new NotFound(`No resource provider with uuid ${uuid} found for delete`);
    const child = await trx
      .selectFrom('resource_providers')
      .select('id')
      .where('parent_provider_id', '=', rp.id)
      .limit(1)
      .executeTakeFirst();
    if (child) throw new CannotDeleteParentResourceProvider();
    const alloc = await trx
      .selectFrom('allocations')
      .select('id')
      .where('resource_provider_id', '=', rp.id)
      .limit(1)
      .executeTakeFirst();
    if (alloc) throw new ResourceProviderInUse();
    await trx.deleteFrom('inventories').where('resource_provider_id', '=', rp.id).execute();
    await trx.deleteFrom('resource_provider_aggregates').where('resource_provider_id', '=', rp.id).execute();
    await trx.deleteFrom('resource_provider_traits').where('resource_provider_id', '=', rp.id).execute();
    await trx.deleteFrom('resource_providers').where('id', '=', rp.id).execute();
  });
}
