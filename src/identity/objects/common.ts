// Small helpers shared by the identity domain modules.
import { randomUUID } from 'node:crypto';
import { expiryInPast, invalidTimestamp } from '../exceptions.js';

/** Keystone's ids: uuid4 as 32 hex digits. */
export function newId(): string {
  return randomUUID().replace(/-/g, '');
}

export function parseJson<T>(s: string | null | undefined, fallback: T): T {
  if (!s) return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}

export const flag = (b: boolean | undefined, dflt = true): number => ((b ?? dflt) ? 1 : 0);

/** Splits a Keystone request object into the known columns and the extra attributes Keystone keeps
 * verbatim (additionalProperties: true). */
export function splitExtra(body: Record<string, unknown>, known: readonly string[]): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!known.includes(k)) extra[k] = v;
  return extra;
}

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** An ISO 8601 timestamp read as Keystone reads one (oslo's parse_isotime): UTC unless it names a
 * zone, kept to the microsecond (which a JavaScript Date would round away). The result is
 * 'YYYY-MM-DDTHH:MM:SS.ffffffZ', or null when the text is no such timestamp. */
export function parseTimestamp(value: string): string | null {
  const m = ISO_8601.exec(value.trim());
  if (!m) return null;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((x) => Number(x ?? 0));
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls 31 February over into March: a timestamp that does not come back is invalid.
  if (
    local.getUTCFullYear() !== year ||
    local.getUTCMonth() !== month - 1 ||
    local.getUTCDate() !== day ||
    local.getUTCHours() !== hour ||
    local.getUTCMinutes() !== minute ||
    local.getUTCSeconds() !== second
  )
    return null;
  const zone = (m[8] ?? 'Z').toUpperCase();
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * (zone[0] === '-' ? -1 : 1);
  }
  const utc = new Date(local.getTime() - offsetMinutes * 60_000);
  return `${utc.toISOString().slice(0, 19)}.${(m[7] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
}

/** An expiry as Keystone takes one (utils.parse_expiration_date): a timestamp, UTC unless it
 * names a zone, not in the past; kept to the microsecond, as Keystone gives it back. */
export function parseExpiry(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const t = parseTimestamp(value);
  if (t === null) throw invalidTimestamp();
  if (Date.parse(t) < Date.now()) throw expiryInPast();
  return t;
}

/** A stored timestamp as Keystone serialises a database datetime (oslo's PERFECT_TIME_FORMAT):
 * UTC, microseconds, no zone designator. */
export function naiveMicro(stored: string): string {
  return (parseTimestamp(stored) ?? isoMicro(stored)).slice(0, -1);
}

export function isoMicro(d: Date | string): string {
  return new Date(d).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
