// PATCH /v2/images/{id} documents, read as Glance reads them: JSON-patch operations in the
// draft-10 form ({"op": "add", "path": "/name", "value": ...}, media type
// application/openstack-images-v2.1-json-patch) or the older draft-4 form ({"add": "/name",
// "value": ...}, v2.0-json-patch), each checked before any is applied.
import { pyStr } from '../../common/policy/pyformat.js';
import { IMAGE_SCHEMA } from '../schemas/image.js';
import { badRequest, forbidden } from '../errors.js';
import { isObject, validateAgainst } from '../http.js';
import { RESERVED_NAMESPACE } from '../objects/attributes.js';

export const PATCH_MEDIA_TYPES: Record<string, 4 | 10> = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
};
const OPERATIONS = ['add', 'remove', 'replace'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface Change {
  op: Operation;
  /** The decoded pointer: one segment, or two for /locations/N. */
  path: string[];
  value?: unknown;
  draft: 4 | 10;
}

const READ_ONLY = [
  'created_at',
  'updated_at',
  'status',
  'checksum',
  'size',
  'virtual_size',
  'direct_url',
  'self',
  'file',
  'schema',
  'id',
  'os_hash_algo',
  'os_hash_value',
];
const RESERVED = ['location', 'deleted', 'deleted_at'];
/** How deep a pointer may go: one segment, except into locations. */
const DEPTH: Record<string, Partial<Record<Operation, number>>> = { locations: { add: 2, remove: 2, replace: 1 } };

function decodePointer(pointer: unknown): string[] {
  if (typeof pointer !== 'string') throw badRequest(`Pointer \`${String(pointer)}\` does not start with "/".`);
  if (!pointer.startsWith('/')) throw badRequest(`Pointer \`${pointer}\` does not start with "/".`);
  if (/\/\s*?\//.test(pointer.slice(1))) throw badRequest(`Pointer \`${pointer}\` contains adjacent "/".`);
  if (pointer.length > 1 && pointer.endsWith('/')) throw badRequest(`Pointer \`${pointer}\` end with "/".`);
  if (pointer.slice(1).trim() === '/') throw badRequest(`Pointer \`${pointer}\` does not contains valid token.`);
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) {
    throw badRequest(`Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`);
  }
  return pointer
    .replace(/^\/+/, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~').trim());
}

function operationOf(raw: Record<string, unknown>, draft: 4 | 10): { op: Operation; pointer: unknown } {
  const available = OPERATIONS.join(', ');
  if (draft === 10) {
    const op = raw.op;
    if (op === undefined || op === null) {
      throw badRequest(`Unable to find \`op\` in JSON Schema change. It must be one of the following: ${available}.`);
    }
    if (!(OPERATIONS as readonly unknown[]).includes(op)) {
      throw badRequest(`Invalid operation: \`${pyStr(op)}\`. It must be one of the following: ${available}.`);
    }
    if (!('path' in raw)) throw badRequest("Unable to find 'path' in JSON Schema change");
    return { op: op as Operation, pointer: raw.path };
  }
  const present = OPERATIONS.filter((o) => o in raw);
  if (present.length > 1)
    throw badRequest('Operation objects must contain only one member named "add", "remove", or "replace".');
  if (present.length === 0)
    throw badRequest('Operation objects must contain exactly one member named "add", "remove", or "replace".');
  return { op: present[0]!, pointer: raw[present[0]!] };
}

function checkChange(c: Change): void {
  const root = c.path[0]!;
  if (READ_ONLY.includes(root)) throw forbidden(`Attribute '${root}' is read-only.`);
  if (RESERVED.includes(root) || root.startsWith(RESERVED_NAMESPACE))
    throw forbidden(`Attribute '${root}' is reserved.`);
  if (c.op === 'remove') return;
  const base = IMAGE_SCHEMA.properties[root as keyof typeof IMAGE_SCHEMA.properties] as { type?: unknown } | undefined;
  // A value for /locations/N is one element of the list the schema describes.
  const partial = c.path.length === 1 ? { [root]: c.value } : base?.type === 'array' ? { [root]: [c.value] } : null;
  if (partial) validateAgainst(IMAGE_SCHEMA, partial);
}

/** The changes of a patch document, or a 4xx for the first thing wrong with it. */
export function parsePatch(body: unknown, draft: 4 | 10): Change[] {
  if (!Array.isArray(body)) throw badRequest('Request body must be a JSON array of operation objects.');
  return body.map((raw: unknown) => {
    if (!isObject(raw)) throw badRequest('Operations must be JSON objects.');
    const { op, pointer } = operationOf(raw, draft);
    const path = decodePointer(pointer);
    if (path.length !== (DEPTH[path[0]!]?.[op] ?? 1)) {
      throw badRequest(`Invalid JSON pointer for this resource: '/${path.join('/')}'`);
    }
    const change: Change = { op, path, draft };
    if (op !== 'remove') {
      if (!('value' in raw)) throw badRequest(`Operation "${op}" requires a member named "value".`);
      change.value = raw.value;
    }
    checkChange(change);
    return change;
  });
}
