// The flavor an instance was built with, as Nova keeps it in instance_extra.flavor: the Flavor
// object serialised ({"nova_object.name": "Flavor", "nova_object.data": {..., "extra_specs":
// {...}}}), current, and old and new during a resize. The instance keeps its copy whatever
// becomes of the flavor, so this is what the scheduler, the resource tracker and
// `concord manage db ironic-flavor-migration` read and rewrite.
import type { Flavor } from './flavor.js';
import { now, type Db } from './instance.js';

export interface FlavorPrimitive {
  'nova_object.name': 'Flavor';
  'nova_object.namespace': 'nova';
  'nova_object.version': string;
  'nova_object.data': {
    id: number;
    name: string;
    memory_mb: number;
    vcpus: number;
    root_gb: number;
    ephemeral_gb: number;
    flavorid: string;
    swap: number;
    rxtx_factor: number;
    vcpu_weight: number | null;
    disabled: boolean;
    is_public: boolean;
    extra_specs: Record<string, string>;
    description: null;
    created_at: string;
    updated_at: string | null;
    deleted_at: null;
    deleted: false;
  };
}

export interface InstanceFlavors {
  cur: FlavorPrimitive;
  old: FlavorPrimitive | null;
  new: FlavorPrimitive | null;
}

/** Nova's datetime fields serialise as ISO 8601 in UTC with a Z. */
const isotime = (ts: string) => `${ts.slice(0, 19)}Z`;

/** A flavor as Nova serialises it into an instance (its description dropped, as Nova drops it). */
export function flavorPrimitive(f: Flavor): FlavorPrimitive {
  return {
    'nova_object.name': 'Flavor',
    'nova_object.namespace': 'nova',
    'nova_object.version': '1.2',
    'nova_object.data': {
      id: f.id,
      name: f.name,
      memory_mb: f.memory_mb,
      vcpus: f.vcpus,
      root_gb: f.root_gb,
      ephemeral_gb: f.ephemeral_gb,
      flavorid: f.flavorid,
      swap: f.swap,
      rxtx_factor: f.rxtx_factor,
      vcpu_weight: f.vcpu_weight,
      disabled: f.disabled,
      is_public: f.is_public,
      extra_specs: { ...f.extra_specs },
      description: null,
      created_at: isotime(f.created_at),
      updated_at: f.updated_at === null ? null : isotime(f.updated_at),
      deleted_at: null,
      deleted: false,
    },
  };
}

/** Writes the instance's flavors (instance_extra.flavor). */
export async function saveFlavors(db: Db, uuid: string, flavors: InstanceFlavors): Promise<void> {
  await db
    .updateTable('instance_extra')
    .set({ flavor: JSON.stringify(flavors), updated_at: now() })
    .where('instance_uuid', '=', uuid)
    .where('deleted', '=', 0)
    .execute();
}

/** The instances columns that copy the flavor's sizes (Nova's _set_instance_info). */
export function flavorColumns(f: FlavorPrimitive) {
  const d = f['nova_object.data'];
  return {
    memory_mb: d.memory_mb,
    vcpus: d.vcpus,
    root_gb: d.root_gb,
    ephemeral_gb: d.ephemeral_gb,
    instance_type_id: d.id,
  };
}
