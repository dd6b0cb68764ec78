// os-instance-usage-audit-log (nova/api/openstack/compute/instance_usage_audit_log.py): how the
// compute hosts' instance usage audit ([DEFAULT] instance_usage_audit, a periodic task writing
// task_log rows) went for the last completed monthly period. concord's agents run no such audit,
// so every compute host is reported as not run for every period.
import type { Db } from './flavor.js';

/** Nova's utils.last_completed_audit_period for the default unit, a month: the calendar month
 * that ended last before `before` (UTC). */
export function lastCompletedMonth(before: Date): { begin: Date; end: Date } {
  let end = new Date(Date.UTC(before.getUTCFullYear(), before.getUTCMonth(), 1));
  if (end.getTime() >= before.getTime()) end = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, 1));
  const begin = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, 1));
  return { begin, end };
}

/** Python's str(datetime) of a whole-second UTC time. */
const pyDatetime = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

export async function auditLog(db: Db, before: Date) {
  const { begin, end } = lastCompletedMonth(before);
  const rows = await db
    .selectFrom('services')
    .select('host')
    .distinct()
    .where('topic', '=', 'compute')
    .where('deleted', '=', 0)
    .orderBy('host')
    .execute();
  const hosts = rows.map((r) => r.host);
  return {
    period_beginning: pyDatetime(begin),
    period_ending: pyDatetime(end),
    num_hosts: hosts.length,
    num_hosts_done: 0,
    num_hosts_running: 0,
    num_hosts_not_run: hosts.length,
    hosts_not_run: hosts,
    total_instances: 0,
    total_errors: 0,
    overall_status: `${hosts.length === 0 ? 'ALL' : `0 of ${hosts.length}`} hosts done. 0 errors.`,
    log: {},
  };
}
