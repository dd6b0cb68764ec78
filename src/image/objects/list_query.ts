// GET /v2/images query parameters, read as Glance's images RequestDeserializer.index and its
// database filters read them: pagination, the two sorting syntaxes, member_status, tags, and every
// other parameter as a filter on an attribute or, failing that, on an extra property.
import { Invalid } from '../exceptions.js';

export const SORT_KEYS = [
  'name',
  'status',
  'container_format',
  'disk_format',
  'size',
  'id',
  'created_at',
  'updated_at',
];
const MEMBER_STATUSES = ['pending', 'accepted', 'rejected', 'all'];
const LIST_VISIBILITIES = ['community', 'public', 'private', 'shared', 'all'];
/** [DEFAULT] limit_param_default and api_limit_max, at Glance's defaults. */
export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 1000;

/** Attributes compared with an operator (eq, or in: a list). */
const OPERATOR_ATTRS = ['name', 'id', 'status', 'container_format', 'disk_format'];
/** Attributes compared as they are. */
const EXACT_ATTRS = ['owner', 'checksum', 'os_hash_algo', 'os_hash_value'];
/** Integer attributes and the largest magnitude their columns hold (bigint sizes as far as a
 * double is exact, 32-bit minimums): values beyond are clamped, so no engine sees out-of-range input. */
const INTEGER_BOUNDS: Record<string, number> = {
  size: Number.MAX_SAFE_INTEGER,
  virtual_size: Number.MAX_SAFE_INTEGER,
  min_disk: 2147483647,
  min_ram: 2147483647,
};
export const INTEGER_ATTRS = Object.keys(INTEGER_BOUNDS);
const TIME_ATTRS = ['created_at', 'updated_at'];
const TIME_OPS: Record<string, string> = { eq: '=', neq: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=' };

export type Condition =
  | { kind: 'in'; attr: string; values: string[] }
  | { kind: 'compare'; attr: string; op: string; value: string | number }
  | { kind: 'never' }
  | { kind: 'property'; name: string; value: string };

export interface ListQuery {
  limit: number;
  marker?: string;
  sortKeys: string[];
  sortDirs: ('asc' | 'desc')[];
  memberStatus: string;
  visibility?: string;
  osHidden: boolean;
  tags: string[];
  conditions: Condition[];
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/i;

/** The instant an ISO 8601 text names, as stored timestamps are written; null if it is not one. */
export function parseIsoTime(text: string): string | null {
  const t = text.trim();
  if (!ISO_TIME.test(t)) return null;
  // As the iso8601 library, a time without a zone is UTC.
  const zoned = /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(t) || !t.includes(':') ? t : `${t}Z`;
  const ms = Date.parse(zoned.replace(' ', 'T'));
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** Glance's split_filter_op: "op:value", or the whole text with "eq" (a bare timestamp has colons). */
export function splitFilterOp(expression: string): [string, string] {
  const i = expression.indexOf(':');
  if (i < 0 || parseIsoTime(expression) !== null) return ['eq', expression];
  return [expression.slice(0, i), expression.slice(i + 1)];
}

/** The values of an "in:" list: comma-separated, double quotes protecting commas. */
export function splitFilterValues(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw new Invalid(`Invalid filter value ${text}. The quote is not closed.`);
  out.push(cur);
  return out;
}

function integer(text: string): number | null {
  return /^\s*[-+]?\d+\s*$/.test(text) ? Number.parseInt(text, 10) : null;
}

function sortKey(key: string): string {
  if (!SORT_KEYS.includes(key)) {
    throw new Invalid(`Invalid sort key: ${key}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
  }
  return key;
}

function sortDir(dir: string): 'asc' | 'desc' {
  if (dir !== 'asc' && dir !== 'desc') throw new Invalid(`Invalid sort direction: ${dir}`);
  return dir;
}

function sorting(pairs: [string, string][]): Pick<ListQuery, 'sortKeys' | 'sortDirs'> {
  const all = (k: string) => pairs.filter(([key]) => key === k).map(([, v]) => v.trim());
  const sort = all('sort');
  const keys: string[] = [];
  const dirs: ('asc' | 'desc')[] = [];
  if (sort.length) {
    if (all('sort_key').length || all('sort_dir').length)
      throw new Invalid('Old and new sorting syntax cannot be combined');
    for (const part of sort[sort.length - 1]!.split(',')) {
      const i = part.indexOf(':');
      keys.push(sortKey((i < 0 ? part : part.slice(0, i)).trim()));
      dirs.push(sortDir((i < 0 ? '' : part.slice(i + 1)).trim() || 'desc'));
    }
  } else {
    keys.push(...all('sort_key').map(sortKey));
    dirs.push(...all('sort_dir').map(sortDir));
    if (dirs.length > 1 && dirs.length !== keys.length) {
      throw new Invalid('Number of sort dirs does not match the number of sort keys');
    }
  }
  if (!keys.length) keys.push('created_at');
  // One direction applies to every key; created_at and id always end the order, so pages are stable.
  const fill = dirs.length === 1 ? dirs[0]! : 'desc';
  while (dirs.length < keys.length) dirs.push(fill);
  for (const k of ['created_at', 'id']) {
    if (!keys.includes(k)) {
      keys.push(k);
      dirs.push(fill);
    }
  }
  return { sortKeys: keys, sortDirs: dirs };
}

function condition(key: string, value: string): Condition | null {
  if (OPERATOR_ATTRS.includes(key)) {
    const [op, operand] = splitFilterOp(value);
    if (op === 'in') return { kind: 'in', attr: key, values: splitFilterValues(operand) };
    if (op === 'eq') return { kind: 'compare', attr: key, op: '=', value: operand };
    throw new Invalid(`Unable to filter by unknown operator '${op}'.`);
  }
  if (TIME_ATTRS.includes(key)) {
    const [op, operand] = splitFilterOp(value);
    const at = parseIsoTime(operand);
    if (at === null) throw new Invalid(`Bad "${key}" query filter format. Use ISO 8601 DateTime notation.`);
    if (!TIME_OPS[op]) throw new Invalid('Unable to filter using the specified operator.');
    return { kind: 'compare', attr: key, op: TIME_OPS[op], value: at };
  }
  const range = /^(.*)_(min|max)$/.exec(key);
  if (range && INTEGER_ATTRS.includes(range[1]!)) {
    const n = integer(value);
    if (n === null) throw new Invalid('Unable to filter on a range with a non-numeric value.');
    const bound = INTEGER_BOUNDS[range[1]!]!;
    return {
      kind: 'compare',
      attr: range[1]!,
      op: range[2] === 'min' ? '>=' : '<=',
      value: Math.max(-bound, Math.min(bound, n)),
    };
  }
  if (INTEGER_ATTRS.includes(key)) {
    const n = integer(value);
    return n === null || Math.abs(n) > INTEGER_BOUNDS[key]!
      ? { kind: 'never' }
      : { kind: 'compare', attr: key, op: '=', value: n };
  }
  if (EXACT_ATTRS.includes(key)) return { kind: 'compare', attr: key, op: '=', value };
  if (key === 'deleted') return null;
  return { kind: 'property', name: key, value };
}

function bool(name: string, value: string): boolean {
  if (value !== 'true' && value !== 'false') {
    throw new Invalid(`Invalid value '${value}' for '${name}' filter. Valid values are 'true' or 'false'.`);
  }
  return value === 'true';
}

/** Reads the query string pairs of GET /v2/images (400 on anything Glance refuses). */
export function parseListQuery(pairs: [string, string][]): ListQuery {
  const last = new Map(pairs);
  const q: ListQuery = {
    limit: DEFAULT_LIMIT,
    ...sorting(pairs),
    memberStatus: last.get('member_status') ?? 'accepted',
    osHidden: false,
    tags: pairs.filter(([k]) => k === 'tag').map(([, v]) => v.trim()),
    conditions: [],
  };
  if (!MEMBER_STATUSES.includes(q.memberStatus)) throw new Invalid(`Invalid status: ${q.memberStatus}`);
  const limit = last.get('limit');
  if (limit !== undefined) {
    const n = integer(limit);
    if (n === null) throw new Invalid('limit param must be an integer');
    if (n < 0) throw new Invalid('limit param must be positive');
    q.limit = Math.min(n, MAX_LIMIT);
  }
  if (last.has('marker')) q.marker = last.get('marker');
  const visibility = last.get('visibility');
  if (visibility) {
    if (!LIST_VISIBILITIES.includes(visibility)) throw new Invalid(`Invalid visibility value: ${visibility}`);
    q.visibility = visibility;
  }
  if (last.get('changes-since')) throw new Invalid('The "changes-since" filter is no longer available on v2.');
  q.osHidden = bool('os_hidden', (last.get('os_hidden') ?? 'false').toLowerCase());
  const handled = new Set([
    'limit',
    'marker',
    'member_status',
    'tag',
    'sort',
    'sort_key',
    'sort_dir',
    'visibility',
    'os_hidden',
    'changes-since',
  ]);
  for (const [key, value] of last) {
    if (handled.has(key)) continue;
    if (key === 'protected') {
      q.conditions.push({ kind: 'compare', attr: 'protected', op: '=', value: bool('protected', value) ? 1 : 0 });
      continue;
    }
    const c = condition(key, value);
    if (c) q.conditions.push(c);
  }
  return q;
}
