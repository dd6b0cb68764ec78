// Placement's symbolic error codes (the "code" of error bodies since 1.23).
export const DEFAULT = 'placement.undefined_code';
export const INVENTORY_INUSE = 'placement.inventory.inuse';
export const CONCURRENT_UPDATE = 'placement.concurrent_update';
export const DUPLICATE_NAME = 'placement.duplicate_name';
export const PROVIDER_IN_USE = 'placement.resource_provider.inuse';
export const PROVIDER_CANNOT_DELETE_PARENT = 'placement.resource_provider.cannot_delete_parent';
export const RESOURCE_PROVIDER_NOT_FOUND = 'placement.resource_provider.not_found';
export const ILLEGAL_DUPLICATE_QUERYPARAM = 'placement.query.duplicate_key';
export const QUERYPARAM_BAD_VALUE = 'placement.query.bad_value';
export const QUERYPARAM_MISSING_VALUE = 'placement.query.missing_value';
