// Evaluates compiled checks against a target (what is acted on) and credentials (who acts), with
// oslo.policy's matching rules.
import type { Check } from './parser.js';
import { pyLiteralStr, pyStr, substitute } from './pyformat.js';

type Dict = Readonly<Record<string, unknown>>;

export interface Evaluation {
  target: Dict;
  creds: Dict;
  /** The compiled rule of that name; undefined denies, as oslo does for an unknown `rule:`. */
  rule(name: string): Check | undefined;
}

export function evaluate(c: Check, ev: Evaluation, via: ReadonlySet<string> = new Set()): boolean {
  switch (c.type) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'not':
      return !evaluate(c.check, ev, via);
    case 'and':
      return c.checks.every((x) => evaluate(x, ev, via));
    case 'or':
      return c.checks.some((x) => evaluate(x, ev, via));
    case 'rule': {
      const referenced = ev.rule(c.name);
      // A rule reached again through its own references would never terminate: deny instead.
      if (!referenced || via.has(c.name)) return false;
      return evaluate(referenced, ev, new Set(via).add(c.name));
    }
    case 'role': {
      const role = substitute(c.match, ev.target);
      const roles = ev.creds.roles;
      return role !== null && Array.isArray(roles) && roles.some((r) => String(r).toLowerCase() === role.toLowerCase());
    }
    case 'generic': {
      const match = substitute(c.match, ev.target);
      if (match === null) return false;
      const literal = pyLiteralStr(c.kind);
      if (literal !== undefined) return literal === match;
      return found(ev.creds, c.kind.split('.'), match);
    }
  }
}

/** Walks a dotted credential path; a list on the way matches when any of its elements does. */
function found(value: unknown, path: string[], match: string): boolean {
  if (Array.isArray(value)) return value.some((v) => found(v, path, match));
  if (path.length === 0) return pyStr(value) === match;
  if (value === null || typeof value !== 'object') return false;
  const [key, ...rest] = path as [string, ...string[]];
  if (!Object.hasOwn(value, key)) return false;
  return found((value as Dict)[key], rest, match);
}
