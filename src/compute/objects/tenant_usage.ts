// Usage per project over a period (os-simple-tenant-usage): every instance that ran in the
// period — deleted ones too, which is the point of a usage report — with the hours it ran and
// its flavor's sizes, summed per project (Nova's SimpleTenantUsageController over
// InstanceList.get_active_by_window_joined). Times are milliseconds since the epoch.
import { MarkerNotFound } from '../exceptions.js';
import type { Db } from './flavor.js';
import type { InstanceFlavors } from './instance_flavor.js';

export interface ServerUsage {
  instance_id: string;
  name: string | null;
  tenant_id: string;
  flavor: string;
  hours: number;
  memory_mb: number;
  local_gb: number;
  vcpus: number;
  started_at: number;
  ended_at: number | null;
  state: string | null;
  uptime: number;
}

export interface TenantUsage {
  tenant_id: string;
  server_usages?: ServerUsage[];
  total_local_gb_usage: number;
  total_vcpus_usage: number;
  total_memory_mb_usage: number;
  total_hours: number;
  start: number;
  stop: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Hours of [launched, terminated] within [start, stop]. */
function hoursFor(launched: number | null, terminated: number | null, start: number, stop: number): number {
  if (terminated !== null && terminated < start) return 0;
  if (launched === null || launched > stop) return 0;
  return (Math.min(stop, terminated ?? stop) - Math.max(launched, start)) / 3600_000;
}

/** The instances launched before `stop` and not terminated before `start`, by project then uuid,
 * one page of them after the `marker` instance. */
async function instancesInWindow(
  db: Db,
  start: number,
  stop: number,
  page: { projectId?: string; limit: number; marker?: string },
) {
  let q = db
    .selectFrom('instances as i')
    .leftJoin('instance_extra as e', 'e.instance_uuid', 'i.uuid')
    .leftJoin('flavors as f', 'f.id', 'i.instance_type_id')
    .select([
      'i.uuid',
      'i.display_name',
      'i.project_id',
      'i.vm_state',
      'i.launched_at',
      'i.terminated_at',
      'i.memory_mb',
      'i.vcpus',
      'i.root_gb',
      'i.ephemeral_gb',
      'e.flavor',
      'f.name as flavor_name',
    ])
    .where((eb) => eb.or([eb('i.terminated_at', 'is', null), eb('i.terminated_at', '>', iso(start))]))
    .where('i.launched_at', '<', iso(stop));
  if (page.projectId !== undefined) q = q.where('i.project_id', '=', page.projectId);
  if (page.marker !== undefined) {
    const marker = await db
      .selectFrom('instances')
      .select(['project_id', 'uuid'])
      .where('uuid', '=', page.marker)
      .executeTakeFirst();
    if (!marker) throw new MarkerNotFound(page.marker);
    q = q.where((eb) =>
      eb.or([
        eb('i.project_id', '>', marker.project_id),
        eb.and([eb('i.project_id', '=', marker.project_id), eb('i.uuid', '>', marker.uuid)]),
      ]),
    );
  }
  return q.orderBy('i.project_id').orderBy('i.uuid').limit(page.limit).execute();
}

/** The usage of each project (or of `projectId`) in [start, stop], and every server's. */
export async function tenantUsages(
  db: Db,
  start: number,
  stop: number,
  opts: { projectId?: string; detailed: boolean; limit: number; marker?: string; now?: number },
): Promise<{ usages: TenantUsage[]; servers: ServerUsage[] }> {
  const now = opts.now ?? Date.now();
  const rows = await instancesInWindow(db, start, stop, opts);
  const byProject = new Map<string, TenantUsage>();
  const servers: ServerUsage[] = [];
  for (const r of rows) {
    const launched = r.launched_at === null ? null : Date.parse(r.launched_at);
    const ended = r.terminated_at === null ? null : Date.parse(r.terminated_at);
    // The flavor the instance was built with, as it keeps it; else, for an instance that lost it,
    // the sizes it recorded and its flavor's name if the flavor is still there.
    const cur = r.flavor ? (JSON.parse(r.flavor) as InstanceFlavors).cur['nova_object.data'] : undefined;
    const info: ServerUsage = {
      instance_id: r.uuid,
      name: r.display_name,
      tenant_id: r.project_id,
      flavor: cur?.name ?? r.flavor_name ?? '',
      hours: hoursFor(launched, ended, start, stop),
      memory_mb: cur?.memory_mb ?? r.memory_mb ?? 0,
      local_gb: cur ? cur.root_gb + cur.ephemeral_gb : (r.root_gb ?? 0) + (r.ephemeral_gb ?? 0),
      vcpus: cur?.vcpus ?? r.vcpus ?? 0,
      started_at: launched!,
      ended_at: ended,
      state: ended !== null ? 'terminated' : r.vm_state,
      uptime: Math.trunc(((ended ?? now) - launched!) / 1000),
    };
    let summary = byProject.get(r.project_id);
    if (!summary) {
      summary = {
        tenant_id: r.project_id,
        ...(opts.detailed ? { server_usages: [] } : {}),
        total_local_gb_usage: 0,
        total_vcpus_usage: 0,
        total_memory_mb_usage: 0,
        total_hours: 0,
        start,
        stop,
      };
      byProject.set(r.project_id, summary);
    }
    summary.total_local_gb_usage += info.local_gb * info.hours;
    summary.total_vcpus_usage += info.vcpus * info.hours;
    summary.total_memory_mb_usage += info.memory_mb * info.hours;
    summary.total_hours += info.hours;
    summary.server_usages?.push(info);
    servers.push(info);
  }
  return { usages: [...byProject.values()], servers };
}
