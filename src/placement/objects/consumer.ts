// Consumers (whoever holds allocations: instances, migrations ...), with their project, user,
// consumer type and generation. Projects, users and consumer types are created on first use.
import type { Compilable, QueryResult, Transaction } from 'kysely';
import { engineOf, inTexts } from '../../common/db/index.js';
import type { PlacementDB } from '../db/schema.js';
import { ConcurrentUpdateDetected, PlacementException } from '../exceptions.js';
import { now } from '../../common/time.js';
import type { Db } from './resource_provider.js';

/** How consumers without a type are shown in usages. */
export const NULL_CONSUMER_TYPE_ALIAS = 'unknown';

export interface Consumer {
  id: number;
  uuid: string;
  project_id: number;
  user_id: number;
  project: string;
  user: string;
  generation: number;
  consumer_type_id: number | null;
  consumer_type: string | null;
}

/** A consumer generation that does not match what the client expected. The text is upstream's. */
export class ConsumerGenerationConflict extends PlacementException {
  constructor(expected: number | null, got: number | null | undefined) {
    super(`consumer generation conflict - expected ${expected ?? 'null'} but got ${got ?? 'None'}`);
  }
}

/** Ids of projects, users, consumer types and aggregates by name. Those rows are never renamed
 * or deleted, so a process may remember them and spare writes their lookups. (Resource classes
 * and traits can be deleted and their ids reused, so they are always looked up.) */
export class ExternalIds {
  private readonly known = new Map<string, number>();

  /** A view for one transaction: what it learns is remembered only once it has committed
   * (a rolled-back transaction's new rows do not exist). */
  begin(): ExternalIdScope {
    return new ExternalIdScope(this.known);
  }
}

export class ExternalIdScope {
  private readonly learnt = new Map<string, number>();
  constructor(private readonly known: Map<string, number>) {}

  get(key: string): number | undefined {
    return this.known.get(key) ?? this.learnt.get(key);
  }
  set(key: string, id: number): void {
    this.learnt.set(key, id);
  }
  commit(): void {
    for (const [k, v] of this.learnt) this.known.set(k, v);
  }
}

type Named = 'projects' | 'users';

/** Creates the projects, users and consumer types these requests name that do not exist yet,
 * each kind in sorted order, so that writers creating the same ones lock them in one order. */
export async function ensureOwners(
  trx: Transaction<PlacementDB>,
  ids: ExternalIdScope,
  requests: ConsumerRequest[],
): Promise<void> {
  const sorted = (names: (string | undefined)[]) =>
    [...new Set(names.filter((n): n is string => n !== undefined))].sort();
  for (const p of sorted(requests.map((r) => r.projectId))) await ensureExternal(trx, ids, 'projects', p);
  for (const u of sorted(requests.map((r) => r.userId))) await ensureExternal(trx, ids, 'users', u);
  for (const t of sorted(requests.map((r) => r.consumerType))) await ensureConsumerType(trx, ids, t);
}

/** The id of a project or user by external id, created when missing. */
async function ensureExternal(
  trx: Transaction<PlacementDB>,
  ids: ExternalIdScope,
  table: Named,
  externalId: string,
): Promise<number> {
  const key = `${table}:${externalId}`;
  const cached = ids.get(key);
  if (cached !== undefined) return cached;
  await trx
    .insertInto(table)
    .values({ external_id: externalId, created_at: now(), updated_at: null })
    .onConflict((oc) => oc.column('external_id').doNothing())
    .execute();
  const row = await trx.selectFrom(table).select('id').where('external_id', '=', externalId).executeTakeFirstOrThrow();
  ids.set(key, row.id);
  return row.id;
}

async function ensureConsumerType(trx: Transaction<PlacementDB>, ids: ExternalIdScope, name: string): Promise<number> {
  const key = `consumer_types:${name}`;
  const cached = ids.get(key);
  if (cached !== undefined) return cached;
  await trx
    .insertInto('consumer_types')
    .values({ name, created_at: now(), updated_at: null })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const id = (await trx.selectFrom('consumer_types').select('id').where('name', '=', name).executeTakeFirstOrThrow())
    .id;
  ids.set(key, id);
  return id;
}

function consumerRows(db: Db) {
  return db
    .selectFrom('consumers as c')
    .innerJoin('projects as p', 'p.id', 'c.project_id')
    .innerJoin('users as u', 'u.id', 'c.user_id')
    .leftJoin('consumer_types as ct', 'ct.id', 'c.consumer_type_id')
    .select([
      'c.id',
      'c.uuid',
      'c.project_id',
      'c.user_id',
      'p.external_id as project',
      'u.external_id as user',
      'c.generation',
      'c.consumer_type_id',
      'ct.name as consumer_type',
    ]);
}

export async function findConsumer(db: Db, uuid: string): Promise<Consumer | undefined> {
  return consumerRows(db).where('c.uuid', '=', uuid).executeTakeFirst();
}

/** The consumers with these uuids, as one statement (for a batch). */
export function selectConsumers(db: Db, uuids: string[]) {
  return consumerRows(db).where(inTexts(engineOf<PlacementDB>(db), 'c.uuid', uuids));
}

/** What a write says about one consumer. */
export interface ConsumerRequest {
  uuid: string;
  projectId: string;
  userId: string;
  /** Checked only when `checkGeneration` (1.28+): null means "must not exist yet". */
  generation?: number | null;
  checkGeneration: boolean;
  /** Set only from 1.38, when the type is required. */
  consumerType?: string;
}

/** The statements a write runs for one consumer, decided from what it read of it. */
export interface ConsumerPlan {
  uuid: string;
  /** Created by this write: it holds nothing yet. */
  created: boolean;
  /** Its insert (then `created`), or the update of its project, user or type where they changed. */
  first?: Compilable<unknown>;
  /** An existing consumer's generation bump, iff it is unchanged since it was read. */
  bump?: Compilable<unknown>;
}

/** Plans the write of a consumer as `found` (undefined: it does not exist): checks its generation
 * (ConsumerGenerationConflict), then creates it or brings its project, user and type in line with
 * the request, and bumps its generation. A consumer is created by the write that gives it its
 * first allocations, with the generation that write leaves it at (1: upstream creates it at 0 and
 * bumps it in the same transaction). The owners' ids must be known (ensureOwners). */
export function planConsumer(
  trx: Db,
  ids: ExternalIdScope,
  r: ConsumerRequest,
  found: Consumer | undefined,
): ConsumerPlan {
  const projectId = ids.get(`projects:${r.projectId}`)!;
  const userId = ids.get(`users:${r.userId}`)!;
  const typeId = r.consumerType !== undefined ? ids.get(`consumer_types:${r.consumerType}`)! : null;
  if (!found) {
    if (r.checkGeneration && r.generation !== null && r.generation !== undefined) {
      throw new ConsumerGenerationConflict(null, r.generation);
    }
    const insert = trx
      .insertInto('consumers')
      .values({
        uuid: r.uuid,
        project_id: projectId,
        user_id: userId,
        generation: 1,
        consumer_type_id: typeId,
        created_at: now(),
        updated_at: null,
      })
      .onConflict((oc) => oc.column('uuid').doNothing())
      .returning('id');
    return { uuid: r.uuid, created: true, first: insert };
  }
  if (r.checkGeneration && found.generation !== r.generation)
    throw new ConsumerGenerationConflict(found.generation, r.generation);
  const changes: { project_id?: number; user_id?: number; consumer_type_id?: number } = {};
  if (found.project_id !== projectId || found.user_id !== userId)
    Object.assign(changes, { project_id: projectId, user_id: userId });
  if (typeId !== null && typeId !== found.consumer_type_id) changes.consumer_type_id = typeId;
  const bump = trx
    .updateTable('consumers')
    .set({ generation: found.generation + 1, updated_at: now() })
    .where('id', '=', found.id)
    .where('generation', '=', found.generation);
  if (!Object.keys(changes).length) return { uuid: r.uuid, created: false, bump };
  const first = trx
    .updateTable('consumers')
    .set({ ...changes, updated_at: now() })
    .where('id', '=', found.id)
    .where('generation', '=', found.generation);
  return { uuid: r.uuid, created: false, first, bump };
}

/** Takes the answer to a plan's `first`: a consumer created meanwhile by someone else (our
 * insert found it there) is a concurrent update (their write wins this round). */
export function consumerFirstWritten(plan: ConsumerPlan, answer: QueryResult<unknown>): void {
  if (plan.created && !answer.rows.length) throw new ConcurrentUpdateDetected();
}

/** Takes the answer to a plan's `bump`: a generation that moved since it was read is a
 * concurrent update. */
export function consumerBumped(answer: QueryResult<unknown>): void {
  if (Number(answer.numAffectedRows) !== 1) throw new ConcurrentUpdateDetected();
}

/** Deletes those of these consumers that no longer hold any allocation. */
export async function deleteConsumersWithoutAllocations(trx: Db, uuids: string[]): Promise<void> {
  if (uuids.length) await consumersWithoutAllocationsDelete(trx, uuids).execute();
}

/** deleteConsumersWithoutAllocations's statement, for a batch (`uuids` not empty). */
export function consumersWithoutAllocationsDelete(trx: Db, uuids: string[]) {
  return trx
    .deleteFrom('consumers')
    .where('uuid', 'in', uuids)
    .where((eb) =>
      eb.not(
        eb.exists(eb.selectFrom('allocations').select('id').whereRef('allocations.consumer_id', '=', 'consumers.uuid')),
      ),
    );
}
