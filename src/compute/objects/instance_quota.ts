// The quota check of a server create (Nova's compute.api._check_num_instances_quota): instances,
// cores and ram counted from the project's live instances against its limits — the project's own
// (os-quota-sets), else the default quota class, else [quota]. A multi-create shrinks to what fits,
// down to min_count.
import type { Config } from '../../common/config.js';
import { TooManyInstances } from '../exceptions.js';
import type { Db } from './instance.js';

const RESOURCES = { instances: 'quotaInstances', cores: 'quotaCores', ram: 'quotaRam' } as const;
type Resource = keyof typeof RESOURCES;

export async function quotaLimit(db: Db, config: Config, projectId: string, resource: string,
  fallback: number): Promise<number> {
  const own = await db.selectFrom('quotas').select('hard_limit').where('project_id', '=', projectId)
    .where('resource', '=', resource).executeTakeFirst();
  if (own) return own.hard_limit;
  const byClass = await db.selectFrom('quota_classes').select('hard_limit').where('class_name', '=', 'default')
    .where('resource', '=', resource).executeTakeFirst();
  return byClass?.hard_limit ?? fallback;
}

/** How many of min..max servers of `perInstance` the project may still have; TooManyInstances
 * naming the resources that would go over when fewer than `min`. */
export async function allowedInstances(db: Db, config: Config, projectId: string,
  perInstance: { cores: number; ram: number }, min: number, max: number): Promise<number> {
  const used = await db.selectFrom('instances')
    .select((eb) => [eb.fn.countAll<number>().as('instances'), eb.fn.sum<number>('vcpus').as('cores'),
      eb.fn.sum<number>('memory_mb').as('ram')])
    .where('project_id', '=', projectId).where('deleted', '=', 0).executeTakeFirstOrThrow();
  const per: Record<Resource, number> = { instances: 1, ...perInstance };
  let allowed = max;
  const overs: { resource: Resource; req: number; used: number; limit: number }[] = [];
  for (const r of Object.keys(RESOURCES) as Resource[]) {
    const limit = await quotaLimit(db, config, projectId, r, config[RESOURCES[r]]);
    if (limit < 0 || per[r] === 0) continue;
    const u = Number(used[r] ?? 0);
    const fits = Math.floor((limit - u) / per[r]);
    if (fits < min) overs.push({ resource: r, req: per[r] * min, used: u, limit });
    allowed = Math.min(allowed, fits);
  }
  if (overs.length) {
    // Nova names every resource over its limit, each field a list in the same order.
    const list = (f: (o: (typeof overs)[number]) => string | number) => overs.map(f).join(', ');
    throw new TooManyInstances(list((o) => o.resource), list((o) => o.req), list((o) => o.used), list((o) => o.limit));
  }
  return allowed;
}
