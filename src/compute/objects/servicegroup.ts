// Whether a service is up, as Nova's servicegroup DB driver decides: not forced down, and its last
// heartbeat (last_seen_up, or its creation when it never beat) within [DEFAULT] service_down_time.
import type { Db } from './instance.js';

export function isUp(
  s: { forced_down: boolean; last_seen_up: string | null; created_at: string },
  downTimeSeconds: number,
  at = Date.now(),
): boolean {
  if (s.forced_down) return false;
  return Math.abs(at - Date.parse(s.last_seen_up ?? s.created_at)) <= downTimeSeconds * 1000;
}

/** Whether the nova-compute service of `host` is up (a host without one counts as down). */
export async function hostUp(db: Db, host: string, downTimeSeconds: number): Promise<boolean> {
  const service = await db
    .selectFrom('services')
    .select(['forced_down', 'last_seen_up', 'created_at'])
    .where('host', '=', host)
    .where('binary', '=', 'nova-compute')
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return service !== undefined && isUp({ ...service, forced_down: service.forced_down === 1 }, downTimeSeconds);
}
