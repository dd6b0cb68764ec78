// POST /v2/images bodies, read as Glance's images RequestDeserializer.create and ImageFactory read
// them: the base attributes apart, every other key kept as an extra property (a string, as the
// permissive schema says), read-only and reserved names refused with 403.
import { IMAGE_SCHEMA } from '../schemas/image.js';
import { badRequest, forbidden } from '../errors.js';
import { isObject, validateAgainst } from '../http.js';
import { RESERVED_NAMESPACE } from '../objects/attributes.js';
import { WRITABLE_ATTRIBUTES, type WritableAttribute } from '../objects/image.js';

const DISALLOWED = ['direct_url', 'self', 'file', 'schema', 'stores'];
const READ_ONLY = [
  'created_at',
  'updated_at',
  'status',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'size',
  'virtual_size',
];
const RESERVED = ['location', 'deleted', 'deleted_at', 'locations'];
const WRITABLE: readonly string[] = WRITABLE_ATTRIBUTES;

export interface CreateRequest {
  id?: string;
  attributes: Partial<Record<WritableAttribute, unknown>>;
  properties: Record<string, string | null>;
}

export function parseCreate(body: unknown): CreateRequest {
  if (isObject(body)) {
    for (const key of DISALLOWED) if (Object.hasOwn(body, key)) throw forbidden(`Attribute '${key}' is read-only.`);
  }
  // Glance's schema does not say "object" (so a list would get past it and fail later): ask first.
  validateAgainst({ name: 'image', type: 'object' }, body);
  validateAgainst(IMAGE_SCHEMA, body);
  const req: CreateRequest = { attributes: {}, properties: Object.create(null) as Record<string, string | null> };
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (key === 'id') req.id = value as string;
    else if (WRITABLE.includes(key)) req.attributes[key as WritableAttribute] = value;
    else if (READ_ONLY.includes(key)) continue;
    else req.properties[key] = value as string | null;
  }
  for (const key of Object.keys(req.properties)) {
    if (key.length > 255) throw badRequest('Custom property should not be greater than 255 characters.');
    if (RESERVED.includes(key) || key.startsWith(RESERVED_NAMESPACE))
      throw forbidden(`Attribute '${key}' is reserved.`);
  }
  // Glance's ImageFactory refuses read-only attributes after the reserved names.
  const readOnly = READ_ONLY.find((k) => Object.hasOwn(body as object, k));
  if (readOnly) throw forbidden(`Attribute '${readOnly}' is read-only.`);
  return req;
}
