// Host aggregates (Nova's AggregateAPI and objects/aggregate.py): named groups of compute hosts
// with metadata; availability_zone metadata makes its hosts an availability zone, and a host is
// in at most one zone. Hosts must be compute services known to the services table.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { uniqueViolation, withTransaction } from '../../common/db/index.js';
import {
  AggregateHostExists,
  AggregateHostNotFound,
  AggregateNameExists,
  AggregateNotFound,
  HostNotFound,
  InvalidAggregateAction,
  InvalidInput,
} from '../exceptions.js';
import { AZ_KEY } from './availability_zone.js';
import { now, type Db } from './flavor.js';

export interface Aggregate {
  id: number;
  uuid: string;
  name: string;
  hosts: string[];
  metadata: Record<string, string>;
  availability_zone: string | null;
  created_at: string;
  updated_at: string | null;
}

/** An aggregate's id as the API takes it: an integer (oslo's validate_integer). */
export function aggregateId(raw: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new InvalidInput('id must be an integer');
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < -0x80000000 || id > 0x7fffffff) throw new AggregateNotFound(raw);
  return id;
}

async function load(
  db: Db,
  rows: { id: number; uuid: string; name: string; created_at: string; updated_at: string | null }[],
): Promise<Aggregate[]> {
  const ids = rows.map((r) => r.id);
  const hosts = ids.length
    ? await db
        .selectFrom('aggregate_hosts')
        .select(['aggregate_id', 'host'])
        .where('aggregate_id', 'in', ids)
        .orderBy('id')
        .execute()
    : [];
  const meta = ids.length
    ? await db
        .selectFrom('aggregate_metadata')
        .select(['aggregate_id', 'key', 'value'])
        .where('aggregate_id', 'in', ids)
        .orderBy('key')
        .execute()
    : [];
  return rows.map((r) => {
    const metadata = Object.fromEntries(meta.filter((m) => m.aggregate_id === r.id).map((m) => [m.key, m.value]));
    return {
      ...r,
      hosts: hosts.filter((h) => h.aggregate_id === r.id).map((h) => h.host),
      metadata,
      availability_zone: metadata[AZ_KEY] ?? null,
    };
  });
}

export async function listAggregates(db: Db): Promise<Aggregate[]> {
  return load(db, await db.selectFrom('aggregates').selectAll().orderBy('id').execute());
}

export async function getAggregate(db: Db, id: number): Promise<Aggregate> {
  // No aggregate has an id beyond the column's range (which PostgreSQL would refuse to compare).
  if (!Number.isSafeInteger(id) || id < -0x80000000 || id > 0x7fffffff) throw new AggregateNotFound(String(id));
  const row = await db.selectFrom('aggregates').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new AggregateNotFound(String(id));
  return (await load(db, [row]))[0]!;
}

/** The nova-compute service of `host`, which a host in an aggregate must be. */
async function requireComputeHost(db: Db, host: string): Promise<void> {
  const found = await db
    .selectFrom('services')
    .select('id')
    .where('host', '=', host)
    .where('binary', '=', 'nova-compute')
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!found) throw new HostNotFound(host);
}

type Action = ConstructorParameters<typeof InvalidAggregateAction>[0];

/** Nova's is_safe_to_update_az: a zone has a name; no host of the aggregate (or `hosts`) may be
 * in another zone through another aggregate; and, when asked, a zone does not change under
 * hosts that run instances. */
async function checkZoneChange(
  db: Db,
  agg: Aggregate,
  metadata: Record<string, string | null>,
  action: Action,
  opts: { hosts?: string[]; noInstances?: boolean } = {},
): Promise<void> {
  if (!(AZ_KEY in metadata)) return;
  const zone = metadata[AZ_KEY];
  if (!zone)
    throw new InvalidAggregateAction(
      action,
      agg.id,
      `Aggregate ${agg.name} does not support empty named availability zone`,
    );
  const hosts = opts.hosts ?? agg.hosts;
  if (hosts.length) {
    const others = await db
      .selectFrom('aggregate_hosts as h')
      .innerJoin('aggregate_metadata as m', 'm.aggregate_id', 'h.aggregate_id')
      .select(['h.aggregate_id', 'm.value'])
      .distinct()
      .where('m.key', '=', AZ_KEY)
      .where('h.host', 'in', hosts)
      .where('h.aggregate_id', '!=', agg.id)
      .orderBy('h.aggregate_id')
      .execute();
    const conflicting = others.filter((o) => o.value !== zone).map((o) => `'${o.value}'`);
    if (conflicting.length) {
      throw new InvalidAggregateAction(
        action,
        agg.id,
        `One or more hosts already in availability zone(s) [${conflicting.join(', ')}]`,
      );
    }
    if (opts.noInstances && agg.availability_zone !== zone) {
      const { n } = await db
        .selectFrom('instances')
        .select(sql<number | string>`count(id)`.as('n'))
        .where('host', 'in', hosts)
        .where('deleted', '=', 0)
        .executeTakeFirstOrThrow();
      if (Number(n))
        throw new InvalidAggregateAction(action, agg.id, 'One or more hosts contain instances in this zone');
    }
  }
}

/** Adds, replaces (and, for null values, removes) metadata. */
async function writeMetadata(db: Db, id: number, metadata: Record<string, string | null>): Promise<void> {
  const ts = now();
  for (const [key, value] of Object.entries(metadata)) {
    if (value === null) {
      await db.deleteFrom('aggregate_metadata').where('aggregate_id', '=', id).where('key', '=', key).execute();
    } else {
      await db
        .insertInto('aggregate_metadata')
        .values({ aggregate_id: id, key, value, created_at: ts, updated_at: null })
        .onConflict((oc) => oc.columns(['aggregate_id', 'key']).doUpdateSet({ value, updated_at: ts }))
        .execute();
    }
  }
  await db.updateTable('aggregates').set({ updated_at: ts }).where('id', '=', id).execute();
}

function nameTaken(e: unknown, name: string): never {
  if (uniqueViolation(e)) throw new AggregateNameExists(name);
  throw e;
}

export async function createAggregate(db: Db, name: string, zone: string | null): Promise<Aggregate> {
  return withTransaction(db, async (trx) => {
    const { id } = await trx
      .insertInto('aggregates')
      .values({ uuid: randomUUID(), name, created_at: now(), updated_at: null })
      .returning('id')
      .executeTakeFirstOrThrow()
      .catch((e: unknown) => nameTaken(e, name));
    if (zone) {
      await trx
        .insertInto('aggregate_metadata')
        .values({ aggregate_id: id, key: AZ_KEY, value: zone, created_at: now(), updated_at: null })
        .execute();
    }
    return getAggregate(trx, id);
  });
}

/** Renames an aggregate and/or moves it to another zone. */
export async function updateAggregate(
  db: Db,
  id: number,
  changes: { name?: string; availability_zone?: string | null },
): Promise<Aggregate> {
  return withTransaction(db, async (trx) => {
    const agg = await getAggregate(trx, id);
    if (changes.name !== undefined) {
      const name = changes.name;
      await trx
        .updateTable('aggregates')
        .set({ name, updated_at: now() })
        .where('id', '=', id)
        .execute()
        .catch((e: unknown) => nameTaken(e, name));
    }
    const metadata: Record<string, string | null> =
      changes.availability_zone !== undefined ? { [AZ_KEY]: changes.availability_zone } : {};
    await checkZoneChange(trx, agg, metadata, 'update', { noInstances: true });
    if (Object.keys(metadata).length) await writeMetadata(trx, id, metadata);
    return getAggregate(trx, id);
  });
}

export async function setAggregateMetadata(
  db: Db,
  id: number,
  metadata: Record<string, string | null>,
): Promise<Aggregate> {
  return withTransaction(db, async (trx) => {
    const agg = await getAggregate(trx, id);
    await checkZoneChange(trx, agg, metadata, 'update_meta', { noInstances: true });
    await writeMetadata(trx, id, metadata);
    return getAggregate(trx, id);
  });
}

/** Deletes an aggregate without hosts. */
export async function deleteAggregate(db: Db, id: number): Promise<void> {
  await withTransaction(db, async (trx) => {
    const agg = await getAggregate(trx, id);
    if (agg.hosts.length) throw new InvalidAggregateAction('delete', id, 'Host aggregate is not empty');
    await trx.deleteFrom('aggregates').where('id', '=', id).execute();
  });
}

export async function addAggregateHost(db: Db, id: number, host: string): Promise<Aggregate> {
  return withTransaction(db, async (trx) => {
    await requireComputeHost(trx, host);
    const agg = await getAggregate(trx, id);
    await checkZoneChange(trx, agg, agg.metadata, 'add', { hosts: [host] });
    await trx
      .insertInto('aggregate_hosts')
      .values({ aggregate_id: id, host, created_at: now(), updated_at: null })
      .execute()
      .catch((e: unknown) => {
        if (uniqueViolation(e)) throw new AggregateHostExists(String(id), host);
        throw e;
      });
    return getAggregate(trx, id);
  });
}

/** Checks that `host` may leave the aggregate (known, and in it), before Placement is told. */
export async function checkAggregateHost(db: Db, id: number, host: string): Promise<Aggregate> {
  await requireComputeHost(db, host);
  const agg = await getAggregate(db, id);
  if (!agg.hosts.includes(host)) throw new AggregateHostNotFound(String(id), host);
  return agg;
}

export async function removeAggregateHost(db: Db, id: number, host: string): Promise<Aggregate> {
  return withTransaction(db, async (trx) => {
    const deleted = await trx
      .deleteFrom('aggregate_hosts')
      .where('aggregate_id', '=', id)
      .where('host', '=', host)
      .executeTakeFirst();
    if (!Number(deleted.numDeletedRows)) throw new AggregateHostNotFound(String(id), host);
    return getAggregate(trx, id);
  });
}
