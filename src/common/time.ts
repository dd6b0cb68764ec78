// The time every service stamps its rows with (created_at, updated_at ...): ISO 8601 in UTC, to
// the millisecond, which sorts as text on both engines.

export function now(): string {
  return new Date().toISOString();
}
