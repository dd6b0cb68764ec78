// `concord manage placement audit` (nova-manage's): finds allocations of compute resources in
// Placement that no instance on that provider's compute node accounts for — left behind by a
// compute host that went away, or by a failure between Placement and the compute database — and,
// with `delete`, removes them from that provider (the consumer keeps what it holds elsewhere).
// Beyond Nova: an instance still being scheduled (no host yet) keeps its allocation, and so does
// one being moved on the node it moves to, so that an audit during a build or a resize never takes
// away a claim the conductor just made.
import { asService, type RequestIds, type ResourceProvider } from '../../common/clients/index.js';
import type { Compute, ComputeClients } from '../context.js';
import { removeAllocations } from '../placement_allocations.js';

/** nova-manage's return codes for this command. */
export const AUDIT_CODES = { clean: 0, error: 1, orphansFound: 3, orphansDeleted: 4, invalidInput: 127 } as const;

/** The resource classes whose allocations are Nova's to account for. */
const NOVA_CLASSES = new Set([
  'VCPU',
  'PCPU',
  'MEMORY_MB',
  'DISK_GB',
  'VGPU',
  'NET_BW_EGR_KILOBIT_PER_SEC',
  'NET_BW_IGR_KILOBIT_PER_SEC',
  'MEM_ENCRYPTION_CONTEXT',
]);

export interface AuditResult {
  code: number;
  /** Always shown: the orphans found (and deleted), the summary. */
  lines: string[];
  /** Shown with --verbose. */
  progress: string[];
}

/** What the audit reads: the compute database and Placement. */
interface AuditContext {
  db: Compute['db'];
  clients?: Pick<ComputeClients, 'placement'>;
}

export async function auditAllocations(
  compute: AuditContext,
  ids: RequestIds,
  opts: { delete: boolean; resourceProvider?: string },
): Promise<AuditResult> {
  const placement = compute.clients!.placement;
  const call = asService(ids);
  const result: AuditResult = { code: AUDIT_CODES.clean, lines: [], progress: [] };
  const providers = await placement.resourceProviders.list(
    call,
    opts.resourceProvider ? { uuid: opts.resourceProvider } : {},
  );
  if (opts.resourceProvider && !providers.length) {
    result.code = AUDIT_CODES.invalidInput;
    result.lines.push(`Resource provider with UUID ${opts.resourceProvider} does not exist.`);
    return result;
  }
  let processed = 0;
  let orphans = 0;
  let deleted = 0;
  for (const provider of providers) {
    const known = await consumersOfNode(compute, provider, result);
    const { allocations } = await placement.allocations.ofProvider(call, provider.uuid);
    const suspects = Object.entries(allocations).filter(
      ([consumer, a]) => !known.has(consumer) && Object.keys(a.resources).some((rc) => NOVA_CLASSES.has(rc)),
    );
    const scheduling = await beingScheduled(
      compute,
      suspects.map(([consumer]) => consumer),
    );
    for (const [consumer, allocation] of suspects) {
      if (scheduling.has(consumer)) continue;
      orphans++;
      result.lines.push(
        `Allocations were set against consumer UUID ${consumer} but no existing instances or active migrations are related.`,
      );
      if (opts.delete) {
        await removeAllocations(placement, consumer, (rp) => rp === provider.uuid, ids);
        deleted++;
        result.lines.push(
          `Deleted allocations for consumer UUID ${consumer} on Resource Provider ${provider.uuid}: ` +
            JSON.stringify(allocation.resources),
        );
      }
    }
    processed += Object.keys(allocations).length;
    result.progress.push(`Resource provider ${provider.uuid} (${provider.name}) checked.`);
  }
  result.lines.push(`Processed ${processed} allocations.`);
  if (orphans) result.code = deleted === orphans ? AUDIT_CODES.orphansDeleted : AUDIT_CODES.orphansFound;
  return result;
}

/** Migration statuses of moves no longer in progress (Nova's migration_get_in_progress_by_host_and_node
 * leaves them out). */
const MIGRATION_DONE = ['confirmed', 'reverted', 'error', 'failed', 'completed', 'cancelled', 'done'];

/** The consumers Nova accounts for on the compute node a provider belongs to (nested providers:
 * its root's): the instances on it and the moves in progress from or to it, whose uuids hold the
 * source's allocations during a resize (nova-manage's _get_instances_and_current_migrations). */
async function consumersOfNode(compute: AuditContext, provider: ResourceProvider, result: AuditResult) {
  const node = await compute.db
    .selectFrom('compute_nodes')
    .select(['host', 'hypervisor_hostname'])
    .where('uuid', '=', provider.root_provider_uuid)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  // Not fatal: a compute service deleted while allocations stayed is just what an audit is for.
  if (!node) {
    result.progress.push(`The compute node for UUID ${provider.root_provider_uuid} can not be found`);
    return new Set<string>();
  }
  const rows = await compute.db
    .selectFrom('instances')
    .select('uuid')
    .where('host', '=', node.host)
    .where('node', '=', node.hypervisor_hostname)
    .where('deleted', '=', 0)
    .execute();
  const migrations = await compute.db
    .selectFrom('migrations')
    .select(['uuid', 'instance_uuid'])
    .where('deleted', '=', 0)
    .where('status', 'not in', MIGRATION_DONE)
    .where((eb) =>
      eb.or([
        eb.and([eb('source_compute', '=', node.host), eb('source_node', '=', node.hypervisor_hostname)]),
        eb.and([eb('dest_compute', '=', node.host), eb('dest_node', '=', node.hypervisor_hostname)]),
      ]),
    )
    .execute();
  // Beyond nova-manage: the moving instance too, whose new claim sits on the destination before
  // the instance's host becomes it (an audit mid-resize must not take that claim away).
  return new Set([...rows.map((r) => r.uuid), ...migrations.flatMap((m) => [m.uuid, m.instance_uuid])]);
}

/** Of `uuids`, the live instances not on a host yet: claimed by the conductor a moment ago. */
async function beingScheduled(compute: AuditContext, uuids: string[]): Promise<Set<string>> {
  if (!uuids.length) return new Set();
  const rows = await compute.db
    .selectFrom('instances')
    .select('uuid')
    .where('uuid', 'in', uuids)
    .where('host', 'is', null)
    .where('deleted', '=', 0)
    .execute();
  return new Set(rows.map((r) => r.uuid));
}
