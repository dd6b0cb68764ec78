// A server create (Nova's compute.api.API.create and its _provision_instances): the request checked
// against the flavor, the image, the key pair, the availability zones, server groups and the quota,
// then every instance written — instances, instance_extra (the flavor as Nova serialises it),
// metadata, request spec, the `create` action — together with the conductor's `build_instances`
// job, in one transaction: all of it exists, or none of it.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Compilable, Kysely } from 'kysely';
import type { Config } from '../../common/config.js';
import { executeTogether, withTransaction } from '../../common/db/index.js';
import type { JobQueue } from '../../common/jobs/index.js';
import type { ComputeDB } from '../db/schema.js';
import { Invalid, InvalidInput } from '../exceptions.js';
import type { Flavor } from './flavor.js';
import { now, VmState, type Db } from './instance.js';
import { Action, actionInsert } from './instance_action.js';
import { flavorPrimitive, type InstanceFlavors } from './instance_flavor.js';
import { allowedInstances, checkMetadataQuota } from './instance_quota.js';
import { storedLimits } from './quota.js';
import { autoDiskConfigFor } from './instance_disk_config.js';
import { imagePropertiesInsert } from './instance_system_metadata.js';
import { requestSpecUpsert, type ImageMeta, type RequestSpec } from './request_spec.js';
import { checkMemberQuota, InstanceGroupNotFound } from './server_group.js';

export const BUILD_INSTANCES = 'build_instances';

export interface BuildInstancesPayload {
  instance_uuids: string[];
  /** The `create` action's request id (its events go there); looked up when absent. */
  request_id?: string;
}

export interface BootRequest {
  projectId: string;
  userId: string;
  /** The API request's id: the `create` action's request_id. */
  requestId: string;
  flavor: Flavor;
  image: ImageMeta | null;
  name: string;
  description: string | null;
  metadata: Record<string, string>;
  /** The server's tags (2.52). */
  tags: string[];
  keyName: string | null;
  userData: string | null;
  availabilityZone: string | null;
  minCount: number;
  maxCount: number;
  schedulerHints: Record<string, string[]>;
  accessIPv4: string | null;
  accessIPv6: string | null;
  forceHosts: string[];
  forceNodes: string[];
  /** 2.90: the guest's hostname as asked. */
  hostname: string | null;
  /** OS-DCF:diskConfig AUTO (true) or MANUAL; undefined: as the image says. */
  autoDiskConfig?: boolean;
}

export interface Booted {
  reservationId: string;
  uuids: string[];
  autoDiskConfig: boolean;
}

/** Nova's sanitize_hostname: what a guest's hostname is made of its display name. */
export function sanitizeHostname(name: string, uuid: string): string {
  const h = name
    .toLowerCase()
    .replace(/[ _]/g, '-')
    .replace(/[^\w.-]/g, '')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 63);
  return h || `server-${uuid}`;
}

/** The availability zones servers may ask for: the default one and those of aggregates. */
export async function availabilityZones(db: Kysely<ComputeDB> | Db, config: Config): Promise<Set<string>> {
  const rows = await db
    .selectFrom('aggregate_metadata')
    .select('value')
    .where('key', '=', 'availability_zone')
    .execute();
  return new Set([config.defaultAvailabilityZone, ...rows.map((r) => r.value)]);
}

/** What Nova checks of the flavor against the image (_check_requested_image). */
export function checkImage(flavor: Pick<Flavor, 'memory_mb' | 'root_gb'>, image: ImageMeta): void {
  if (flavor.memory_mb < image.min_ram) throw new Invalid("Flavor's memory is too small for requested image.");
  // A flavor with no root disk boots from a volume, which Nova sizes itself.
  if (flavor.root_gb === 0) return;
  const rootBytes = flavor.root_gb * 1024 ** 3;
  if (image.size !== null && image.size > rootBytes) {
    throw new Invalid(
      `Flavor's disk is too small for requested image. Flavor disk is ${rootBytes} bytes, image is ${image.size} bytes.`,
    );
  }
  const minDisk = image.min_disk * 1024 ** 3;
  if (minDisk > rootBytes) {
    throw new Invalid(
      `Flavor's disk is smaller than the minimum size specified in image metadata. Flavor disk is ${rootBytes} bytes, minimum size is ${minDisk} bytes.`,
    );
  }
}

/** The server group a `group` hint names, which must exist in the caller's project. */
async function checkGroup(db: Db, projectId: string, hints: Record<string, string[]>): Promise<number | null> {
  const uuid = hints.group?.[0];
  if (uuid === undefined) return null;
  const group = await db
    .selectFrom('instance_groups')
    .select('id')
    .where('uuid', '=', uuid)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  // At boot a missing group is the request's fault: a 400 rather than the group API's 404.
  if (!group) throw new Invalid(new InstanceGroupNotFound(uuid).message);
  return group.id;
}

/** Validates `req` and writes its instances and their build job; the reservation and the uuids. */
export async function createInstances(
  db: Kysely<ComputeDB>,
  config: Config,
  jobs: JobQueue,
  req: BootRequest,
): Promise<Booted> {
  const { flavor } = req;
  const autoDiskConfig = autoDiskConfigFor(req.autoDiskConfig, req.image ?? { id: null, properties: {} });
  // Nova names the disabled flavor by its internal id.
  if (flavor.disabled) throw new Invalid(`Flavor ${flavor.id} could not be found.`);
  if (req.image) checkImage(flavor, req.image);
  if (req.minCount > req.maxCount) throw new InvalidInput('min_count must be <= max_count');
  if (req.availabilityZone !== null && !(await availabilityZones(db, config)).has(req.availabilityZone)) {
    throw new Invalid('The requested availability zone is not available');
  }
  let keyData: string | null = null;
  if (req.keyName !== null) {
    const kp = await db
      .selectFrom('key_pairs')
      .selectAll()
      .where('user_id', '=', req.userId)
      .where('name', '=', req.keyName)
      .executeTakeFirst();
    if (!kp) throw new Invalid(`Invalid key_name provided.`);
    keyData = kp.public_key;
  }
  const reservationId = `r-${randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 8).toLowerCase()}`;
  const flavors: InstanceFlavors = { cur: flavorPrimitive(flavor), old: null, new: null };
  return withTransaction(db, async (trx) => {
    // The limits read once for both checks.
    const stored = await storedLimits(trx, req.projectId, req.userId);
    await checkMetadataQuota(trx, config, req.projectId, req.metadata, stored);
    const groupId = await checkGroup(trx, req.projectId, req.schedulerHints);
    const scope = { projectId: req.projectId, userId: req.userId };
    const count = await allowedInstances(
      trx,
      config,
      scope,
      { cores: flavor.vcpus, ram: flavor.memory_mb },
      req.minCount,
      req.maxCount,
      stored,
    );
    const group = req.schedulerHints.group?.[0];
    if (groupId !== null && group !== undefined)
      await checkMemberQuota(trx, config, { ...scope, groupUuid: group }, count);
    const ts = now();
    const uuids: string[] = [];
    // The rows of every instance go in one batch: on PostgreSQL, one round trip.
    const writes: Compilable[] = [];
    for (let i = 0; i < count; i++) {
      const uuid = randomUUID();
      uuids.push(uuid);
      const base = req.hostname ?? sanitizeHostname(req.name, uuid);
      writes.push(
        trx.insertInto('instances').values({
          uuid,
          user_id: req.userId,
          project_id: req.projectId,
          image_ref: req.image?.id ?? '',
          hostname: count > 1 ? `${base}-${i + 1}` : base,
          display_name: req.name,
          display_description: req.description,
          launch_index: i,
          key_name: req.keyName,
          key_data: keyData,
          power_state: 0,
          vm_state: VmState.BUILDING,
          task_state: 'scheduling',
          memory_mb: flavor.memory_mb,
          vcpus: flavor.vcpus,
          root_gb: flavor.root_gb,
          ephemeral_gb: flavor.ephemeral_gb,
          instance_type_id: flavor.id,
          host: null,
          node: null,
          launched_on: null,
          availability_zone: req.availabilityZone,
          reservation_id: reservationId,
          user_data: req.userData,
          launched_at: null,
          terminated_at: null,
          locked: 0,
          locked_by: null,
          os_type: req.image?.properties.os_type ?? null,
          architecture: req.image?.properties.hw_architecture ?? req.image?.properties.architecture ?? null,
          root_device_name: null,
          config_drive: '',
          access_ip_v4: req.accessIPv4,
          access_ip_v6: req.accessIPv6,
          auto_disk_config: autoDiskConfig ? 1 : 0,
          progress: 0,
          cleaned: 0,
          hidden: 0,
          created_at: ts,
          updated_at: ts,
          deleted_at: null,
        }),
      );
      writes.push(
        trx.insertInto('instance_extra').values({
          instance_uuid: uuid,
          flavor: JSON.stringify(flavors),
          numa_topology: null,
          pci_requests: '[]',
          vcpu_model: null,
          migration_context: null,
          keypairs: keyData === null ? null : JSON.stringify([{ name: req.keyName, public_key: keyData, type: 'ssh' }]),
          device_metadata: null,
          created_at: ts,
          updated_at: null,
          deleted_at: null,
        }),
      );
      const tags = [...new Set(req.tags)].map((tag) => ({ resource_id: uuid, tag }));
      if (tags.length) writes.push(trx.insertInto('tags').values(tags));
      const metadata = Object.entries(req.metadata).map(([key, value]) => ({
        instance_uuid: uuid,
        key,
        value,
        created_at: ts,
        updated_at: null,
        deleted_at: null,
      }));
      if (metadata.length) writes.push(trx.insertInto('instance_metadata').values(metadata));
      const properties = imagePropertiesInsert(trx, uuid, req.image?.properties ?? {});
      if (properties) writes.push(properties);
      if (groupId !== null) {
        writes.push(
          trx
            .insertInto('instance_group_member')
            .values({ group_id: groupId, instance_uuid: uuid, created_at: ts, updated_at: null }),
        );
      }
      const spec: RequestSpec = {
        instance_uuid: uuid,
        project_id: req.projectId,
        user_id: req.userId,
        flavor: flavors.cur['nova_object.data'],
        image: req.image ?? { id: null, min_ram: 0, min_disk: 0, size: null, properties: {} },
        num_instances: count,
        availability_zone: req.availabilityZone,
        scheduler_hints: req.schedulerHints,
        ignore_hosts: [],
        force_hosts: req.forceHosts,
        force_nodes: req.forceNodes,
        retry: { num_attempts: 0, hosts: [] },
      };
      writes.push(
        requestSpecUpsert(trx, spec),
        actionInsert(trx, {
          instanceUuid: uuid,
          action: Action.CREATE,
          requestId: req.requestId,
          userId: req.userId,
          projectId: req.projectId,
        }),
      );
    }
    await executeTogether(trx, writes);
    const payload: BuildInstancesPayload = {
      instance_uuids: uuids,
      request_id: req.requestId,
    };
    await jobs.enqueue<ComputeDB>(trx, { kind: BUILD_INSTANCES, payload, dedupeKey: `${reservationId}:${uuids[0]}` });
    return { reservationId, uuids, autoDiskConfig };
  });
}
