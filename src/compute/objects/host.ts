// os-hosts (nova/api/openstack/compute/hosts.py, until 2.42): the hosts of the enabled services
// with their zones, and a compute host's resources — its node's totals and use, what its
// instances take in all and per project.
import type { Config } from '../../common/config.js';
import { HostNotFound } from '../exceptions.js';
import { servicesWithZones } from './availability_zone.js';
import { computeNodesOfHosts } from './compute_node.js';
import type { Db } from './flavor.js';

export interface HostEntry {
  host_name: string;
  service: string;
  zone: string;
}

export interface HostResource {
  host: string;
  project: string;
  cpu: number;
  memory_mb: number;
  disk_gb: number;
}

/** The enabled services' hosts, in `zone` when given. A service's topic is its binary without the
 * `nova-` prefix (compute, conductor, scheduler), as Nova names them. */
export async function listHosts(db: Db, config: Config, zone?: string): Promise<HostEntry[]> {
  const services = await servicesWithZones(db, config);
  return services
    .filter((s) => !s.disabled && (!zone || s.zone === zone))
    .map((s) => ({ host_name: s.host, service: s.binary.replace(/^nova-/, ''), zone: s.zone }));
}

export async function hostResources(db: Db, host: string): Promise<HostResource[]> {
  const [node] = await computeNodesOfHosts(db, [host]);
  if (!node) throw new HostNotFound(host);
  const instances = await db
    .selectFrom('instances')
    .select(['project_id', 'vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb'])
    .where('host', '=', host)
    .where('deleted', '=', 0)
    .execute();
  const resource = (project: string, cpu: number, memory_mb: number, disk_gb: number): HostResource => ({
    host,
    project,
    cpu,
    memory_mb,
    disk_gb,
  });
  const perProject = new Map<string, HostResource>();
  const max = resource('(used_max)', 0, 0, 0);
  for (const i of instances) {
    const p = perProject.get(i.project_id) ?? resource(i.project_id, 0, 0, 0);
    perProject.set(i.project_id, p);
    for (const r of [p, max]) {
      r.cpu += i.vcpus ?? 0;
      r.memory_mb += i.memory_mb ?? 0;
      r.disk_gb += (i.root_gb ?? 0) + (i.ephemeral_gb ?? 0);
    }
  }
  return [
    resource('(total)', node.vcpus, node.memory_mb, node.local_gb),
    resource('(used_now)', node.vcpus_used, node.memory_mb_used, node.local_gb_used),
    max,
    ...perProject.values(),
  ];
}
