// Instance faults: why a server is in ERROR (shown as its `fault`), most recent first.
import type { Db } from './instance.js';
import { now } from './instance.js';

export interface Fault {
  code: number;
  message: string;
  details: string | null;
  host: string | null;
  created_at: string;
}

export async function addFault(db: Db, instanceUuid: string, f: Omit<Fault, 'created_at'>): Promise<void> {
  await db
    .insertInto('instance_faults')
    .values({
      instance_uuid: instanceUuid,
      code: f.code,
      message: f.message.slice(0, 255),
      details: f.details,
      host: f.host,
      created_at: now(),
      updated_at: null,
      deleted_at: null,
    })
    .execute();
}

/** The latest fault of each instance that has one. */
export async function latestFaults(db: Db, uuids: string[]): Promise<Map<string, Fault>> {
  const out = new Map<string, Fault>();
  if (!uuids.length) return out;
  const rows = await db
    .selectFrom('instance_faults')
    .selectAll()
    .where('instance_uuid', 'in', uuids)
    .orderBy('id', 'desc')
    .execute();
  for (const r of rows) {
    if (!out.has(r.instance_uuid)) {
      out.set(r.instance_uuid, {
        code: r.code,
        message: r.message ?? '',
        details: r.details,
        host: r.host,
        created_at: r.created_at,
      });
    }
  }
  return out;
}
