// GET /allocation_candidates: the query string as request groups (upstream's lib.RequestGroup)
// and request-wide parameters (lib.RequestWideParams), with upstream's validation and messages.
import type { FastifyRequest } from 'fastify';
import { HttpError, badRequest } from '../../common/http/errors.js';
import * as codes from '../errors.js';
import { pyInt, parseInTree, parseMemberOf, parseResources, parseTraits, parseTraitsValue } from '../query.js';
import { queryPairs } from '../../common/http/request_params.js';
import { GROUP_PAT, GROUP_PAT_1_33 } from '../schemas/common.js';

export interface RequestGroup {
  suffix: string;
  /** Suffixed groups must be satisfied by one provider; the unsuffixed one may spread. */
  useSameProvider: boolean;
  resources: Map<string, number>;
  /** AND of any-of sets. */
  requiredTraits: Set<string>[];
  forbiddenTraits: Set<string>;
  /** AND of any-of sets. */
  memberOf: Set<string>[];
  forbiddenAggs: Set<string>;
  inTree: string | null;
}

export interface RequestWide {
  limit: number | null;
  groupPolicy: string | null;
  /** root_required: traits the root of every candidate tree must have / must not have. */
  anchorRequired: Set<string> | null;
  anchorForbidden: Set<string> | null;
  sameSubtrees: Set<string>[];
}

const KINDS = 'resources|required|member_of|in_tree';
const KEY = new RegExp(`^(${KINDS})(${GROUP_PAT})?$`);
const KEY_1_33 = new RegExp(`^(${KINDS})(${GROUP_PAT_1_33})?$`);

function group(suffix: string): RequestGroup {
  return {
    suffix,
    useSameProvider: suffix !== '',
    resources: new Map(),
    requiredTraits: [],
    forbiddenTraits: new Set(),
    memberOf: [],
    forbiddenAggs: new Set(),
    inTree: null,
  };
}

function allOf(pairs: [string, string][], key: string): string[] {
  return pairs.filter(([k]) => k === key).map(([, v]) => v);
}

export function requestWide(req: FastifyRequest): RequestWide {
  const pairs = queryPairs(req);
  const limits = allOf(pairs, 'limit');
  const policies = allOf(pairs, 'group_policy');
  const out: RequestWide = {
    limit: limits.length ? pyInt(limits[0]!) : null,
    groupPolicy: policies[0] ?? null,
    anchorRequired: null,
    anchorForbidden: null,
    sameSubtrees: [],
  };
  const roots = allOf(pairs, 'root_required');
  if (roots.length > 1) {
    throw new HttpError(
      400,
      "Query parameter 'root_required' may be specified only once.",
      codes.ILLEGAL_DUPLICATE_QUERYPARAM,
    );
  }
  if (roots.length) {
    const q = parseTraitsValue(roots[0]!, true, false);
    const required = new Set(q.required.flatMap((s) => [...s]));
    const conflicts = [...q.forbidden].filter((t) => required.has(t));
    if (conflicts.length) {
      throw new HttpError(
        400,
        `Conflicting required and forbidden traits found in root_required: ${conflicts.join(', ')}`,
        codes.QUERYPARAM_BAD_VALUE,
      );
    }
    out.anchorRequired = required;
    out.anchorForbidden = q.forbidden;
  }
  for (const val of allOf(pairs, 'same_subtree')) {
    const suffixes = new Set(val.split(',').map((s) => s.trim()));
    if (suffixes.has('')) {
      throw new HttpError(
        400,
        'Empty string (unsuffixed group) can not be specified in `same_subtree` ',
        codes.QUERYPARAM_BAD_VALUE,
      );
    }
    out.sameSubtrees.push(suffixes);
  }
  return out;
}

/** The request groups by suffix, in order of first appearance ('' is the unsuffixed group). */
export function requestGroups(req: FastifyRequest, wide: RequestWide): Map<string, RequestGroup> {
  const pattern = req.version.gte('1.33') ? KEY_1_33 : KEY;
  const groups = new Map<string, RequestGroup>();
  const pairs = queryPairs(req);
  for (const [key, val] of pairs) {
    const m = pattern.exec(key);
    if (!m) continue;
    const [, kind, suffix = ''] = m;
    let g = groups.get(suffix);
    if (!g) groups.set(suffix, (g = group(suffix)));
    if (kind === 'resources') g.resources = parseResources(val);
    else if (kind === 'required') {
      const t = parseTraits(allOf(pairs, key), req);
      g.requiredTraits = t.required;
      g.forbiddenTraits = t.forbidden;
    } else if (kind === 'member_of') {
      const a = parseMemberOf(allOf(pairs, key), req, suffix);
      g.memberOf = a.required;
      g.forbiddenAggs = a.forbidden;
    } else g.inTree = parseInTree(val);
  }
  if (req.version.gte('1.36')) checkResourceless(groups, wide);
  else checkOrphans(groups);
  if (req.version.gte('1.22')) checkForbidden(groups);
  return groups;
}

/** 1.36: groups without resources are allowed only when named in same_subtree. */
function checkResourceless(groups: Map<string, RequestGroup>, wide: RequestWide) {
  const resourceless = [...groups.values()].filter((g) => !g.resources.size).map((g) => g.suffix);
  const inSubtrees = new Set(wide.sameSubtrees.flatMap((s) => [...s]));
  if (resourceless.length === groups.size) {
    throw new HttpError(
      400,
      'There must be at least one resources or resources[$S] parameter.',
      codes.QUERYPARAM_MISSING_VALUE,
    );
  }
  const bad = resourceless.filter((s) => !inSubtrees.has(s));
  if (bad.length) {
    throw new HttpError(
      400,
      `Resourceless suffixed group request should be specified in \`same_subtree\` query param: bad group(s) - ${pyList(bad)}.`,
      codes.QUERYPARAM_BAD_VALUE,
    );
  }
  const unknown = [...inSubtrees].filter((s) => !groups.has(s));
  if (unknown.length) {
    throw new HttpError(
      400,
      `Real suffixes should be specified in \`same_subtree\`: ${pyList(unknown)} not found in ${pyList([...groups.keys()])}.`,
      codes.QUERYPARAM_BAD_VALUE,
    );
  }
}

function checkOrphans(groups: Map<string, RequestGroup>) {
  const gs = [...groups.values()];
  const traitOrphans = gs.filter((g) => g.requiredTraits.length && !g.resources.size).map((g) => `required${g.suffix}`);
  if (traitOrphans.length) {
    throw badRequest(
      `All traits parameters must be associated with resources.  Found the following orphaned traits keys: ${traitOrphans.join(', ')}`,
    );
  }
  const aggOrphans = gs
    .filter((g) => !g.resources.size && (g.memberOf.length || g.forbiddenAggs.size))
    .map((g) => `member_of${g.suffix}`);
  if (aggOrphans.length) {
    throw badRequest(
      `All member_of parameters must be associated with resources. Found the following orphaned member_of keys: ${aggOrphans.join(', ')}`,
    );
  }
  if (!gs.every((g) => g.resources.size)) throw badRequest('All request groups must specify resources.');
  if (!gs.length) throw badRequest('At least one request group (`resources` or `resources{$S}`) is required.');
}

function checkForbidden(groups: Map<string, RequestGroup>) {
  const conflicts: string[] = [];
  for (const g of groups.values()) {
    for (const any of g.requiredTraits) {
      if ([...any].every((t) => g.forbiddenTraits.has(t)))
        conflicts.push(`required${g.suffix}: (${[...any].sort().join(', ')})`);
    }
  }
  if (conflicts.length) {
    throw badRequest(
      `Conflicting required and forbidden traits found in the following traits keys: ${conflicts.sort().join(', ')}`,
    );
  }
}

/** Python's repr of a list of strings, as upstream formats these messages. */
function pyList(items: string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}
