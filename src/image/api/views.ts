// Images and members as Glance's ResponseSerializers render them. Links are relative to the
// service root ("/v2/images/ID"), as Glance writes them and its clients expect.
import { isoTime, type ImageRecord } from '../objects/image.js';
import type { MemberRecord } from '../objects/member.js';

/** The statuses of images whose data is in the store. */
const STORED = ['active', 'deactivated'];

/** An image; `stores` names the store holding its data, if any (as Glance with enabled_backends). */
export function imageView(r: ImageRecord, storeId: string): Record<string, unknown> {
  return {
    ...r.properties,
    name: r.name,
    disk_format: r.disk_format,
    container_format: r.container_format,
    visibility: r.visibility,
    size: r.size,
    virtual_size: r.virtual_size,
    status: r.status,
    checksum: r.checksum,
    protected: r.protected,
    min_ram: r.min_ram,
    min_disk: r.min_disk,
    owner: r.owner,
    os_hidden: r.os_hidden,
    os_hash_algo: r.os_hash_algo,
    os_hash_value: r.os_hash_value,
    id: r.id,
    created_at: isoTime(r.created_at),
    updated_at: isoTime(r.updated_at),
    tags: r.tags,
    ...(STORED.includes(r.status) ? { stores: storeId } : {}),
    self: `/v2/images/${r.id}`,
    file: `/v2/images/${r.id}/file`,
    schema: '/v2/schemas/image',
  };
}

export function memberView(m: MemberRecord): Record<string, unknown> {
  return {
    member_id: m.member,
    image_id: m.image_id,
    status: m.status,
    created_at: isoTime(m.created_at),
    updated_at: isoTime(m.updated_at),
    schema: '/v2/schemas/member',
  };
}
