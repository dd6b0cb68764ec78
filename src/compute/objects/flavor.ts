// Flavors: what a server is made of (vCPUs, RAM, disks), public or for the projects given access
// (flavor_access.ts), with extra specs that tell the scheduler more (flavor_extra_specs.ts). The
// rules of Nova's nova.compute.flavors and objects/flavor.py.
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { executeTogether, uniqueViolation } from '../../common/db/index.js';
import type { ComputeDB, FlavorsTable } from '../db/schema.js';
import {
  FlavorExists,
  FlavorIdExists,
  FlavorNotFound,
  InvalidInput,
  InvalidName,
  MarkerNotFound,
} from '../exceptions.js';
import { isValidName, NAME_RULE } from './text.js';

export interface Flavor {
  /** Internal; instances refer to it. */
  id: number;
  /** The flavor's id on the wire. */
  flavorid: string;
  name: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  rxtx_factor: number;
  vcpu_weight: number | null;
  disabled: boolean;
  is_public: boolean;
  description: string | null;
  extra_specs: Record<string, string>;
  created_at: string;
  updated_at: string | null;
}

/** Who looks: administrators see every flavor; others the public ones and those their project
 * was given access to. */
export interface FlavorViewer {
  isAdmin: boolean;
  projectId: string | null;
}

export type Db = Kysely<ComputeDB>;

/** What a flavor list may be sorted by (Nova's VALID_SORT_KEYS). */
export const SORT_KEYS = [
  'created_at',
  'description',
  'disabled',
  'ephemeral_gb',
  'flavorid',
  'id',
  'is_public',
  'memory_mb',
  'name',
  'root_gb',
  'rxtx_factor',
  'swap',
  'updated_at',
  'vcpu_weight',
  'vcpus',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

function fromRow(row: Selectable<FlavorsTable>, extraSpecs: Record<string, string> = {}): Flavor {
  return { ...row, disabled: row.disabled === 1, is_public: row.is_public === 1, extra_specs: extraSpecs };
}

export async function extraSpecsOf(db: Db, ids: number[]): Promise<Map<number, Record<string, string>>> {
  const out = new Map<number, Record<string, string>>(ids.map((id) => [id, {}]));
  if (!ids.length) return out;
  const rows = await db
    .selectFrom('flavor_extra_specs')
    .select(['flavor_id', 'key', 'value'])
    .where('flavor_id', 'in', ids)
    .orderBy('key')
    .execute();
  for (const r of rows) out.get(r.flavor_id)![r.key] = r.value;
  return out;
}

/** The flavors `viewer` may see (Nova's _flavor_get_query_from_db). */
function visible(db: Db, viewer: FlavorViewer) {
  const q = db.selectFrom('flavors').selectAll();
  if (viewer.isAdmin) return q;
  return q.where((eb) =>
    eb.or([
      eb('is_public', '=', 1),
      eb(
        'id',
        'in',
        eb
          .selectFrom('flavor_projects')
          .select('flavor_id')
          .where('project_id', '=', viewer.projectId ?? ''),
      ),
    ]),
  );
}

/** A flavor by its wire id, with its extra specs; FlavorNotFound when `viewer` may not see it. */
export async function getFlavor(db: Db, flavorid: string, viewer: FlavorViewer): Promise<Flavor> {
  // The row and its extra specs in one round trip (the specs found by the wire id).
  const [rows, specs] = await executeTogether(db, [
    visible(db, viewer).where('flavorid', '=', flavorid),
    db
      .selectFrom('flavor_extra_specs')
      .select(['flavor_id', 'key', 'value'])
      .where('flavor_id', 'in', db.selectFrom('flavors').select('id').where('flavorid', '=', flavorid))
      .orderBy('key'),
  ]);
  const row = rows.rows[0];
  if (!row) throw new FlavorNotFound(flavorid);
  const extra: Record<string, string> = {};
  for (const r of specs.rows) if (r.flavor_id === row.id) extra[r.key] = r.value;
  return fromRow(row, extra);
}

export interface FlavorFilters {
  /** true: public (and, for a project, those it has access to); false: private; null: all. */
  isPublic: boolean | null;
  disabled?: boolean;
  minMemoryMb?: number;
  minRootGb?: number;
}

export interface FlavorPage {
  sortKey: SortKey;
  sortDir: 'asc' | 'desc';
  limit: number;
  marker?: string;
}

/** SQL sorts NULL below everything (MySQL, where Nova runs, does), then by value. */
function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : 1;
}

/** One page of the flavors `viewer` may see that match `filters`, ordered by the sort key then
 * the internal id (Nova's paginate_query), after the marker flavor when one is given. */
export async function listFlavors(
  db: Db,
  viewer: FlavorViewer,
  filters: FlavorFilters,
  page: FlavorPage,
): Promise<Flavor[]> {
  const rows = (await visible(db, viewer).execute()).map((r) => fromRow(r));
  let marker: Flavor | undefined;
  if (page.marker !== undefined) {
    marker = rows.find((f) => f.flavorid === page.marker);
    if (!marker) throw new MarkerNotFound(page.marker);
  }
  const access =
    viewer.projectId === null
      ? new Set<number>()
      : new Set(
          (
            await db
              .selectFrom('flavor_projects')
              .select('flavor_id')
              .where('project_id', '=', viewer.projectId)
              .execute()
          ).map((r) => r.flavor_id),
        );
  const matches = (f: Flavor) =>
    (filters.minMemoryMb === undefined || f.memory_mb >= filters.minMemoryMb) &&
    (filters.minRootGb === undefined || f.root_gb >= filters.minRootGb) &&
    (filters.disabled === undefined || f.disabled === filters.disabled) &&
    (filters.isPublic === null || f.is_public === filters.isPublic || (filters.isPublic && access.has(f.id)));
  const dir = page.sortDir === 'desc' ? -1 : 1;
  const key = (f: Flavor) => f[page.sortKey];
  const order = (a: Flavor, b: Flavor) => dir * (compare(key(a), key(b)) || compare(a.id, b.id));
  let found = rows.filter(matches).sort(order);
  if (marker) found = found.filter((f) => order(f, marker) > 0);
  found = found.slice(0, page.limit);
  const specs = await extraSpecsOf(
    db,
    found.map((f) => f.id),
  );
  return found.map((f) => ({ ...f, extra_specs: specs.get(f.id)! }));
}

export interface NewFlavor {
  name: string;
  flavorid?: string | number | null;
  memory_mb: number | string;
  vcpus: number | string;
  root_gb: number | string;
  ephemeral_gb?: number | string;
  swap?: number | string;
  rxtx_factor?: number | string;
  is_public?: boolean | string;
  description?: string | null;
}

/** oslo's bool_from_string, strict. */
export function parseBoolean(v: boolean | string): boolean | null {
  if (typeof v === 'boolean') return v;
  const s = v.trim().toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(s)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(s)) return false;
  return null;
}

const MAX_INT = 0x7fffffff;
const SQL_SP_FLOAT_MAX = 3.40282e38;

/** nova.utils.validate_integer. */
function integer(value: number | string, what: string, min: number): number {
  const n = typeof value === 'number' ? value : /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n)) throw new InvalidInput(`${what} must be an integer`);
  if (n < min) throw new InvalidInput(`${what} must be >= ${min}`);
  if (n > MAX_INT) throw new InvalidInput(`${what} must be <= ${MAX_INT}`);
  return n;
}

export const now = () => new Date().toISOString();

/** Creates a flavor (Nova's flavors.create): the id generated when none is given. */
export async function createFlavor(db: Db, f: NewFlavor): Promise<Flavor> {
  if (!isValidName(f.name)) throw new InvalidName(NAME_RULE);
  const rxtx = Number(f.rxtx_factor ?? 1.0);
  if (!(rxtx > 0 && rxtx <= SQL_SP_FLOAT_MAX)) {
    throw new InvalidInput(`'rxtx_factor' argument must be a float between 0 and ${SQL_SP_FLOAT_MAX}`);
  }
  const isPublic = parseBoolean(f.is_public ?? true);
  if (isPublic === null) throw new InvalidInput('is_public must be a boolean');
  const row = {
    flavorid: f.flavorid === undefined || f.flavorid === null || f.flavorid === '' ? randomUUID() : String(f.flavorid),
    name: f.name.trim(),
    memory_mb: integer(f.memory_mb, 'ram', 1),
    vcpus: integer(f.vcpus, 'vcpus', 1),
    root_gb: integer(f.root_gb, 'disk', 0),
    ephemeral_gb: integer(f.ephemeral_gb ?? 0, 'ephemeral', 0),
    swap: integer(f.swap ?? 0, 'swap', 0),
    rxtx_factor: rxtx,
    vcpu_weight: null,
    disabled: 0,
    is_public: isPublic ? 1 : 0,
    description: f.description ?? null,
    created_at: now(),
    updated_at: null,
  };
  try {
    const { id } = await db.insertInto('flavors').values(row).returning('id').executeTakeFirstOrThrow();
    return fromRow({ ...row, id });
  } catch (e) {
    const columns = uniqueViolation(e);
    if (columns?.includes('flavorid')) throw new FlavorIdExists(row.flavorid);
    if (columns?.includes('name')) throw new FlavorExists(row.name);
    throw e;
  }
}

/** Sets a flavor's description (the only thing about a flavor that may change, 2.55). */
export async function updateDescription(db: Db, flavorid: string, description: string | null): Promise<Flavor> {
  const updated = await db
    .updateTable('flavors')
    .set({ description, updated_at: now() })
    .where('flavorid', '=', flavorid)
    .executeTakeFirst();
  if (!Number(updated.numUpdatedRows)) throw new FlavorNotFound(flavorid);
  return getFlavor(db, flavorid, { isAdmin: true, projectId: null });
}

/** Deletes a flavor with its extra specs and access list. Servers keep their copy of it. */
export async function deleteFlavor(db: Db, flavorid: string): Promise<void> {
  const deleted = await db.deleteFrom('flavors').where('flavorid', '=', flavorid).executeTakeFirst();
  if (!Number(deleted.numDeletedRows)) throw new FlavorNotFound(flavorid);
}
