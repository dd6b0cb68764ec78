// Nova's reject_vtpm_instances: the actions a guest's virtual TPM cannot survive (rebuild, shelve,
// live migration, rescue, evacuate) refuse a server that has one, before its lock and state are
// looked at (a 400, as Nova's NotSupported) — a TPM version in its flavor's extra specs
// (hw:tpm_version) or in its image's properties (hw_tpm_version, kept as image_hw_tpm_version in
// its system metadata).
import { OperationNotSupportedForVTPM } from '../exceptions.js';
import type { Db, Instance } from './instance.js';
import { systemMetadata } from './instance_system_metadata.js';

export async function rejectVtpm(db: Db, instance: Instance, operation: string): Promise<void> {
  const inFlavor = instance.flavor.cur['nova_object.data'].extra_specs['hw:tpm_version'];
  const inImage = await systemMetadata(db, instance.uuid, 'image_hw_tpm_version');
  if (inFlavor || inImage) throw new OperationNotSupportedForVTPM(instance.uuid, operation);
}
