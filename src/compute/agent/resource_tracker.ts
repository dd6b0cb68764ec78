// The resource tracker (nova.compute.resource_tracker with the report client's provider cache):
// for each node the virt drivers of its hosts report, it keeps the compute_nodes row (resources,
// what the instances placed there use, allocation ratios) and the node's Placement resource
// provider (uuid = the node's, name = its hypervisor_hostname) with its VCPU, MEMORY_MB and
// DISK_GB inventories and its traits. What Placement holds is cached, so that a report where
// nothing changed costs one round trip (three reads) of the compute database and no call to
// Placement; a generation conflict (someone else changed the provider) refreshes the cache and
// tries again.
import type { Compilable, Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../../common/config.js';
import { executeTogether, uniqueViolation } from '../../common/db/index.js';
import { asService, ClientError, type PlacementClient } from '../../common/clients/index.js';
import type { Inventory } from '../../common/clients/placement/index.js';
import type { ComputeDB } from '../db/schema.js';
import {
  computeNodesOfHosts,
  computeNodesOfHostsQuery,
  computeNodeUpdate,
  createComputeNode,
  deleteComputeNodes,
  instanceUsageQuery,
  nodeUsage,
  usageKey,
  type ComputeNode,
  type ComputeNodeValues,
  type NodeUsage,
} from '../objects/compute_node.js';
import { computeServicesQuery, servicesByHost } from '../objects/service.js';
import type { NodeResources, VirtDriver } from '../virt/driver.js';

export const COMPUTE_STATUS_DISABLED = 'COMPUTE_STATUS_DISABLED';
/** Every compute node provider carries it, so that anyone can tell them apart. */
const COMPUTE_NODE = 'COMPUTE_NODE';
/** Tries of one provider's update when others keep changing it (Nova retries four times). */
const CONFLICT_ATTEMPTS = 4;
/** Placement calls in flight at once, when many nodes report together. */
const PLACEMENT_CONCURRENCY = 8;

export interface TrackedHost {
  host: string;
  driver: VirtDriver;
}

/** What Placement holds of one provider, as last read or written. */
interface ProviderState {
  generation: number;
  inventories: Record<string, Inventory>;
  traits: Set<string>;
}

type Ratios = Record<'VCPU' | 'MEMORY_MB' | 'DISK_GB', number>;

const isConflict = (e: unknown) =>
  e instanceof ClientError && e.status === 409 && e.code === 'placement.concurrent_update';
const isNotFound = (e: unknown) => e instanceof ClientError && e.status === 404;

/** Runs `fn` over `items`, at most `n` at a time; the first failure is thrown once all settle. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item).catch((e: unknown) => {
        errors.push(e);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, lane));
  if (errors.length) throw errors[0];
}

export class ResourceTracker {
  private readonly hosts: Map<string, VirtDriver>;
  private readonly providers = new Map<string, ProviderState>();
  /** One report at a time: the periodic one, the manager's after a change, a service enabled. */
  private running: Promise<void> = Promise.resolve();
  /** The report waiting for the running one to end: later asks join it (their hosts added), so
   * that a burst of builds on many hosts costs one report per running one, not one each. */
  private next: { hosts: Set<string>; run: Promise<void> } | undefined;

  constructor(
    private readonly opts: {
      db: Kysely<ComputeDB>;
      placement: PlacementClient;
      config: Config;
      log: Logger;
      hosts: TrackedHost[];
    },
  ) {
    this.hosts = new Map(opts.hosts.map((h) => [h.host, h.driver]));
  }

  /** update_available_resource for `hosts` (default: all of this tracker's). */
  update(hosts: string[] = [...this.hosts.keys()]): Promise<void> {
    if (!this.next) {
      const batch = new Set<string>();
      const run = this.running.then(() => {
        // From here on an ask waits for the report after this one: it may have changed meanwhile.
        this.next = undefined;
        return this.updateNow([...batch]);
      });
      this.next = { hosts: batch, run };
      this.running = run.catch(() => {
        /* reported to the callers */
      });
    }
    for (const h of hosts) this.next.hosts.add(h);
    return this.next.run;
  }

  /** Forgets what Placement held, so that the next report reads it again (tests; an operator's
   * change made there is otherwise seen when a write conflicts). */
  forget(): void {
    this.providers.clear();
  }

  private async updateNow(hosts: string[]): Promise<void> {
    const { db } = this.opts;
    // The three reads in one round trip, the nodes' updates in another.
    const [serviceRows, nodeRows, usageRows] = await executeTogether(db, [
      computeServicesQuery(db, hosts),
      computeNodesOfHostsQuery(db, hosts),
      instanceUsageQuery(db, hosts),
    ]);
    const services = servicesByHost(serviceRows.rows);
    const existing = new Map<string, ComputeNode>();
    for (const cn of nodeRows.rows) existing.set(usageKey(cn.host, cn.hypervisor_hostname), cn);
    const usage = nodeUsage(usageRows.rows);
    const updates: Compilable<unknown>[] = [];
    const reports: { node: ComputeNode; resources: NodeResources; disabled: boolean }[] = [];
    const gone: ComputeNode[] = [];
    for (const host of hosts) {
      const driver = this.hosts.get(host);
      const service = services.get(host);
      // Nova's tracker needs the service row; an agent whose row was deleted reports nothing.
      if (!driver || !service) continue;
      const nodes = await driver.nodes();
      const names = new Set(nodes.map((n) => n.hypervisorHostname));
      for (const cn of existing.values()) if (cn.host === host && !names.has(cn.hypervisor_hostname)) gone.push(cn);
      for (const resources of nodes) {
        const key = usageKey(host, resources.hypervisorHostname);
        const values = this.nodeValues(resources, usage.get(key), existing.get(key));
        let node = existing.get(key);
        if (!node) {
          node = await createComputeNode(db, host, service.id, values).catch(async (e: unknown) => {
            if (!uniqueViolation(e)) throw e;
            return (await computeNodesOfHosts(db, [host])).find(
              (c) => c.hypervisor_hostname === resources.hypervisorHostname,
            )!;
          });
        } else {
          const changed = (Object.keys(values) as (keyof ComputeNodeValues)[]).filter((k) => values[k] !== node![k]);
          if (changed.length || node.service_id !== service.id) {
            updates.push(computeNodeUpdate(db, node.id, { ...values, service_id: service.id }));
            node = { ...node, ...values };
          }
        }
        reports.push({ node, resources, disabled: service.disabled });
      }
    }
    if (updates.length) await executeTogether(db, updates);
    if (gone.length) await this.removeNodes(gone);
    await pool(reports, PLACEMENT_CONCURRENCY, (r) => this.reportNode(r.node, r.resources, r.disabled));
  }

  /** The row's values: the driver's resources, the usage of the instances there on top of what
   * the host keeps for itself, and the ratios in force. */
  private nodeValues(r: NodeResources, u: NodeUsage | undefined, old: ComputeNode | undefined): ComputeNodeValues {
    const c = this.opts.config;
    const vcpusUsed = c.reservedHostCpus + (u?.vcpus ?? 0);
    const memoryUsed = c.reservedHostMemoryMb + (u?.memoryMb ?? 0);
    const diskUsed = Math.floor(c.reservedHostDiskMb / 1024) + (u?.localGb ?? 0);
    const ratios = this.ratios(
      old && {
        VCPU: old.cpu_allocation_ratio,
        MEMORY_MB: old.ram_allocation_ratio,
        DISK_GB: old.disk_allocation_ratio,
      },
    );
    return {
      hypervisor_hostname: r.hypervisorHostname,
      hypervisor_type: r.hypervisorType,
      hypervisor_version: r.hypervisorVersion,
      vcpus: r.vcpus,
      memory_mb: r.memoryMb,
      local_gb: r.localGb,
      vcpus_used: vcpusUsed,
      memory_mb_used: memoryUsed,
      local_gb_used: diskUsed,
      free_ram_mb: r.memoryMb - memoryUsed,
      free_disk_gb: r.localGb - diskUsed,
      current_workload: u?.workload ?? 0,
      running_vms: u?.instances ?? 0,
      disk_available_least: r.localGb - diskUsed,
      host_ip: null,
      cpu_info: r.cpuInfo,
      supported_instances: JSON.stringify([['x86_64', r.hypervisorType, 'hvm']]),
      cpu_allocation_ratio: ratios.VCPU,
      ram_allocation_ratio: ratios.MEMORY_MB,
      disk_allocation_ratio: ratios.DISK_GB,
    };
  }

  /** The allocation ratios: [DEFAULT] *_allocation_ratio where set; else what the node had (its
   * row, or its inventory in Placement, where an operator may have changed it); else the
   * initial_*_allocation_ratio of a new node. */
  private ratios(had?: Partial<Record<keyof Ratios, number | null | undefined>>): Ratios {
    const c = this.opts.config;
    const pick = (set: number, old: number | null | undefined, initial: number) => (set > 0 ? set : old || initial);
    return {
      VCPU: pick(c.cpuAllocationRatio, had?.VCPU, c.initialCpuAllocationRatio),
      MEMORY_MB: pick(c.ramAllocationRatio, had?.MEMORY_MB, c.initialRamAllocationRatio),
      DISK_GB: pick(c.diskAllocationRatio, had?.DISK_GB, c.initialDiskAllocationRatio),
    };
  }

  private inventories(r: NodeResources, state: ProviderState): Record<string, Required<Inventory>> {
    const c = this.opts.config;
    const ratios = this.ratios({
      VCPU: state.inventories.VCPU?.allocation_ratio,
      MEMORY_MB: state.inventories.MEMORY_MB?.allocation_ratio,
      DISK_GB: state.inventories.DISK_GB?.allocation_ratio,
    });
    const inv = (total: number, reserved: number, ratio: number): Required<Inventory> => ({
      total,
      reserved,
      min_unit: 1,
      max_unit: total,
      step_size: 1,
      allocation_ratio: ratio,
    });
    const out: Record<string, Required<Inventory>> = {};
    // A resource the node has none of is no inventory at all (Placement refuses a total of 0).
    if (r.vcpus > 0) out.VCPU = inv(r.vcpus, c.reservedHostCpus, ratios.VCPU);
    if (r.memoryMb > 0) out.MEMORY_MB = inv(r.memoryMb, c.reservedHostMemoryMb, ratios.MEMORY_MB);
    if (r.localGb > 0) out.DISK_GB = inv(r.localGb, Math.ceil(c.reservedHostDiskMb / 1024), ratios.DISK_GB);
    return out;
  }

  /** The traits a node's provider should have: whatever it has (an operator's custom traits
   * stay), the driver's capabilities, COMPUTE_NODE, and COMPUTE_STATUS_DISABLED exactly when its
   * service is disabled. */
  private traits(r: NodeResources, state: ProviderState, disabled: boolean): Set<string> {
    const traits = new Set([...state.traits, ...r.traits, COMPUTE_NODE]);
    if (disabled) traits.add(COMPUTE_STATUS_DISABLED);
    else traits.delete(COMPUTE_STATUS_DISABLED);
    return traits;
  }

  /** The node's provider brought up to date, from the cache when it has it. */
  private async reportNode(node: ComputeNode, r: NodeResources, disabled: boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const state = this.providers.get(node.uuid) ?? (await this.load(node));
        this.providers.set(node.uuid, state);
        await this.push(node, r, state, disabled);
        return;
      } catch (e) {
        this.providers.delete(node.uuid);
        if (!isConflict(e) || attempt >= CONFLICT_ATTEMPTS) throw e;
        this.opts.log.info({ node: node.hypervisor_hostname }, 'resource provider changed meanwhile: read again');
      }
    }
  }

  private async push(node: ComputeNode, r: NodeResources, state: ProviderState, disabled: boolean): Promise<void> {
    const { placement } = this.opts;
    const call = asService();
    const wanted = this.inventories(r, state);
    if (!sameInventories(state.inventories, wanted)) {
      const written = await placement.inventories.put(call, node.uuid, state.generation, wanted);
      state.generation = written.resource_provider_generation;
      state.inventories = written.inventories;
    }
    const traits = this.traits(r, state, disabled);
    if (traits.size !== state.traits.size || [...traits].some((t) => !state.traits.has(t))) {
      const written = await placement.traits.put(call, node.uuid, state.generation, [...traits].sort());
      state.generation = written.resource_provider_generation;
      state.traits = new Set(written.traits);
    }
  }

  /** What Placement holds of the node's provider; the provider created when missing. */
  private async load(node: ComputeNode): Promise<ProviderState> {
    const { placement } = this.opts;
    const call = asService();
    try {
      const rp = await placement.resourceProviders.show(call, node.uuid);
      if (rp.name !== node.hypervisor_hostname) {
        await placement.resourceProviders.update(call, node.uuid, { name: node.hypervisor_hostname });
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const rp = await placement.resourceProviders.create(call, { uuid: node.uuid, name: node.hypervisor_hostname });
      this.opts.log.info({ node: node.hypervisor_hostname, uuid: node.uuid }, 'resource provider created');
      return { generation: rp.generation, inventories: {}, traits: new Set() };
    }
    const inventories = await placement.inventories.get(call, node.uuid);
    const traits = await placement.traits.get(call, node.uuid);
    return {
      generation: traits.resource_provider_generation,
      inventories: inventories.inventories,
      traits: new Set(traits.traits),
    };
  }

  /** Nodes a driver no longer reports: their rows and their providers go (a provider still
   * holding allocations stays, and is said so). */
  private async removeNodes(nodes: ComputeNode[]): Promise<void> {
    await deleteComputeNodes(
      this.opts.db,
      nodes.map((n) => n.id),
    );
    for (const n of nodes) {
      this.providers.delete(n.uuid);
      await this.opts.placement.resourceProviders.delete(asService(), n.uuid).catch((e: unknown) => {
        if (!isNotFound(e))
          this.opts.log.error(
            { err: e, node: n.hypervisor_hostname },
            'could not delete the resource provider of a removed node',
          );
      });
      this.opts.log.info(
        { node: n.hypervisor_hostname, host: n.host },
        'compute node removed: its driver no longer reports it',
      );
    }
  }
}

function sameInventories(a: Record<string, Inventory>, b: Record<string, Required<Inventory>>): boolean {
  const keys = Object.keys(b);
  if (Object.keys(a).length !== keys.length) return false;
  return keys.every((k) => {
    const x = a[k];
    const y = b[k]!;
    return (
      x !== undefined &&
      x.total === y.total &&
      x.reserved === y.reserved &&
      x.min_unit === y.min_unit &&
      x.max_unit === y.max_unit &&
      x.step_size === y.step_size &&
      x.allocation_ratio === y.allocation_ratio
    );
  });
}
