// How an extra spec is checked (Nova's nova/api/validation/extra_specs/base.py and validators.py):
// each known spec, or family of specs ("hw:numa_cpus.{num}"), says what its value may be. A spec
// no validator knows is refused only when its namespace is one that validators cover (a typo in
// hw:cpu_polcy is caught; my_org:anything is not Nova's business).
import { ValidationError } from '../exceptions.js';

export type ValueRule =
  | { type: 'int'; min?: number; max?: number }
  | { type: 'bool' }
  | { type: 'str'; pattern?: string; enum?: readonly string[] };

export interface ExtraSpecDefinition {
  /** The spec's name, with {parameter} placeholders. */
  name: string;
  /** What each placeholder may be (a regex). */
  parameters?: Record<string, string>;
  value: ValueRule;
}

interface Validator {
  name: string;
  nameRegex: RegExp;
  /** The namespace (before ':') as a regex source, when the spec has one. */
  namespace?: string;
  value: ValueRule;
}

function compile(def: ExtraSpecDefinition): Validator {
  let source = def.name.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  for (const [param, pattern] of Object.entries(def.parameters ?? {}))
    source = source.replace(`{${param}}`, `(${pattern})`);
  const colon = source.indexOf(':');
  return {
    name: def.name,
    nameRegex: new RegExp(`^(?:${source})$`),
    ...(colon >= 0 ? { namespace: source.slice(0, colon) } : {}),
    value: def.value,
  };
}

const fail = (detail: string) => new ValidationError(`Validation failed; ${detail}`);

/** oslo's bool_from_string, strict. */
const BOOLEAN = /^(1|t|true|on|y|yes|0|f|false|off|n|no)$/i;

function checkValue(rule: ValueRule, value: string): void {
  switch (rule.type) {
    case 'int': {
      if (!/^\s*[+-]?\d+\s*$/.test(value)) throw fail(`'${value}' is not a valid integer value.`);
      const n = Number(value);
      if (rule.max !== undefined && rule.max < n) throw fail(`'${n}' is greater than the max value of '${rule.max}'.`);
      if (rule.min !== undefined && rule.min > n) throw fail(`'${n}' is less than the min value of '${rule.min}'.`);
      return;
    }
    case 'bool':
      if (!BOOLEAN.test(value.trim())) throw fail(`'${value}' is not a valid boolean-like value.`);
      return;
    case 'str':
      if (rule.pattern !== undefined) {
        if (!new RegExp(`^(?:${rule.pattern})$`).test(value))
          throw fail(`'${value}' is not of the format '${rule.pattern}'.`);
      } else if (rule.enum && !rule.enum.includes(value)) {
        throw fail(`'${value}' is not one of: ${rule.enum.join(', ')}.`);
      }
  }
}

/** The validators of a set of definitions, and the check of one spec against them. */
export class ExtraSpecValidators {
  private readonly byName = new Map<string, Validator>();
  private readonly namespaces: RegExp[];

  constructor(definitions: readonly ExtraSpecDefinition[]) {
    for (const d of definitions) this.byName.set(d.name, compile(d));
    const namespaces = new Set(
      [...this.byName.values()].flatMap((v) => (v.namespace === undefined ? [] : [v.namespace])),
    );
    this.namespaces = [...namespaces].map((ns) => new RegExp(`^(?:${ns})$`));
  }

  /** Throws ValidationError unless `name` = `value` is a valid extra spec. */
  validate(name: string, value: string): void {
    const validator = this.byName.get(name) ?? [...this.byName.values()].find((v) => v.nameRegex.test(name));
    if (validator) {
      checkValue(validator.value, value);
      return;
    }
    const colon = name.indexOf(':');
    if (colon < 0) return;
    const namespace = name.slice(0, colon);
    if (this.namespaces.some((ns) => ns.test(namespace))) {
      throw fail(`extra spec '${name}' does not appear to be a valid extra spec.`);
    }
  }
}
