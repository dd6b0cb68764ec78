// Patterns shared by Placement's JSON schemas, written as upstream writes them (they appear
// verbatim in validation error messages).
export const RC_PATTERN = '^[A-Z0-9_]+$';
export const CUSTOM_RC_PATTERN = '^CUSTOM_[A-Z0-9_]+$';
export const CUSTOM_TRAIT_PATTERN = CUSTOM_RC_PATTERN;
export const CONSUMER_TYPE_PATTERN = RC_PATTERN;
export const CONSUMER_TYPE_GET_PATTERN = `${RC_PATTERN}|^all|^unknown$`;
export const GROUP_PAT = '[1-9][0-9]*';
export const GROUP_PAT_1_33 = '[a-zA-Z0-9_-]{1,64}';
export const UUID = { type: 'string', format: 'uuid' } as const;
/** Largest value of an INT column, upstream's db_const.MAX_INT. */
export const MAX_INT = 2147483647;
/** Largest single-precision float, upstream's bound on allocation_ratio. */
export const SQL_SP_FLOAT_MAX = 3.40282e38;
