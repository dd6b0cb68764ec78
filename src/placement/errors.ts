// Placement's error bodies: {"errors": [{status, title, detail, code, request_id}]} (API-WG), the
// symbolic error codes they carry since 1.23 (upstream's errors.py), and the domain exceptions
// (exceptions.ts) that no handler words itself mapped to their statuses.
import type { ErrorRequest } from '../common/http/error_formats.js';
import { HttpError } from '../common/http/errors.js';
import { escapeHtml } from '../common/http/html.js';
import { isWriteConflict } from '../common/db/index.js';
import { ConcurrentUpdateDetected, NotFound } from './exceptions.js';
import { PLACEMENT_MICROVERSIONS } from './microversions.js';

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

/** Placement's error body: {"errors": [{status, title, detail, code, request_id}]} (API-WG). */
export function formatPlacementError(err: HttpError, req: ErrorRequest) {
  const accept = req.headers.accept ?? '';
  if (/text\/html/.test(accept) && !/application\/json|\*\/\*/.test(accept)) {
    return {
      contentType: 'text/html; charset=UTF-8',
      body:
        `<html><head><title>${err.status} ${escapeHtml(err.title)}</title></head><body>` +
        `<h1>${err.status} ${escapeHtml(err.title)}</h1>${escapeHtml(err.detail)}</body></html>`,
    };
  }
  const e: Record<string, unknown> = { status: err.status, title: err.title, detail: err.detail };
  if (req.version?.gte('1.23')) e.code = err.code ?? DEFAULT;
  e.request_id = req.requestId;
  if (err.status === 406 && /version/i.test(err.message)) {
    e.max_version = PLACEMENT_MICROVERSIONS.max.toString();
    e.min_version = PLACEMENT_MICROVERSIONS.min.toString();
  }
  return { contentType: 'application/json', body: JSON.stringify({ errors: [e] }) };
}

/** What a domain exception that escaped its handler answers. */
export function mapPlacementError(err: unknown): HttpError | undefined {
  // Upstream's PlacementHandler turns any NotFound that escapes a handler into a 404.
  if (err instanceof NotFound) return new HttpError(404, err.message);
  // A write that lost to a concurrent one (see isWriteConflict), in Placement's words.
  if (err instanceof ConcurrentUpdateDetected || isWriteConflict(err)) {
    const message = (err instanceof ConcurrentUpdateDetected ? err : new ConcurrentUpdateDetected()).message;
    return new HttpError(409, message, CONCURRENT_UPDATE);
  }
  return undefined;
}
