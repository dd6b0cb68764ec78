// OS-DCF:diskConfig (Nova's auto_disk_config on the instance): AUTO grows the guest's root
// partition and filesystem to the flavor's root disk, MANUAL leaves the disk as the image made it.
// An image may disable AUTO (its property auto_disk_config = "disabled") or make it the default
// ("true" and the other words oslo's bool_from_string takes for true).
import { AutoDiskConfigDisabledByImage } from '../exceptions.js';

/** OS-DCF:diskConfig as the API takes it (the schema allows these two only); undefined: not asked. */
export const diskConfigOf = (value: string | undefined): boolean | undefined =>
  value === undefined ? undefined : value === 'AUTO';

/** Nova's is_auto_disk_config_disabled: the image's property, whatever its case and spaces. */
const disabled = (property: string | undefined) => property?.trim().toLowerCase() === 'disabled';

/** Refuses AUTO where the image (its auto_disk_config property) disables it (Nova's
 * _ensure_auto_disk_config_is_valid); `image` names it in the error. */
export function checkAutoDiskConfig(requested: boolean | undefined, property: string | undefined, image: string) {
  if (requested && disabled(property)) throw new AutoDiskConfigDisabledByImage(image);
}

/** The auto_disk_config of an instance booted or rebuilt from an image with these properties
 * (Nova's _inherit_properties_from_image): as asked, else the image's property read as a boolean. */
export function autoDiskConfigFor(
  requested: boolean | undefined,
  image: { id: string | null; properties: Record<string, string> },
): boolean {
  const property = image.properties.auto_disk_config;
  checkAutoDiskConfig(requested, property, image.id ?? '');
  return requested ?? ['1', 't', 'true', 'on', 'y', 'yes'].includes(property?.trim().toLowerCase() ?? '');
}
