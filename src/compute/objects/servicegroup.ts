// Whether a service is up, as Nova's servicegroup DB driver decides: not forced down, and its last
// heartbeat (last_seen_up, or its creation when it never beat) within [DEFAULT] service_down_time.

export function isUp(
  s: { forced_down: boolean; last_seen_up: string | null; created_at: string },
  downTimeSeconds: number,
  at = Date.now(),
): boolean {
  if (s.forced_down) return false;
  return Math.abs(at - Date.parse(s.last_seen_up ?? s.created_at)) <= downTimeSeconds * 1000;
}
