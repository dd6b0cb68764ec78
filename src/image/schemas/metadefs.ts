// The metadata definition schemas Glance serves at /v2/schemas/metadefs/* and validates requests
// against: namespaces, objects, properties (a property definition is itself a small JSON schema),
// tags and resource type associations. Unlike the image schema they allow no other keys.
import { collectionSchema } from './image.js';

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string', null];

/** A property definition's attributes (Glance's PropertyType), as a schema of their own. */
const PROPERTY_ATTRIBUTES = {
  name: { type: 'string', maxLength: 80 },
  title: { type: 'string' },
  description: { type: 'string' },
  operators: { type: 'array', items: { type: 'string' } },
  type: { type: 'string', enum: TYPES },
  required: { $ref: '#/definitions/stringArray' },
  minimum: { type: 'number' },
  maximum: { type: 'number' },
  maxLength: { $ref: '#/definitions/positiveInteger' },
  minLength: { $ref: '#/definitions/positiveIntegerDefault0' },
  pattern: { type: 'string', format: 'regex' },
  enum: { type: 'array' },
  readonly: { type: 'boolean' },
  default: {},
  items: {
    type: 'object',
    properties: { type: { type: 'string', enum: TYPES }, enum: { type: 'array' } },
  },
  maxItems: { $ref: '#/definitions/positiveInteger' },
  minItems: { $ref: '#/definitions/positiveIntegerDefault0' },
  uniqueItems: { type: 'boolean', default: false },
  additionalItems: { type: 'boolean' },
};

const INTEGER_DEFINITIONS = {
  positiveInteger: { type: 'integer', minimum: 0 },
  positiveIntegerDefault0: { allOf: [{ $ref: '#/definitions/positiveInteger' }, { default: 0 }] },
};

/** The definitions namespaces and objects refer to: a property is a map of name → definition. */
const DEFINITIONS = {
  ...INTEGER_DEFINITIONS,
  stringArray: { type: 'array', items: { type: 'string' }, uniqueItems: true },
  property: {
    type: 'object',
    additionalProperties: { type: 'object', required: ['title', 'type'], properties: PROPERTY_ATTRIBUTES },
  },
};

const timestamp = (description: string) => ({ type: 'string', readOnly: true, description, format: 'date-time' });
const LINK = { readOnly: true, type: 'string' };

/** An item schema as Glance's Schema.raw renders it (definitions go to the top of a collection). */
function item(name: string, properties: object, required?: string[]) {
  return { name, properties, additionalProperties: false, ...(required ? { required } : {}) };
}

const NAMESPACE = item(
  'namespace',
  {
    namespace: { type: 'string', description: 'The unique namespace text.', maxLength: 80 },
    display_name: {
      type: 'string',
      description: 'The user friendly name for the namespace. Used by UI if available.',
      maxLength: 80,
    },
    description: {
      type: 'string',
      description: 'Provides a user friendly description of the namespace.',
      maxLength: 500,
    },
    visibility: { type: 'string', description: 'Scope of namespace accessibility.', enum: ['public', 'private'] },
    protected: { type: 'boolean', description: 'If true, namespace will not be deletable.' },
    owner: { type: 'string', description: 'Owner of the namespace.', maxLength: 255 },
    created_at: timestamp('Date and time of namespace creation'),
    updated_at: timestamp('Date and time of the last namespace modification'),
    schema: LINK,
    self: LINK,
    resource_type_associations: {
      type: 'array',
      items: {
        type: 'object',
        properties: { name: { type: 'string' }, prefix: { type: 'string' }, properties_target: { type: 'string' } },
      },
    },
    properties: { $ref: '#/definitions/property' },
    objects: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          description: { type: 'string' },
          required: { $ref: '#/definitions/stringArray' },
          properties: { $ref: '#/definitions/property' },
        },
      },
    },
    tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
  },
  ['namespace'],
);

const OBJECT = item(
  'object',
  {
    name: { type: 'string', maxLength: 80 },
    description: { type: 'string' },
    required: { $ref: '#/definitions/stringArray' },
    properties: { $ref: '#/definitions/property' },
    schema: LINK,
    self: LINK,
    created_at: timestamp('Date and time of object creation'),
    updated_at: timestamp('Date and time of the last object modification'),
  },
  ['name'],
);

/** A property on its own must name itself; in a collection its name is the key. */
const PROPERTY_DEFINITIONS = {
  ...INTEGER_DEFINITIONS,
  stringArray: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true },
};
const PROPERTY = item('property', PROPERTY_ATTRIBUTES, ['title', 'type', 'name']);
const PROPERTY_IN_COLLECTION = item('property', PROPERTY_ATTRIBUTES, ['title', 'type']);

const TAG = item(
  'tag',
  {
    name: { type: 'string', maxLength: 80 },
    created_at: timestamp('Date and time of tag creation'),
    updated_at: timestamp('Date and time of the last tag modification'),
  },
  ['name'],
);

const RESOURCE_TYPE_ASSOCIATION = item(
  'resource_type_association',
  {
    name: {
      type: 'string',
      maxLength: 80,
      description:
        'Resource type names should be aligned with Heat resource types ' +
        'whenever possible: https://docs.openstack.org/heat/latest/template_guide/openstack.html',
    },
    prefix: {
      type: 'string',
      maxLength: 80,
      description:
        'Specifies the prefix to use for the given resource type. Any ' +
        'properties in the namespace should be prefixed with this prefix when being applied to the specified ' +
        'resource type. Must include prefix separator (e.g. a colon :).',
    },
    properties_target: {
      type: 'string',
      maxLength: 80,
      description:
        'Some resource types allow more than one key / value pair per ' +
        'instance.  For example, Cinder allows user and image metadata on volumes. Only the image properties ' +
        'metadata is evaluated by Nova (scheduling or drivers). This property allows a namespace target to remove ' +
        'the ambiguity.',
    },
    created_at: timestamp('Date and time of resource type association'),
    updated_at: timestamp('Date and time of the last resource type association modification'),
  },
  ['name'],
);

/** What a request creating several tags at once carries. */
const TAG_LIST = item('tags', {
  tags: {
    type: 'array',
    items: {
      type: 'object',
      properties: { name: { type: 'string' } },
      required: ['name'],
      additionalProperties: false,
    },
  },
});

const withDefinitions = <T extends object>(schema: T, definitions: object) => ({ ...schema, definitions });

export const METADEF_SCHEMAS = {
  namespace: withDefinitions(NAMESPACE, DEFINITIONS),
  namespaces: withDefinitions(collectionSchema('namespaces', NAMESPACE), DEFINITIONS),
  object: withDefinitions(OBJECT, DEFINITIONS),
  objects: withDefinitions(collectionSchema('objects', OBJECT), DEFINITIONS),
  property: withDefinitions(PROPERTY, PROPERTY_DEFINITIONS),
  properties: {
    name: 'properties',
    properties: {
      properties: { type: 'object', additionalProperties: PROPERTY_IN_COLLECTION },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
    definitions: PROPERTY_DEFINITIONS,
  },
  tag: TAG,
  tags: collectionSchema('tags', TAG),
  resource_type: RESOURCE_TYPE_ASSOCIATION,
  resource_types: collectionSchema('resource_type_associations', RESOURCE_TYPE_ASSOCIATION),
};

/** A schema as requests are validated against it: Glance's validator checks no formats. */
function forRequests<T>(schema: T): T {
  return JSON.parse(JSON.stringify(schema, (k, v: unknown) => (k === 'format' ? undefined : v))) as T;
}

export const METADEF_REQUEST_SCHEMAS = {
  namespace: forRequests(METADEF_SCHEMAS.namespace),
  object: forRequests(METADEF_SCHEMAS.object),
  property: forRequests(METADEF_SCHEMAS.property),
  /** A property inside an object: its name is its key. */
  objectProperty: forRequests({ ...METADEF_SCHEMAS.property, required: ['title', 'type'] }),
  tag: forRequests(TAG),
  tags: TAG_LIST,
  resourceTypeAssociation: forRequests(RESOURCE_TYPE_ASSOCIATION),
};

/** The attributes a property definition keeps (anything else a request carries is dropped, as
 * Glance's model drops it). */
export const PROPERTY_DEFINITION_KEYS = [
  'type',
  'title',
  'description',
  'operators',
  'default',
  'readonly',
  'minimum',
  'maximum',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'confidential',
  'items',
  'uniqueItems',
  'minItems',
  'maxItems',
  'additionalItems',
] as const;
