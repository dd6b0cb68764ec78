// Keystone's error body, {"error": {"code", "message", "title"}}, and the status each kind of
// domain exception (exceptions.ts) answers with.
import type { ErrorRequest } from '../common/http/error_formats.js';
import { HttpError, unauthorized } from '../common/http/errors.js';
import { Conflict, Forbidden, NotFound, Unauthorized, ValidationError } from './exceptions.js';
import { baseUrl } from './http.js';

/** Keystone's error body: {"error": {"code", "message", "title"}}. */
export function formatKeystoneError(err: HttpError, req: ErrorRequest) {
  // The app sends the error's headers after formatting it, so this is where a 401 gets the
  // challenge keystoneauth looks for.
  if (err.status === 401) err.headers['www-authenticate'] = `Keystone uri="${baseUrl(req)}"`;
  const message =
    err.status >= 500 ? 'An unexpected error prevented the server from fulfilling your request.' : err.message;
  return {
    contentType: 'application/json',
    body: JSON.stringify({ error: { code: err.status, message, title: err.title } }),
  };
}

export function mapIdentityError(err: unknown): HttpError | undefined {
  if (err instanceof ValidationError) return new HttpError(400, err.message);
  if (err instanceof Unauthorized) {
    if (err.reason === undefined) return new HttpError(401, err.message);
    return unauthorized(err.reason);
  }
  if (err instanceof Forbidden) return new HttpError(403, err.message);
  if (err instanceof NotFound) return new HttpError(404, err.message);
  if (err instanceof Conflict) return new HttpError(409, err.message);
  return undefined;
}
