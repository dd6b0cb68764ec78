// What the compute manager's handlers are given for one host, and what they share.
import type { Logger } from 'pino';
import type { Config } from '../../common/config.js';
import type { Database } from '../../common/db/index.js';
import type { JobQueue } from '../../common/jobs/index.js';
import type { ImageClient, PlacementClient } from '../../common/clients/index.js';
import type { ComputeDB } from '../db/schema.js';
import type { GuestSpec, VirtDriver } from '../virt/driver.js';
import type { Instance } from '../objects/instance.js';

export interface ManagerEnv {
  database: Database<ComputeDB>;
  jobs: JobQueue;
  /** The compute host this manager runs for (services.host, instances.host). */
  host: string;
  driver: VirtDriver;
  clients: { placement: PlacementClient; image: ImageClient };
  config: Config;
  log: Logger;
  /** Reports the host's resources now (after a build or a delete changed them). */
  reportResources(): Promise<void>;
}

export function guestOf(i: Instance): GuestSpec {
  const f = i.flavor.cur['nova_object.data'];
  return {
    uuid: i.uuid,
    name: i.display_name ?? '',
    node: i.node!,
    imageRef: i.image_ref || null,
    userData: i.user_data,
    metadata: i.metadata,
    autoDiskConfig: i.auto_disk_config === 1,
    configDrive: Boolean(i.config_drive),
    flavor: {
      vcpus: f.vcpus,
      memoryMb: f.memory_mb,
      rootGb: f.root_gb,
      ephemeralGb: f.ephemeral_gb,
      swapMb: f.swap,
      extraSpecs: f.extra_specs,
    },
  };
}

export const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n', 1)[0]!;
