// The image JSON schema Glance serves at /v2/schemas/image and validates requests against: its
// base properties, the properties of the schema-image.json Glance packages ship (marked is_base:
// false), and, since the schema is "permissive", any other property as long as it is a string.
// python-glanceclient fetches this schema and validates images and patches with it.

export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'];
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'];
export const IMAGE_STATUSES = [
  'queued',
  'saving',
  'active',
  'killed',
  'deleted',
  'uploading',
  'importing',
  'pending_delete',
  'deactivated',
];
export const VISIBILITIES = ['community', 'public', 'private', 'shared'];

const UUID_PATTERN = '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';
const PROPERTY_KEYS_DOC = 'https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html';

const readOnly = (type: string | string[], description: string, extra: object = {}) => ({
  type,
  readOnly: true,
  description,
  ...extra,
});

export const BASE_PROPERTIES: Record<string, Record<string, unknown>> = {
  id: { type: 'string', description: 'An identifier for the image', pattern: UUID_PATTERN },
  name: { type: ['null', 'string'], description: 'Descriptive name for the image', maxLength: 255 },
  status: readOnly('string', 'Status of the image', { enum: IMAGE_STATUSES }),
  visibility: { type: 'string', description: 'Scope of image accessibility', enum: VISIBILITIES },
  protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
  os_hidden: { type: 'boolean', description: 'If true, image will not appear in default image list response.' },
  checksum: readOnly(['null', 'string'], 'md5 hash of image contents.', { maxLength: 32 }),
  os_hash_algo: readOnly(['null', 'string'], 'Algorithm to calculate the os_hash_value', { maxLength: 64 }),
  os_hash_value: readOnly(
    ['null', 'string'],
    'Hexdigest of the image contents using the algorithm specified by the os_hash_algo',
    { maxLength: 128 },
  ),
  owner: { type: ['null', 'string'], description: 'Owner of the image', maxLength: 255 },
  size: readOnly(['null', 'integer'], 'Size of image file in bytes'),
  virtual_size: readOnly(['null', 'integer'], 'Virtual size of image in bytes'),
  container_format: {
    type: ['null', 'string'],
    description: 'Format of the container',
    enum: [null, ...CONTAINER_FORMATS],
  },
  disk_format: { type: ['null', 'string'], description: 'Format of the disk', enum: [null, ...DISK_FORMATS] },
  created_at: readOnly('string', 'Date and time of image registration'),
  updated_at: readOnly('string', 'Date and time of the last image modification'),
  tags: {
    type: 'array',
    description: 'List of strings related to the image',
    items: { type: 'string', maxLength: 255 },
  },
  direct_url: readOnly('string', 'URL to access the image file kept in external store'),
  min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.' },
  min_disk: { type: 'integer', description: 'Amount of disk space (in GB) required to boot image.' },
  self: readOnly('string', 'An image self url'),
  file: readOnly('string', 'An image file url'),
  stores: readOnly(
    'string',
    'Store in which image data resides.  Only present when the operator has enabled ' +
      'multiple stores.  May be a comma-separated list of store identifiers.',
  ),
  schema: readOnly('string', 'An image schema url'),
  locations: {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        url: { type: 'string', maxLength: 255 },
        metadata: { type: 'object' },
        validation_data: {
          description:
            'Values to be used to populate the corresponding image properties. If the image status ' +
            "is not 'queued', values must exactly match those already contained in the image properties.",
          type: 'object',
          writeOnly: true,
          additionalProperties: false,
          properties: {
            checksum: { type: 'string', minLength: 32, maxLength: 32 },
            os_hash_algo: { type: 'string', maxLength: 64 },
            os_hash_value: { type: 'string', maxLength: 128 },
          },
          required: ['os_hash_algo', 'os_hash_value'],
        },
      },
      required: ['url', 'metadata'],
    },
    description: 'A set of URLs to access the image file kept in external store',
  },
};

const custom = (def: Record<string, unknown>) => ({ ...def, is_base: false });

/** etc/schema-image.json as Glance ships it. */
export const CUSTOM_PROPERTIES: Record<string, Record<string, unknown>> = {
  kernel_id: custom({
    type: ['null', 'string'],
    pattern: UUID_PATTERN,
    description: 'ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.',
  }),
  ramdisk_id: custom({
    type: ['null', 'string'],
    pattern: UUID_PATTERN,
    description: 'ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.',
  }),
  instance_uuid: custom({
    type: 'string',
    description:
      'Metadata which can be used to record which instance this image is associated ' +
      'with. (Informational only, does not create an instance snapshot.)',
  }),
  architecture: custom({
    type: 'string',
    description: `Operating system architecture as specified in ${PROPERTY_KEYS_DOC}`,
  }),
  os_distro: custom({
    type: 'string',
    description: `Common name of operating system distribution as specified in ${PROPERTY_KEYS_DOC}`,
  }),
  os_version: custom({ type: 'string', description: 'Operating system version as specified by the distributor.' }),
  description: custom({ type: 'string', description: 'A human-readable string describing this image.' }),
};

export const IMAGE_SCHEMA = {
  name: 'image',
  properties: { ...BASE_PROPERTIES, ...CUSTOM_PROPERTIES },
  additionalProperties: { type: 'string' },
  links: [
    { rel: 'self', href: '{self}' },
    { rel: 'enclosure', href: '{file}' },
    { rel: 'describedby', href: '{schema}' },
  ],
};

/** A collection schema as Glance's CollectionSchema renders one around an item schema. */
export function collectionSchema(name: string, item: object) {
  return {
    name,
    properties: {
      [name]: { type: 'array', items: item },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

export const IMAGES_SCHEMA = collectionSchema('images', IMAGE_SCHEMA);
