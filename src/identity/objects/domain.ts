// Domains: the top-level containers of projects, users and groups.
import type { Kysely } from 'kysely';
import type { DomainTable, IdentityDB } from '../db/schema.js';
import { conflict, notFound } from '../exceptions.js';
import { flag, newId, parseJson, splitExtra } from './common.js';
import { uniqueViolation } from '../../common/db/index.js';
import { now } from '../../common/time.js';
import { revoke } from './revocation.js';

type DB = Kysely<IdentityDB>;

const COLUMNS = ['id', 'name', 'description', 'enabled', 'tags', 'options', 'explicit_domain_id', 'links'] as const;

export interface DomainInput {
  name?: string;
  description?: string | null;
  enabled?: boolean;
  tags?: string[];
  explicit_domain_id?: string;
  [extra: string]: unknown;
}

export async function findDomain(db: DB, id: string): Promise<DomainTable | undefined> {
  return db.selectFrom('domain').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getDomain(db: DB, id: string): Promise<DomainTable> {
  const d = await findDomain(db, id);
  if (!d) throw notFound('domain', id);
  return d;
}

export async function findDomainByName(db: DB, name: string): Promise<DomainTable | undefined> {
  return db.selectFrom('domain').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function listDomains(db: DB, f: { name?: string; enabled?: boolean }): Promise<DomainTable[]> {
  let q = db.selectFrom('domain').selectAll().orderBy('name');
  if (f.name !== undefined) q = q.where('name', '=', f.name);
  if (f.enabled !== undefined) q = q.where('enabled', '=', f.enabled ? 1 : 0);
  return q.execute();
}

export async function createDomain(db: DB, input: DomainInput): Promise<DomainTable> {
  const row: DomainTable = {
    id: input.explicit_domain_id ?? newId(),
    name: input.name!,
    description: input.description ?? null,
    enabled: flag(input.enabled),
    tags: JSON.stringify(input.tags ?? []),
    extra: JSON.stringify(splitExtra(input, COLUMNS)),
    created_at: now(),
  };
  try {
    await db.insertInto('domain').values(row).execute();
  } catch (e) {
    if (uniqueViolation(e)) throw conflict('domain', `Duplicate entry found with name ${row.name}`);
    throw e;
  }
  return row;
}

export async function updateDomain(db: DB, id: string, input: DomainInput): Promise<DomainTable> {
  const d = await getDomain(db, id);
  const extra = { ...parseJson<Record<string, unknown>>(d.extra, {}), ...splitExtra(input, COLUMNS) };
  const changes: Partial<DomainTable> = { extra: JSON.stringify(extra) };
  if (input.name !== undefined) changes.name = input.name;
  if (input.description !== undefined) changes.description = input.description;
  if (input.enabled !== undefined) changes.enabled = flag(input.enabled);
  if (input.tags !== undefined) changes.tags = JSON.stringify(input.tags);
  try {
    await db.updateTable('domain').set(changes).where('id', '=', id).execute();
  } catch (e) {
    if (uniqueViolation(e)) throw conflict('domain', `Duplicate entry found with name ${input.name}`);
    throw e;
  }
  // A disabled domain's tokens stay dead even if it is enabled again, as in Keystone.
  if (input.enabled === false && d.enabled === 1) await revoke(db, { domain_id: id });
  return { ...d, ...changes };
}
