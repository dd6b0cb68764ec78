// Patterns shared by Placement's JSON schemas.
export const CUSTOM_RC_PATTERN = '^CUSTOM\\_[A-Z0-9_]+$';
export const CUSTOM_TRAIT_PATTERN = '^[A-Z0-9_]+$';
export const RC_PATTERN = '^[A-Z0-9_]+$';
export const UUID = { type: 'string', format: 'uuid' } as const;
