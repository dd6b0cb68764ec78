// Request specs: what a server asked of the scheduler (Nova's RequestSpec), kept beside it for
// reschedules, and read by the conductor. One per instance; the fields carry Nova's names.
import type { Db } from './instance.js';
import { now } from './instance.js';
import type { FlavorPrimitive } from './instance_flavor.js';

export interface ImageMeta {
  id: string | null;
  min_ram: number;
  min_disk: number;
  size: number | null;
  /** The image's extra properties (hw_architecture, img_hv_type, trait:* ...), as Glance has them. */
  properties: Record<string, string>;
}

export interface RequestSpec {
  instance_uuid: string;
  project_id: string;
  user_id: string;
  flavor: FlavorPrimitive['nova_object.data'];
  image: ImageMeta;
  /** How many servers the request that made this one asked for (all or none are scheduled). */
  num_instances: number;
  availability_zone: string | null;
  /** os:scheduler_hints, each value a list as Nova keeps them. */
  scheduler_hints: Record<string, string[]>;
  /** Hosts not to try (those a build already failed on). */
  ignore_hosts: string[];
  /** An administrator's choice of host or node (az:host:node, or host and hypervisor_hostname). */
  force_hosts: string[];
  force_nodes: string[];
  retry: { num_attempts: number; hosts: string[] };
}

export async function saveRequestSpec(db: Db, spec: RequestSpec): Promise<number> {
  const { id } = await requestSpecUpsert(db, spec).returning('id').executeTakeFirstOrThrow();
  return id;
}

/** The statement saveRequestSpec runs (without its answer), for a batch (executeTogether). */
export function requestSpecUpsert(db: Db, spec: RequestSpec) {
  const ts = now();
  // One statement either way (instance_uuid is unique): a create's spec is new, a move's replaces it.
  return db
    .insertInto('request_specs')
    .values({ instance_uuid: spec.instance_uuid, spec: JSON.stringify(spec), created_at: ts, updated_at: null })
    .onConflict((oc) =>
      oc.column('instance_uuid').doUpdateSet((eb) => ({ spec: eb.ref('excluded.spec'), updated_at: ts })),
    );
}

export async function getRequestSpec(db: Db, instanceUuid: string): Promise<RequestSpec | undefined> {
  const row = await db
    .selectFrom('request_specs')
    .select('spec')
    .where('instance_uuid', '=', instanceUuid)
    .executeTakeFirst();
  return row ? parseRequestSpec(row.spec) : undefined;
}

/** A request spec as request_specs.spec keeps it. */
export function parseRequestSpec(spec: string): RequestSpec {
  return JSON.parse(spec) as RequestSpec;
}
