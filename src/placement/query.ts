// Parsing of the query parameters shared by GET /resource_providers and GET
// /allocation_candidates (resources, required, member_of, in_tree), with upstream's messages.
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../common/http/errors.js';
import { UUID_RE } from './http.js';

/** ?resources=VCPU:2,MEMORY_MB:1024 → { VCPU: 2, MEMORY_MB: 1024 }. */
export function parseResources(qs: string): Map<string, number> {
  const form = 'Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024.';
  if (qs.trim() === '') throw badRequest(`Badly formed resources parameter. ${form} Got: empty string.`);
  const out = new Map<string, number>();
  for (const rt of qs.split(',')) {
    const parts = rt.split(':');
    if (parts.length !== 2) throw badRequest(`Badly formed resources parameter. ${form} Got: ${rt}.`);
    const [rc, raw] = parts as [string, string];
    const amount = pyInt(raw);
    if (amount === null) {
      throw badRequest(`Requested resource ${rc} expected positive integer amount. Got: ${raw}.`);
    }
    if (amount < 1) throw badRequest(`Requested resource ${rc} requires amount >= 1. Got: ${amount}.`);
    out.set(rc, amount);
  }
  return out;
}

/** Python's int() of a string: optional sign and surrounding whitespace, digits, underscores
 * between digits. null when int() would raise. */
export function pyInt(s: string): number | null {
  const t = s.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) return null;
  return Number.parseInt(t.replace(/_/g, ''), 10);
}

/** Required traits: a list of any-of sets (AND of ORs), and forbidden traits. */
export interface TraitQuery {
  required: Set<string>[];
  forbidden: Set<string>;
}

/** One value of required<suffix>: "A,!B" or (1.39) "in:A,B". */
export function parseTraitsValue(val: string, allowForbidden: boolean, allowAnyOf: boolean): TraitQuery {
  if (val.startsWith('in:')) {
    if (!allowAnyOf) {
      throw badRequest(
        `Invalid query string parameters: The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since microversion 1.39. Got: ${val}`,
      );
    }
    const any = new Set(
      val
        .slice(3)
        .split(',')
        .map((t) => t.trim()),
    );
    if ([...any].some((t) => !t)) {
      throw badRequest(
        `Invalid query string parameters: Expected 'required' parameter value of the form: in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got an empty trait in: ${val}`,
      );
    }
    if ([...any].some((t) => t.startsWith('!'))) {
      throw badRequest(
        `Invalid query string parameters: The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' does not support forbidden traits. Got: ${val}`,
      );
    }
    return { required: [any], forbidden: new Set() };
  }
  const all = val.split(',').map((t) => t.trim());
  const forbidden = new Set(all.filter((t) => t.startsWith('!')).map((t) => t.replace(/^!+/, '')));
  if ([...all, ...forbidden].some((t) => !t)) {
    const form = allowForbidden ? 'HW_CPU_X86_VMX,!CUSTOM_MAGIC' : 'HW_CPU_X86_VMX,CUSTOM_MAGIC';
    throw badRequest(
      `Invalid query string parameters: Expected 'required' parameter value of the form: ${form}. Got an empty trait in: ${val}`,
    );
  }
  if (forbidden.size && !allowForbidden) {
    throw badRequest(
      `Invalid query string parameters: Expected 'required' parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: ${val}`,
    );
  }
  return { required: all.filter((t) => !t.startsWith('!')).map((t) => new Set([t])), forbidden };
}

/** All required<suffix> values of a request (only the last one before 1.39). */
export function parseTraits(values: string[], req: FastifyRequest): TraitQuery {
  const allowAnyOf = req.version.gte('1.39');
  const out: TraitQuery = { required: [], forbidden: new Set() };
  for (const v of allowAnyOf ? values : values.slice(-1)) {
    const q = parseTraitsValue(v, req.version.gte('1.22'), allowAnyOf);
    out.required.push(...q.required);
    for (const f of q.forbidden) out.forbidden.add(f);
  }
  return out;
}

/** member_of: a list of any-of aggregate sets (AND of ORs), and forbidden aggregates. */
export interface AggregateQuery {
  required: Set<string>[];
  forbidden: Set<string>;
}

export function parseMemberOfValue(value: string): AggregateQuery {
  if (value.includes(',') && !(value.startsWith('in:') || value.startsWith('!in:'))) {
    throw badRequest(
      `Multiple values for 'member_of' must be prefixed with the 'in:' or '!in:' keyword using the valid microversion. Got: ${value}`,
    );
  }
  let required = new Set<string>();
  let forbidden = new Set<string>();
  if (value.startsWith('!in:')) forbidden = new Set(value.slice(4).split(','));
  else if (value.startsWith('!')) forbidden = new Set([value.slice(1)]);
  else if (value.startsWith('in:')) required = new Set(value.slice(3).split(','));
  else required = new Set([value]);
  for (const u of [...required, ...forbidden]) {
    if (!UUID_RE.test(u)) {
      throw badRequest(
        `Invalid query string parameters: Expected 'member_of' parameter to contain valid UUID(s). Got: ${u}`,
      );
    }
  }
  return { required: required.size ? [required] : [], forbidden };
}

/** All member_of<suffix> values (several only since 1.24, forbidden only since 1.32). */
export function parseMemberOf(values: string[], req: FastifyRequest, suffix = ''): AggregateQuery {
  if (req.version.lt('1.24') && values.length > 1) {
    throw badRequest(`Multiple member_of${suffix} parameters are not supported`);
  }
  const out: AggregateQuery = { required: [], forbidden: new Set() };
  for (const v of values) {
    const q = parseMemberOfValue(v);
    out.required.push(...q.required);
    if (q.forbidden.size && req.version.lt('1.32')) {
      throw badRequest(`Forbidden member_of${suffix} parameters are not supported in the specified microversion`);
    }
    for (const f of q.forbidden) out.forbidden.add(f);
  }
  return out;
}

export function parseInTree(value: string): string {
  const v = value.trim();
  if (!UUID_RE.test(v)) {
    throw badRequest(
      `Invalid query string parameters: Expected 'in_tree' parameter to be a format of uuid. Got: ${value}`,
    );
  }
  return v;
}
