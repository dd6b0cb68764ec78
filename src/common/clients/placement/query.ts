// Placement's query strings: traits and aggregates as its filter expressions, parameters repeated
// where Placement takes them more than once (required, member_of since 1.24/1.35).

/** Trait filters: each trait required, `!TRAIT` forbidden; an any-of set as one `in:` list each. */
export interface TraitFilter {
  /** Every one of these (a `!` prefix: none of these). */
  required?: readonly string[];
  /** For each set, at least one of its traits (1.39). */
  anyOf?: readonly (readonly string[])[];
}

/** Aggregate filters: in at least one aggregate of each set; in none of `forbidden` (1.32). */
export interface AggregateFilter {
  memberOf?: readonly (readonly string[])[];
  forbidden?: readonly string[];
}

export type QueryParams = [string, string][];

export const resourcesParam = (resources: Readonly<Record<string, number>>) =>
  Object.entries(resources)
    .map(([rc, n]) => `${rc}:${n}`)
    .join(',');

export function traitParams(name: string, f: TraitFilter): QueryParams {
  const out: QueryParams = [];
  if (f.required?.length) out.push([name, f.required.join(',')]);
  for (const set of f.anyOf ?? []) out.push([name, `in:${set.join(',')}`]);
  return out;
}

export function aggregateParams(name: string, f: AggregateFilter): QueryParams {
  const out: QueryParams = (f.memberOf ?? []).map((set) => [name, set.length === 1 ? set[0]! : `in:${set.join(',')}`]);
  if (f.forbidden?.length) out.push([name, `!in:${f.forbidden.join(',')}`]);
  return out;
}

/** `?a=1&b=2`, or '' when there is nothing to ask. */
export function queryString(params: QueryParams): string {
  return params.length ? `?${new URLSearchParams(params).toString()}` : '';
}

export const seg = encodeURIComponent;
