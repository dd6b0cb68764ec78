// Small helpers shared by the identity domain modules.
import { randomUUID } from 'node:crypto';

/** Keystone's ids: uuid4 as 32 hex digits. */
export function newId(): string {
  return randomUUID().replace(/-/g, '');
}

export function now(): string {
  return new Date().toISOString();
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

/** Whether a database error is a unique-constraint violation (SQLite or PostgreSQL). */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return err.code === '23505' || err.code === 'SQLITE_CONSTRAINT_UNIQUE'
    || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || /UNIQUE constraint failed/.test(err.message ?? '');
}
