// Nova's error bodies: {"<fault name>": {"code": N, "message": "..."}} (nova.api.openstack.wsgi's
// Fault), where the fault name is the status's (badRequest, itemNotFound, ...) and computeFault
// for anything else; the domain's exceptions mapped to their statuses; and the errors handlers
// raise themselves, as Nova's raise webob exceptions with an explanation.
import type { ErrorBody } from '../common/http/app.js';
import type { ErrorRequest } from '../common/http/error_formats.js';
import { EXPLANATIONS, HttpError } from '../common/http/errors.js';
import {
  AlreadyExists,
  Conflict,
  FeatureNotSupported,
  HostCallFailed,
  HostCallTimeout,
  Invalid,
  NotFound,
  OverQuota,
} from './exceptions.js';

const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export function formatNovaError(err: HttpError, _req: ErrorRequest): ErrorBody {
  // A 401 comes from keystonemiddleware, in front of Nova, in its own shape.
  if (err.status === 401) {
    return {
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 401, title: 'Unauthorized', message: err.message } }),
    };
  }
  const name = FAULT_NAMES[err.status] ?? 'computeFault';
  // What went wrong inside a 500 stays in the log (Nova's FaultWrapper hides it the same way).
  const message = err.status === 500 ? EXPLANATIONS[500]![1] : err.message;
  const fault: Record<string, unknown> = { code: err.status, message };
  if ((err.status === 413 || err.status === 429) && err.headers['retry-after']) {
    fault.retryAfter = err.headers['retry-after'];
  }
  return { contentType: 'application/json; charset=UTF-8', body: JSON.stringify({ [name]: fault }) };
}

/** The status each kind of domain exception answers with (Nova's exception codes). */
export function mapComputeError(err: unknown): HttpError | undefined {
  if (err instanceof NotFound) return new HttpError(404, err.message);
  if (err instanceof Invalid) return new HttpError(400, err.message);
  if (err instanceof AlreadyExists || err instanceof Conflict) return new HttpError(409, err.message);
  if (err instanceof OverQuota) return new HttpError(403, err.message);
  if (err instanceof HostCallTimeout) return new HttpError(504, err.message);
  if (err instanceof HostCallFailed) return new HttpError(502, err.message);
  if (err instanceof FeatureNotSupported) return new HttpError(501, err.message);
  return undefined;
}

/** webob's HTTPBadRequest(explanation=...); without one, webob's own explanation. */
export const badRequest = (explanation = EXPLANATIONS[400]![1]) => new HttpError(400, explanation);
export const forbidden = (explanation: string) => new HttpError(403, explanation);
export const notFound = (explanation = EXPLANATIONS[404]![1]) => new HttpError(404, explanation);
export const conflict = (explanation: string) => new HttpError(409, explanation);
