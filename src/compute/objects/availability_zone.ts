// Availability zones (nova/availability_zones.py): a compute host's zone is the availability_zone
// metadata of the aggregates it is in (several joined by commas), else [DEFAULT]
// default_availability_zone; services other than nova-compute are in
// [DEFAULT] internal_service_availability_zone.
import type { Config } from '../../common/config.js';
import type { Db } from './flavor.js';
import { isUp } from './servicegroup.js';

export const AZ_KEY = 'availability_zone';
const COMPUTE_BINARY = 'nova-compute';

/** The zones of aggregates each of `hosts` is in (hosts in none are absent). */
export async function aggregateZonesOf(db: Db, hosts: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!hosts.length) return out;
  const rows = await db
    .selectFrom('aggregate_hosts as h')
    .innerJoin('aggregate_metadata as m', 'm.aggregate_id', 'h.aggregate_id')
    .select(['h.host', 'm.value'])
    .where('m.key', '=', AZ_KEY)
    .where('h.host', 'in', hosts)
    .orderBy('m.value')
    .execute();
  for (const r of rows) {
    const zones = out.get(r.host) ?? [];
    if (!zones.includes(r.value)) zones.push(r.value);
    out.set(r.host, zones);
  }
  return out;
}

export interface ZonedService {
  host: string;
  binary: string;
  disabled: boolean;
  up: boolean;
  updated_at: string | null;
  zone: string;
}

/** Every service with its zone. */
export async function servicesWithZones(db: Db, config: Config): Promise<ZonedService[]> {
  const rows = await db.selectFrom('services').selectAll().where('deleted', '=', 0).orderBy('id').execute();
  const zones = await aggregateZonesOf(db, [
    ...new Set(rows.filter((r) => r.binary === COMPUTE_BINARY).map((r) => r.host)),
  ]);
  return rows.map((r) => ({
    host: r.host,
    binary: r.binary,
    disabled: r.disabled === 1,
    updated_at: r.updated_at,
    up: isUp({ ...r, forced_down: r.forced_down === 1 }, config.serviceDownTime),
    zone:
      r.binary === COMPUTE_BINARY
        ? (zones.get(r.host)?.join(',') ?? config.defaultAvailabilityZone)
        : config.internalServiceAvailabilityZone,
  }));
}

/** The zones with an enabled service, and those whose services are all disabled, sorted. */
export function zonesOf(services: ZonedService[]): { available: string[]; unavailable: string[] } {
  const available = new Set(services.filter((s) => !s.disabled).map((s) => s.zone));
  const unavailable = new Set(services.filter((s) => s.disabled && !available.has(s.zone)).map((s) => s.zone));
  return { available: [...available].sort(), unavailable: [...unavailable].sort() };
}

/** The zone of a compute host (Nova's get_host_availability_zone). */
export async function hostAvailabilityZone(db: Db, config: Config, host: string): Promise<string> {
  return (await aggregateZonesOf(db, [host])).get(host)?.join(',') ?? config.defaultAvailabilityZone;
}
