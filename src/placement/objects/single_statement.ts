// PostgreSQL fast paths for the writes a compute node makes all day (replace a provider's
// inventories, aggregates, traits): each is ONE autocommitted statement.
//
// Why: on PostgreSQL every statement is a round trip, and round trips, not the SQL, are what
// these writes cost (a loopback `writev` is 50–100 µs on the benchmark VM, a quarter of the
// server's CPU while perfload loads providers). The general path — BEGIN, claim the provider by
// generation, read what it has, write the difference, COMMIT — is 5 or 6 round trips; with
// data-modifying CTEs it is one. SQLite runs in-process, has no such cost and no DML in CTEs, so
// it keeps the general path.
//
// How it stays correct: the claim (the generation compare-and-swap every provider write goes
// through) also carries the conditions that would make the general path fail — every named class
// or trait exists, no allocation on a class that goes away, something changes at all (traits) —
// and the other sub-statements write only through the claimed row. So either everything is
// written, or nothing is and the statement returns no row; then the caller runs the general
// path, which says why (404, 409, 400) or, if the state changed meanwhile, succeeds. Writers of
// one provider are serialised by the claim's row lock, as in the general path.
import { sql, type Kysely } from 'kysely';
import type { PlacementDB } from '../db/schema.js';
import { now } from '../../common/time.js';
import type { Inventory } from './inventory.js';
import type { ProviderRef } from './resource_provider.js';
import type { Trait } from './trait.js';

type Db = Kysely<PlacementDB>;

/** Makes the provider a member of exactly the aggregates `ids`; null when nothing was written. */
export async function setAggregatesAtOnce(
  db: Db,
  uuid: string,
  expected: number,
  ids: number[],
): Promise<ProviderRef | null> {
  const ts = now();
  const { rows } = await sql<{ id: number; generation: number }>`
    WITH claim AS (
      UPDATE resource_providers SET generation = generation + 1, updated_at = ${ts}
      WHERE uuid = ${uuid} AND generation = ${expected} RETURNING id, generation),
    gone AS (
      DELETE FROM resource_provider_aggregates m USING claim
      WHERE m.resource_provider_id = claim.id AND NOT m.aggregate_id = ANY(${ids}::integer[])),
    added AS (
      INSERT INTO resource_provider_aggregates (resource_provider_id, aggregate_id, created_at)
      SELECT claim.id, a, ${ts} FROM claim, unnest(${ids}::integer[]) AS a
      ON CONFLICT DO NOTHING)
    SELECT id, generation FROM claim`.execute(db);
  const row = rows[0];
  return row ? { id: row.id, uuid, generation: row.generation } : null;
}

/** Gives the provider exactly the traits `names`; null when nothing was written (also when
 * nothing would change, which leaves the generation alone). */
export async function setTraitsAtOnce(
  db: Db,
  uuid: string,
  expected: number,
  names: string[],
): Promise<{ generation: number; traits: Trait[] } | null> {
  const distinct = [...new Set(names)];
  const ts = now();
  const { rows } = await sql<{ generation: number } & Partial<Trait>>`
    WITH wanted AS (SELECT * FROM traits WHERE name = ANY(${distinct}::text[])),
    claim AS (
      UPDATE resource_providers rp SET generation = generation + 1, updated_at = ${ts}
      WHERE uuid = ${uuid} AND generation = ${expected}
        AND (SELECT count(*) FROM wanted) = ${distinct.length}
        AND ((SELECT count(*) FROM resource_provider_traits h WHERE h.resource_provider_id = rp.id) <> ${distinct.length}
          OR EXISTS (SELECT 1 FROM resource_provider_traits h WHERE h.resource_provider_id = rp.id
            AND h.trait_id NOT IN (SELECT id FROM wanted)))
      RETURNING id, generation),
    gone AS (
      DELETE FROM resource_provider_traits h USING claim
      WHERE h.resource_provider_id = claim.id AND h.trait_id NOT IN (SELECT id FROM wanted)),
    added AS (
      INSERT INTO resource_provider_traits (resource_provider_id, trait_id, created_at)
      SELECT claim.id, wanted.id, ${ts} FROM claim, wanted ON CONFLICT DO NOTHING)
    SELECT claim.generation, w.id, w.name, w.created_at, w.updated_at
    FROM claim LEFT JOIN wanted w ON true ORDER BY w.name`.execute(db);
  if (!rows.length) return null;
  const traits = rows
    .filter((r) => r.id != null)
    .map((r) => ({
      id: r.id!,
      name: r.name!,
      created_at: r.created_at!,
      updated_at: r.updated_at ?? null,
    }));
  return { generation: rows[0]!.generation, traits };
}

/** Replaces the provider's inventories; null when nothing was written. Also returns what is
 * allocated of each class kept, for the over-capacity warning. */
export async function setInventoriesAtOnce(
  db: Db,
  uuid: string,
  expected: number,
  inventories: Inventory[],
): Promise<{ rp: ProviderRef; used: Map<string, number> } | null> {
  const col = <K extends keyof Inventory>(k: K) => inventories.map((i) => i[k]);
  const ts = now();
  const { rows } = await sql<{ id: number; generation: number; name: string | null; used: number | null }>`
    WITH given AS (
      SELECT * FROM unnest(${col('resource_class')}::text[], ${col('total')}::integer[],
        ${col('reserved')}::integer[], ${col('min_unit')}::integer[], ${col('max_unit')}::integer[],
        ${col('step_size')}::integer[], ${col('allocation_ratio')}::real[])
        AS g(name, total, reserved, min_unit, max_unit, step_size, allocation_ratio)),
    classes AS (SELECT rc.id, rc.name FROM resource_classes rc JOIN given USING (name)),
    claim AS (
      UPDATE resource_providers rp SET generation = generation + 1, updated_at = ${ts}
      WHERE uuid = ${uuid} AND generation = ${expected}
        AND (SELECT count(*) FROM classes) = ${inventories.length}
        AND NOT EXISTS (SELECT 1 FROM allocations a WHERE a.resource_provider_id = rp.id
          AND a.resource_class_id NOT IN (SELECT id FROM classes))
      RETURNING id, generation),
    gone AS (
      DELETE FROM inventories i USING claim
      WHERE i.resource_provider_id = claim.id AND i.resource_class_id NOT IN (SELECT id FROM classes)),
    put AS (
      INSERT INTO inventories (resource_provider_id, resource_class_id, total, reserved, min_unit,
        max_unit, step_size, allocation_ratio, created_at, updated_at)
      SELECT claim.id, c.id, g.total, g.reserved, g.min_unit, g.max_unit, g.step_size, g.allocation_ratio, ${ts}, NULL
      FROM claim, classes c JOIN given g USING (name)
      ON CONFLICT (resource_provider_id, resource_class_id) DO UPDATE SET total = excluded.total,
        reserved = excluded.reserved, min_unit = excluded.min_unit, max_unit = excluded.max_unit,
        step_size = excluded.step_size, allocation_ratio = excluded.allocation_ratio, updated_at = ${ts})
    SELECT claim.id, claim.generation, u.name, u.used FROM claim LEFT JOIN (
      SELECT c.name, sum(a.used) AS used FROM allocations a JOIN classes c ON c.id = a.resource_class_id
      WHERE a.resource_provider_id = (SELECT id FROM claim) GROUP BY c.name) u ON true`.execute(db);
  const first = rows[0];
  if (!first) return null;
  const used = new Map(rows.filter((r) => r.name !== null).map((r) => [r.name!, Number(r.used)]));
  return { rp: { id: first.id, uuid, generation: first.generation }, used };
}
