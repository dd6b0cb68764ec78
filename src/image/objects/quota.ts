// [DEFAULT] user_storage_quota: how much image data one project may keep, as Glance reads it (a
// number of bytes, or with a unit B, KB, MB, GB or TB, powers of 1024).
const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

export function parseStorageQuota(text: string): number {
  const m = /^\s*(\d+)\s*(B|KB|MB|GB|TB)?\s*$/i.exec(text);
  if (!m) throw new Error(`[DEFAULT] user_storage_quota: not a size: ${text} (expected e.g. 10GB)`);
  return Number(m[1]) * UNITS[(m[2] ?? 'B').toUpperCase()]!;
}
