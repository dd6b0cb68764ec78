// The rules for setting an image's attributes, properties and tags, shared by create and update:
// Glance's domain checks (non-negative sizes, formats frozen once data is saved) and its default
// quotas (image_property_quota, image_tag_quota).
import { Forbidden, Invalid, LimitExceeded } from '../exceptions.js';
import type { ImageRecord, WritableAttribute } from './image.js';

/** Glance's image_property_quota, image_tag_quota and image_member_quota defaults. */
export const PROPERTY_QUOTA = 128;
export const TAG_QUOTA = 128;
export const MEMBER_QUOTA = 128;

const MAX_INT = 2147483647;

/** Attributes any property path starting with these is refused (Glance keeps the namespace). */
export const RESERVED_NAMESPACE = 'os_glance';

function checkMinimum(param: string, value: number): void {
  if (value < 0) throw new Invalid(`Invalid value '${value}' for parameter '${param}': Cannot be a negative value.`);
  if (value > MAX_INT) throw new Invalid(`'${param}' value out of range, must not exceed ${MAX_INT}.`);
}

export function checkPropertyQuota(r: ImageRecord): void {
  const n = Object.keys(r.properties).length;
  if (n > PROPERTY_QUOTA) throw new LimitExceeded('image properties', n, PROPERTY_QUOTA);
}

export function checkTagQuota(tags: string[]): void {
  if (tags.length > TAG_QUOTA) throw new LimitExceeded('image tags', tags.length, TAG_QUOTA);
}

/** Sets one writable attribute, already validated against the image schema. */
export function setAttribute(r: ImageRecord, attr: WritableAttribute, value: unknown): void {
  switch (attr) {
    case 'min_disk':
    case 'min_ram':
      checkMinimum(attr, value as number);
      r[attr] = value as number;
      return;
    case 'disk_format':
    case 'container_format':
      // The data was saved as this format: it cannot change afterwards.
      if (!['queued', 'importing'].includes(r.status)) {
        throw new Forbidden(`Attribute ${attr} can be only replaced for a queued image.`);
      }
      r[attr] = value as string | null;
      return;
    case 'tags':
      r.tags = [...new Set(value as string[])];
      checkTagQuota(r.tags);
      return;
    case 'protected':
    case 'os_hidden':
      r[attr] = value as boolean;
      return;
    case 'visibility':
      r.visibility = value as string;
      return;
    default:
      r[attr] = value as string | null;
  }
}
