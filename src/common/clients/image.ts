// Glance v2 as Nova uses it: images shown and listed (boot, rebuild), their data streamed to a
// compute host, and snapshots created and uploaded. Glance has no microversions.
import type { Readable } from 'node:stream';
import { Adapter, type AdapterOptions } from './adapter.js';
import type { Call } from './call.js';
import type { Session } from './session.js';

export interface Image {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  min_ram: number;
  min_disk: number;
  owner: string | null;
  protected: boolean;
  tags: string[];
  created_at: string;
  updated_at: string;
  /** Extra properties (hw_*, img_*, instance_uuid, image_type ...): strings, as Glance keeps them. */
  [property: string]: unknown;
}

/** What a new image is made with: its core attributes and any extra properties. */
export interface NewImage {
  name?: string;
  id?: string;
  disk_format?: string;
  container_format?: string;
  visibility?: 'public' | 'private' | 'shared' | 'community';
  min_ram?: number;
  min_disk?: number;
  tags?: string[];
  [property: string]: unknown;
}

export interface ImageData {
  stream: Readable;
  /** Bytes, from Content-Length. */
  size?: number;
  /** The MD5 Glance recorded (Content-MD5). */
  checksum?: string;
}

const seg = encodeURIComponent;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export class ImageClient {
  readonly api: Adapter;

  constructor(session: Session, opts: Partial<AdapterOptions> = {}) {
    this.api = new Adapter(session, { serviceType: 'image', ...opts });
  }

  show(call: Call, id: string): Promise<Image> {
    return this.api.json(call, 'GET', `/v2/images/${seg(id)}`);
  }

  /** One page of images (Glance's limit and marker among the filters). */
  async page(call: Call, filters: Readonly<Record<string, string>>): Promise<Image[]> {
    const q = Object.keys(filters).length ? `?${new URLSearchParams(filters)}` : '';
    const page: { images: Image[] } = await this.api.json(call, 'GET', `/v2/images${q}`);
    return page.images;
  }

  /** Every image the filters match (Glance's query parameters: name, status, visibility,
   * owner, tag, sort ...), page after page. */
  async list(call: Call, filters: Readonly<Record<string, string>> = {}): Promise<Image[]> {
    const images: Image[] = [];
    let path: string | undefined = `/v2/images${Object.keys(filters).length ? `?${new URLSearchParams(filters)}` : ''}`;
    while (path !== undefined) {
      const page: { images: Image[]; next?: string } = await this.api.json(call, 'GET', path);
      images.push(...page.images);
      // Glance's links are relative to the service root.
      path = page.images.length ? page.next : undefined;
    }
    return images;
  }

  /** The image's data, or null when it has none yet (204). */
  async download(call: Call, id: string): Promise<ImageData | null> {
    const res = await this.api.request(call, 'GET', `/v2/images/${seg(id)}/file`, { stream: true });
    if (res.status === 204 || !res.stream) {
      res.stream?.resume();
      return null;
    }
    const size = one(res.headers['content-length']);
    const checksum = one(res.headers['content-md5']);
    return {
      stream: res.stream,
      ...(size !== undefined ? { size: Number(size) } : {}),
      ...(checksum ? { checksum } : {}),
    };
  }

  /** POST: not retried (a lost answer would leave a second image on retry). */
  create(call: Call, image: NewImage): Promise<Image> {
    return this.api.json(call, 'POST', '/v2/images', { json: image });
  }

  /** Sets attributes of an image and removes the properties named in `remove` (a JSON patch of
   * `add`/`remove` operations, as Glance v2.1 takes). */
  update(
    call: Call,
    id: string,
    changes: Readonly<Record<string, unknown>>,
    remove: readonly string[] = [],
  ): Promise<Image> {
    const patch = [
      ...Object.entries(changes).map(([k, value]) => ({ op: 'add', path: `/${k}`, value })),
      ...remove.map((k) => ({ op: 'remove', path: `/${k}` })),
    ];
    return this.api.json(call, 'PATCH', `/v2/images/${seg(id)}`, {
      body: JSON.stringify(patch),
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
    });
  }

  /** Uploads the image's data (a stream is sent once; a Buffer is retried as PUT allows). */
  async upload(call: Call, id: string, data: Readable | Buffer): Promise<void> {
    await this.api.request(call, 'PUT', `/v2/images/${seg(id)}/file`, {
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
    });
  }

  async delete(call: Call, id: string): Promise<void> {
    await this.api.request(call, 'DELETE', `/v2/images/${seg(id)}`);
  }
}
