// Nova's parameter types (nova/api/validation/parameter_types.py) as TypeBox schemas: each gives
// the JSON schema requests are validated with and the TypeScript type handlers read. Types that
// Nova spells as a list of JSON types (['integer', 'string']) are written as such, so that a
// failure is worded as Nova's validator words it.
import { Type, type TSchema } from '@sinclair/typebox';
import { characterClass, printable } from '../objects/text.js';

/** A schema of several JSON types at once, typed as `T`. */
export function anyOf<T>(types: string[], constraints: Record<string, unknown> = {}) {
  return Type.Unsafe<T>({ type: types, ...constraints });
}

/** Nova's multi_params: a query parameter's values, as a list. */
export const multiParams = <S extends TSchema>(items: S) => Type.Array(items);

/** Nova's single_param: a query parameter that may be given once. */
export const singleParam = <S extends TSchema>(items: S) => Type.Array(items, { maxItems: 1 });

/** Every query parameter of an API call may repeat; unknown ones are dropped before 2.75, refused from it. */
export function querySchema(properties: Record<string, TSchema>, strict: boolean) {
  return Type.Object(Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, Type.Optional(s)])), {
    additionalProperties: !strict,
  });
}

/** Nova's valid_description_regex: printable characters (spaces included), nothing else. */
export const DESCRIPTION_PATTERN = `^[${characterClass(printable)}]*$`;

/** A string of 1 to 255 characters that must also be a valid name (objects/text.ts: isValidName). */
export const name = Type.String({ minLength: 1, maxLength: 255 });

/** A host name as the services table holds it (RFC 952, with underscores, which real systems have). */
export const fqdn = Type.String({ minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' });

/** What Nova's boolean takes: JSON booleans and the strings oslo's bool_from_string knows. */
export const BOOLEAN_VALUES: readonly (boolean | string)[] = [
  true,
  'True',
  'TRUE',
  'true',
  '1',
  'ON',
  'On',
  'on',
  'YES',
  'Yes',
  'yes',
  false,
  'False',
  'FALSE',
  'false',
  '0',
  'OFF',
  'Off',
  'off',
  'NO',
  'No',
  'no',
];

/** Nova's boolean: a JSON boolean or one of the strings oslo's bool_from_string knows. */
export const boolean = anyOf<boolean | string>(['boolean', 'string'], { enum: BOOLEAN_VALUES });

const MAX_INT = 0x7fffffff;

/** A positive integer, as a JSON number or a string of digits (flavor ram, vcpus). */
export const flavorParamPositive = anyOf<number | string>(['integer', 'string'], {
  pattern: '^[0-9]+$',
  minimum: 1,
  maximum: MAX_INT,
});
/** A non-negative integer, as a JSON number or a string of digits (flavor disk, swap, ephemeral). */
export const flavorParamNonNegative = anyOf<number | string>(['integer', 'string'], {
  pattern: '^[0-9]+$',
  minimum: 0,
  maximum: MAX_INT,
});

/** A query parameter's non-negative integer (limit). */
export const nonNegativeInteger = anyOf<number | string>(['integer', 'string'], {
  pattern: '^[0-9]*$',
  minimum: 0,
  minLength: 1,
});

export const paginationParameters = {
  limit: multiParams(nonNegativeInteger),
  marker: multiParams(Type.String()),
};

/** The keys of Nova's metadata (note the range 9-_, which takes :;<=>?@[]^ too, as Nova's does). */
export const METADATA_KEY = '^[a-zA-Z0-9-_:. ]{1,255}$';

/** Nova's metadata: values under keys of a restricted alphabet. */
export function metadata<T extends TSchema>(value: T) {
  return Type.Record(Type.String({ pattern: METADATA_KEY }), value, { additionalProperties: false });
}
