// JSON Schema validation with Python jsonschema's error messages (see pyrepr.ts for why).
import { isIPv4, isIPv6 } from 'node:net';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { pyRepr } from './pyrepr.js';

// unicodeRegExp off: Python patterns such as '^CUSTOM\_' use escapes the 'u' flag rejects.
const ajv = new Ajv({ allErrors: false, strict: false, verbose: true, unicodeRegExp: false });
// Python's uuid.UUID() accepts the dashed and the plain hex forms (upstream's 'uuid' format).
ajv.addFormat(
  'uuid',
  /^(urn:uuid:)?\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$/,
);

// Nova's formats: base64 (user_data) as Python's base64.b64decode takes it, IP addresses as netaddr.
ajv.addFormat('base64', (s: string) => /^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(s) && s.replace(/\s/g, '').length % 4 === 0);
ajv.addFormat('ipv4', (s: string) => isIPv4(s));
ajv.addFormat('ipv6', (s: string) => isIPv6(s));

const compiled = new WeakMap<object, ValidateFunction>();

function valueAt(data: unknown, pointer: string): unknown {
  if (!pointer) return data;
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    cur = (cur as Record<string, unknown> | undefined)?.[key];
  }
  return cur;
}

function message(e: ErrorObject, data: unknown): string {
  const inst = valueAt(data, e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type': {
      const types = Array.isArray(p.type) ? p.type : String(p.type).split(',');
      return `${pyRepr(inst)} is not of type ${types.map(pyRepr).join(', ')}`;
    }
    case 'required':
      return `${pyRepr(p.missingProperty)} is a required property`;
    case 'additionalProperties': {
      const parent = e.parentSchema as { patternProperties?: Record<string, unknown> } | undefined;
      if (parent?.patternProperties) {
        const regexes = Object.keys(parent.patternProperties).map(pyRepr).join(', ');
        return `${pyRepr(p.additionalProperty)} does not match any of the regexes: ${regexes}`;
      }
      return `Additional properties are not allowed (${pyRepr(p.additionalProperty)} was unexpected)`;
    }
    case 'minimum':
      return `${pyRepr(inst)} is less than the minimum of ${pyRepr(p.limit)}`;
    case 'maximum':
      return `${pyRepr(inst)} is greater than the maximum of ${pyRepr(p.limit)}`;
    case 'exclusiveMinimum':
      return `${pyRepr(inst)} is less than or equal to the minimum of ${pyRepr(p.limit)}`;
    case 'exclusiveMaximum':
      return `${pyRepr(inst)} is greater than or equal to the maximum of ${pyRepr(p.limit)}`;
    case 'minLength':
    case 'minItems':
      return `${pyRepr(inst)} is too short`;
    case 'maxLength':
    case 'maxItems':
      return `${pyRepr(inst)} is too long`;
    case 'pattern':
      return `${pyRepr(inst)} does not match ${pyRepr(p.pattern)}`;
    case 'enum':
      return `${pyRepr(inst)} is not one of ${pyRepr(p.allowedValues)}`;
    case 'const':
      return `${pyRepr(p.allowedValue)} was expected`;
    case 'minProperties':
      return `${pyRepr(inst)} does not have enough properties`;
    case 'maxProperties':
      return `${pyRepr(inst)} has too many properties`;
    case 'uniqueItems':
      return `${pyRepr(inst)} has non-unique elements`;
    case 'format':
      return `${pyRepr(inst)} is not a ${pyRepr(p.format)}`;
    case 'anyOf':
    case 'oneOf':
      return `${pyRepr(inst)} is not valid under any of the given schemas`;
    default:
      return e.message ?? 'is invalid';
  }
}

/** The first error of validating `data` against `schema` (compiled once), or null. */
function firstError(schema: object, data: unknown): ErrorObject | null {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn(data) ? null : fn.errors![0]!;
}

/** Validates `data`; returns null when valid, else the text of Python's str(ValidationError). */
export function validateSchema(schema: object, data: unknown): string | null {
  const e = firstError(schema, data);
  if (!e) return null;
  const schemaPath = e.schemaPath
    .replace(/^#/, '')
    .split('/')
    .filter(Boolean)
    .slice(0, -1)
    .map((s) => `[${pyRepr(s)}]`)
    .join('');
  const instPath = e.instancePath
    .split('/')
    .filter(Boolean)
    .map((s) => `[${pyRepr(s)}]`)
    .join('');
  return (
    `${message(e, data)}\n\nFailed validating ${pyRepr(e.keyword)} in schema${schemaPath}:\n    ` +
    `${pyRepr(e.parentSchema ?? {})}\n\nOn instance${instPath}:\n    ${pyRepr(valueAt(data, e.instancePath))}`
  );
}

/** The first validation error as its parts: jsonschema's short message, the path to the offending
 * value and that value (for services, such as Keystone, whose error text is built from them). */
export function schemaError(schema: object, data: unknown): { message: string; path: string[]; value: unknown } | null {
  const e = firstError(schema, data);
  if (!e) return null;
  const path = e.instancePath
    .split('/')
    .filter(Boolean)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  return { message: message(e, data), path, value: valueAt(data, e.instancePath) };
}
