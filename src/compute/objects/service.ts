// Services: a nova-compute (or other) service on a host, as Nova's services table keeps it — its
// heartbeat (report_count, last_seen_up), whether the scheduler may use it (disabled, with a
// reason) and whether an operator declared it down (forced_down). Up or down is the servicegroup
// DB driver's rule (servicegroup.ts).
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { engineOf, inTexts, uniqueViolation, withTransaction } from '../../common/db/index.js';
import type { JobQueue } from '../../common/jobs/index.js';
import { asService, ClientError, type PlacementClient } from '../../common/clients/index.js';
import type { Logger } from 'pino';
import { ServiceHostsInstances } from '../exceptions.js';
import { computeNodesOfHost, countInstancesOnHost, deleteComputeNodes } from './compute_node.js';
import { aggregateZonesOf } from './availability_zone.js';
import { isUp } from './servicegroup.js';
import type { ComputeDB, ServicesTable } from '../db/schema.js';
import { now } from './flavor.js';

export const COMPUTE_BINARY = 'nova-compute';
export const COMPUTE_TOPIC = 'compute';
/** nova.objects.service.SERVICE_VERSION of Zed, which the services row records. */
export const SERVICE_VERSION = 64;
/** The job an agent runs when its service is enabled or disabled: the COMPUTE_STATUS_DISABLED
 * trait of its hypervisors follows (Nova's set_host_enabled RPC). */
export const SET_HOST_ENABLED = 'set_host_enabled';

export type Db = Kysely<ComputeDB>;

export interface Service {
  id: number;
  uuid: string;
  host: string;
  binary: string;
  topic: string | null;
  report_count: number;
  disabled: boolean;
  disabled_reason: string | null;
  last_seen_up: string | null;
  forced_down: boolean;
  version: number;
  created_at: string;
  updated_at: string | null;
}

function fromRow(r: Selectable<ServicesTable>): Service {
  return {
    id: r.id,
    uuid: r.uuid,
    host: r.host,
    binary: r.binary,
    topic: r.topic,
    report_count: r.report_count,
    disabled: r.disabled === 1,
    disabled_reason: r.disabled_reason,
    last_seen_up: r.last_seen_up,
    forced_down: r.forced_down === 1,
    version: r.version,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

const live = (db: Db) => db.selectFrom('services').selectAll().where('deleted', '=', 0);

/** The service rows of `hosts` for `binary`, created where missing (a compute agent's start).
 * Agents starting together on one database may race to create a row: the loser reads the winner's. */
export async function registerServices(
  db: Db,
  hosts: string[],
  binary = COMPUTE_BINARY,
  topic = COMPUTE_TOPIC,
): Promise<Map<string, Service>> {
  const found = new Map<string, Service>();
  for (let i = 0; i < hosts.length; i += 500) {
    const rows = await live(db)
      .where('binary', '=', binary)
      .where('host', 'in', hosts.slice(i, i + 500))
      .execute();
    for (const r of rows) found.set(r.host, fromRow(r));
  }
  for (const host of hosts) {
    if (found.has(host)) continue;
    const t = now();
    try {
      const row = await db
        .insertInto('services')
        .values({
          uuid: randomUUID(),
          host,
          binary,
          topic,
          report_count: 0,
          disabled: 0,
          disabled_reason: null,
          last_seen_up: null,
          forced_down: 0,
          version: SERVICE_VERSION,
          created_at: t,
          updated_at: null,
          deleted_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      found.set(host, fromRow(row));
    } catch (e) {
      if (!uniqueViolation(e)) throw e;
      found.set(
        host,
        fromRow(await live(db).where('binary', '=', binary).where('host', '=', host).executeTakeFirstOrThrow()),
      );
    }
  }
  return found;
}

/** One heartbeat of every service of `hosts` (`binary`), in one statement: report_count counted
 * on, last_seen_up and updated_at set. The hosts whose row is gone (deleted through the API while
 * the agent runs) are returned. */
export async function reportState(db: Db, hosts: string[], binary = COMPUTE_BINARY): Promise<string[]> {
  const t = now();
  const seen = new Set<string>();
  for (let i = 0; i < hosts.length; i += 500) {
    const rows = await db
      .updateTable('services')
      .set((eb) => ({ report_count: eb('report_count', '+', 1), last_seen_up: t, updated_at: t }))
      .where('deleted', '=', 0)
      .where('binary', '=', binary)
      .where('host', 'in', hosts.slice(i, i + 500))
      .returning('host')
      .execute();
    for (const r of rows) seen.add(r.host);
  }
  return hosts.filter((h) => !seen.has(h));
}

export interface ServiceFilters {
  host?: string;
  binary?: string;
}

export async function listServices(db: Db, filters: ServiceFilters = {}): Promise<Service[]> {
  let q = live(db);
  if (filters.host) q = q.where('host', '=', filters.host);
  if (filters.binary) q = q.where('binary', '=', filters.binary);
  return (await q.orderBy('id').execute()).map(fromRow);
}

/** A service by its uuid (2.53) or integer id (before); undefined when there is none. */
export async function findService(db: Db, id: { uuid: string } | { id: number }): Promise<Service | undefined> {
  const row =
    'uuid' in id
      ? await live(db).where('uuid', '=', id.uuid).executeTakeFirst()
      : await live(db).where('id', '=', id.id).executeTakeFirst();
  return row && fromRow(row);
}

export async function findServiceByHost(db: Db, host: string, binary = COMPUTE_BINARY): Promise<Service | undefined> {
  const row = await live(db).where('host', '=', host).where('binary', '=', binary).executeTakeFirst();
  return row && fromRow(row);
}

/** The compute services of `hosts`, by host. */
export async function computeServicesOf(db: Db, hosts: string[]): Promise<Map<string, Service>> {
  return servicesByHost(await computeServicesQuery(db, hosts).execute());
}

/** computeServicesOf's statement, for a batch (then servicesByHost with its rows). */
export function computeServicesQuery(db: Db, hosts: string[]) {
  return live(db)
    .where('binary', '=', COMPUTE_BINARY)
    .where(inTexts(engineOf(db), 'host', hosts));
}

export function servicesByHost(rows: Selectable<ServicesTable>[]): Map<string, Service> {
  return new Map(rows.map((r) => [r.host, fromRow(r)]));
}

export interface ServiceChanges {
  disabled?: boolean;
  disabled_reason?: string | null;
  forced_down?: boolean;
}

/** Saves `changes` to the service. When it was enabled or disabled and is up, its agent is asked,
 * in the same transaction, to put its hypervisors' COMPUTE_STATUS_DISABLED trait right at once (a
 * down agent does so at its next start, as Nova's does). */
export async function updateService(
  db: Db,
  jobs: JobQueue,
  service: Service,
  changes: ServiceChanges,
  downTimeSeconds: number,
): Promise<Service> {
  return withTransaction(db, async (trx) => {
    const row = await trx
      .updateTable('services')
      .set({
        ...(changes.disabled !== undefined ? { disabled: changes.disabled ? 1 : 0 } : {}),
        ...(changes.disabled_reason !== undefined ? { disabled_reason: changes.disabled_reason } : {}),
        ...(changes.forced_down !== undefined ? { forced_down: changes.forced_down ? 1 : 0 } : {}),
        updated_at: now(),
      })
      .where('id', '=', service.id)
      .where('deleted', '=', 0)
      .returningAll()
      .executeTakeFirst();
    if (!row) return service;
    const updated = fromRow(row);
    if (
      updated.binary === COMPUTE_BINARY &&
      changes.disabled !== undefined &&
      changes.disabled !== service.disabled &&
      isUp(updated, downTimeSeconds)
    ) {
      await jobs.enqueue<ComputeDB>(trx, {
        kind: SET_HOST_ENABLED,
        target: updated.host,
        payload: { enabled: !updated.disabled },
      });
    }
    return updated;
  });
}

/** The availability zone of each service (Nova's set_availability_zones), by service id. */
export async function availabilityZonesOf(
  db: Db,
  services: Service[],
  zones: { defaultZone: string; internalZone: string },
): Promise<Map<number, string>> {
  const aggregateZones = await aggregateZonesOf(db, [
    ...new Set(services.filter((s) => s.binary === COMPUTE_BINARY).map((s) => s.host)),
  ]);
  return new Map(
    services.map((s) => [
      s.id,
      s.binary !== COMPUTE_BINARY ? zones.internalZone : (aggregateZones.get(s.host)?.join(',') ?? zones.defaultZone),
    ]),
  );
}

/** Deletes a service. A compute service hosting instances is refused; otherwise its host leaves
 * its aggregates, its nodes' resource providers are deleted from Placement (one that still holds
 * allocations stays, and is logged, as Nova does), and its compute nodes go with it. */
export async function deleteService(
  db: Db,
  placement: PlacementClient | undefined,
  service: Service,
  log: Logger,
): Promise<void> {
  if (service.binary === COMPUTE_BINARY) {
    if (await countInstancesOnHost(db, service.host)) throw new ServiceHostsInstances();
    const nodes = await computeNodesOfHost(db, service.host);
    await db.deleteFrom('aggregate_hosts').where('host', '=', service.host).execute();
    for (const node of nodes) {
      if (!placement) {
        log.warn({ node: node.uuid }, "no service user to call Placement with: the node's resource provider stays");
        continue;
      }
      await placement.resourceProviders.delete(asService(), node.uuid).catch((err: unknown) => {
        if (err instanceof ClientError && err.status === 404) return;
        log.error(
          { err, node: node.uuid },
          "could not delete the resource provider of a deleted service's compute node",
        );
      });
    }
    await deleteComputeNodes(
      db,
      nodes.map((n) => n.id),
    );
  }
  const t = now();
  await db
    .updateTable('services')
    .set((eb) => ({ deleted: eb.ref('id'), deleted_at: t, updated_at: t }))
    .where('id', '=', service.id)
    .execute();
}
