// The image service's tables, named as Glance names them. Booleans are 0/1 integers (SQLite has no
// boolean and better-sqlite3 refuses to bind one); timestamps are ISO strings. Deleted images keep
// their row (deleted = 1), as Glance's do, so an id is never handed out twice.
import type { Generated } from 'kysely';

export interface ImagesTable {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  owner: string | null;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  protected: number;
  os_hidden: number;
  created_at: string;
  updated_at: string;
  deleted: number;
  deleted_at: string | null;
}

/** Extra properties: anything a client sets beyond the base attributes (os_distro, hw_* ...). */
export interface ImagePropertiesTable {
  image_id: string;
  name: string;
  value: string | null;
}

export interface ImageTagsTable {
  /** Keeps tags in the order they were added, as Glance lists them. */
  id: Generated<number>;
  image_id: string;
  value: string;
}

export interface ImageMembersTable {
  image_id: string;
  /** The project the image is shared with. */
  member: string;
  status: string;
  created_at: string;
  updated_at: string;
}

/** An upload (or staging, or import) writing an image's data right now: who writes it (the
 * process's writer id, see uploads.ts), where (the partial file in the store or staging area), how
 * far it got, and when the writer last said it was alive. A row whose writer is gone is what a
 * crash left behind (recovery.ts). */
export interface ImageUploadsTable {
  image_id: string;
  /** 'store' or 'staging'. */
  store: string;
  partial: string;
  writer: string;
  bytes: number;
  heartbeat_at: string;
}

/** Metadata definitions (metadefs): a catalog of the properties images, flavors, volumes... may
 * carry, grouped in namespaces, as Glance keeps them. Names are unique where Glance says so; rows
 * refer to their namespace by its internal id, so that a namespace can be renamed. */
export interface MetadefNamespacesTable {
  id: Generated<number>;
  namespace: string;
  display_name: string | null;
  description: string | null;
  visibility: string;
  protected: number;
  owner: string;
  created_at: string;
  updated_at: string;
}

export interface MetadefObjectsTable {
  id: Generated<number>;
  namespace_id: number;
  name: string;
  description: string | null;
  /** JSON: the names of the required properties. */
  required: string;
  /** JSON: property name → property definition. */
  json_schema: string;
  created_at: string;
  updated_at: string;
}

export interface MetadefPropertiesTable {
  id: Generated<number>;
  namespace_id: number;
  name: string;
  /** JSON: the property definition. */
  json_schema: string;
  created_at: string;
  updated_at: string;
}

export interface MetadefTagsTable {
  id: Generated<number>;
  namespace_id: number;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface MetadefResourceTypesTable {
  id: Generated<number>;
  name: string;
  /** Seeded system types cannot be deleted. */
  protected: number;
  created_at: string;
  updated_at: string;
}

export interface MetadefNamespaceResourceTypesTable {
  resource_type_id: number;
  namespace_id: number;
  properties_target: string | null;
  prefix: string | null;
  created_at: string;
  updated_at: string;
}

export interface ImageDB {
  images: ImagesTable;
  image_uploads: ImageUploadsTable;
  metadef_namespaces: MetadefNamespacesTable;
  metadef_objects: MetadefObjectsTable;
  metadef_properties: MetadefPropertiesTable;
  metadef_tags: MetadefTagsTable;
  metadef_resource_types: MetadefResourceTypesTable;
  metadef_namespace_resource_types: MetadefNamespaceResourceTypesTable;
  image_properties: ImagePropertiesTable;
  image_tags: ImageTagsTable;
  image_members: ImageMembersTable;
}
