// Usages: what is allocated, per provider (GET /resource_providers/{uuid}/usages) or per
// project/user, optionally by consumer type (GET /usages).
import { sql } from 'kysely';
import { NULL_CONSUMER_TYPE_ALIAS } from './consumer.js';
import type { Db } from './resource_provider.js';

/** Usage of every class the provider has inventory of (0 when nothing is allocated). */
export async function providerUsages(db: Db, rp: { id: number }): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('inventories as i')
    .innerJoin('resource_classes as rc', 'rc.id', 'i.resource_class_id')
    .leftJoin('allocations as a', (j) =>
      j
        .onRef('a.resource_provider_id', '=', 'i.resource_provider_id')
        .onRef('a.resource_class_id', '=', 'i.resource_class_id'),
    )
    .select(['rc.name', (eb) => eb.fn.coalesce(eb.fn.sum<number>('a.used'), sql.lit(0)).as('used')])
    .where('i.resource_provider_id', '=', rp.id)
    .groupBy(['i.resource_class_id', 'rc.name'])
    .orderBy('i.resource_class_id')
    .execute();
  return new Map(rows.map((r) => [r.name, Number(r.used)]));
}

function projectAllocations(db: Db, projectId: string, userId?: string) {
  let q = db
    .selectFrom('allocations as a')
    .innerJoin('consumers as c', 'c.uuid', 'a.consumer_id')
    .innerJoin('projects as p', 'p.id', 'c.project_id')
    .innerJoin('resource_classes as rc', 'rc.id', 'a.resource_class_id')
    .leftJoin('consumer_types as ct', 'ct.id', 'c.consumer_type_id')
    .where('p.external_id', '=', projectId);
  if (userId) q = q.innerJoin('users as u', 'u.id', 'c.user_id').where('u.external_id', '=', userId);
  return q;
}

/** Project (and user) usage by resource class. */
export async function projectUsages(db: Db, projectId: string, userId?: string): Promise<Map<string, number>> {
  const rows = await projectAllocations(db, projectId, userId)
    .select(['rc.name', (eb) => eb.fn.sum<number>('a.used').as('used')])
    .groupBy(['a.resource_class_id', 'rc.name'])
    .execute();
  return new Map(rows.map((r) => [r.name, Number(r.used)]));
}

export interface TypedUsage {
  [consumerType: string]: Record<string, number>;
}

/** 1.38 usages grouped by consumer type, each with its consumer_count. consumer_type 'all'
 * folds every type together; 'unknown' is the consumers without a type. */
export async function projectUsagesByType(
  db: Db,
  projectId: string,
  userId?: string,
  consumerType?: string,
): Promise<TypedUsage> {
  let q = projectAllocations(db, projectId, userId);
  if (consumerType === NULL_CONSUMER_TYPE_ALIAS) q = q.where('c.consumer_type_id', 'is', null);
  else if (consumerType && consumerType !== 'all') q = q.where('ct.name', '=', consumerType);
  const fold = consumerType === 'all' || consumerType === NULL_CONSUMER_TYPE_ALIAS;
  const rows = await q.select(['rc.name as rc', 'ct.name as type', 'a.used', 'a.consumer_id']).execute();
  const out: TypedUsage = {};
  const consumers = new Map<string, Set<string>>();
  for (const r of rows) {
    const type = fold ? consumerType : (r.type ?? NULL_CONSUMER_TYPE_ALIAS);
    const usage = (out[type] ??= {});
    usage[r.rc] = (usage[r.rc] ?? 0) + r.used;
    if (!consumers.has(type)) consumers.set(type, new Set());
    consumers.get(type)!.add(r.consumer_id);
  }
  for (const [type, set] of consumers) out[type]!.consumer_count = set.size;
  return out;
}
